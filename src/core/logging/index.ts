export {
  createLogger,
  getLogger,
  LogFactory,
  Logger,
  type LogDestination,
  type LoggerOptions,
} from './logger.js';
export {
  CallbackRegistry,
  matchesCriteria,
  parseLevelSpec,
  type LogCallback,
  type LogExtras,
} from './callbacks.js';
export { LEVEL_NAMES, LEVELS, parseLevel, type LevelName } from './levels.js';
export { RotatingFileDestination, type RotatingFileOptions } from './rotating-file.js';
export { localTime, pyDict, utcTimestamp } from './format.js';
export { LOG_PAYLOAD_LIMIT, REDACTED, safePayload } from './safe-payload.js';
