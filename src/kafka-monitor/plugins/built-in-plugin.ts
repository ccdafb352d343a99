import { safePayload } from '../../core/logging/index.js';
import type { JsonObject } from '../../core/wire/validator.js';
import type { KafkaMonitorPlugin, PluginContext, Transaction } from './plugin.js';
import { apiSchema, type ApiSchemaName } from '../../core/wire/schemas.js';

/** What the four built-in plugins share: a shipped schema, the context, and the "Added ..." log line. */
export abstract class BuiltInPlugin implements KafkaMonitorPlugin {
  abstract readonly name: string;
  readonly schema: JsonObject;
  protected context!: PluginContext;

  constructor(schemaName: ApiSchemaName) {
    this.schema = apiSchema(schemaName);
  }

  setup(context: PluginContext): void {
    this.context = context;
  }

  abstract handle(request: JsonObject, tx: Transaction): unknown;

  /** Logs `message` with the request (secrets redacted, size capped) once its batch is in Redis. */
  protected logAdded(tx: Transaction, message: string, request: JsonObject): void {
    // Redacting and capping the request costs more than the write itself: only for a line that is kept.
    if (!this.context.logger.isEnabledFor('INFO')) return;
    tx.afterCommit(() => {
      const shown = safePayload(request);
      const fields = typeof shown === 'object' && shown !== null ? shown : { data: shown };
      this.context.logger.info(message, { ...fields, parsed: true, valid: true });
    });
  }
}
