export { startTestWeb, type TestWeb } from './server.js';
export type { TestWebOptions, ResolvedTestWebOptions } from './options.js';
export { LinkGraph, type LinkKind, type PageLink } from './graph.js';
export type { RecordedRequest } from './request-log.js';
export { CHARSET_SAMPLE, CHARSET_VIAS, encodeText, type CharsetVia } from './charset.js';
export { COMPRESSED_MARKER } from './bodies.js';
export { spawnTestWeb, type TestWebProcess } from './process.js';
