export { canonicalizeUrl, canonicalizeParsed, type CanonicalizeOptions } from './canonicalize.js';
export { requestFingerprint, type FingerprintInput } from './fingerprint.js';
export { extractLinks, type ExtractedLink, type ExtractLinksOptions } from './extract-links.js';
export { compileLinkFilter, pathExtension, type LinkFilter, type LinkFilterOptions } from './link-filter.js';
export { compileUserPatterns, MAX_PATTERNS, MAX_PATTERN_LENGTH } from '../../core/user-regex.js';
export { IGNORED_EXTENSIONS } from './ignored-extensions.js';
export { scanAnchors, type RawAnchor, type ScannedPage } from './scan-anchors.js';
