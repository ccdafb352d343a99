import RE2 from 're2';
import { errorMessage, RequestFailure } from './errors.js';

/**
 * A crawl's allow_regex or deny_regex that cannot be used. Shaped as a fetch problem that is not retryable
 * (`reason` `bad-regex`), so the crawler ends the request with one failure record instead of retrying it.
 */
export class BadPatternError extends RequestFailure {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SC_BAD_INPUT', 'bad-regex', message, false, options);
  }
}

/** At most this many patterns per list, so a crawl request cannot make every page cost a lot. */
export const MAX_PATTERNS = 100;
/** At most this many characters per pattern. */
export const MAX_PATTERN_LENGTH = 1000;

/**
 * Compiles a crawl's `allow_regex` or `deny_regex` with RE2, whose matching time is linear in the URL
 * length whatever the pattern, so a hostile pattern such as `(a+)+$` cannot stall a crawler. RE2 has no
 * backreferences or lookaround; such a pattern is refused with a {@link BadPatternError} naming it.
 */
export function compileUserPatterns(setting: string, patterns: readonly string[]): RE2[] {
  if (patterns.length > MAX_PATTERNS) {
    throw new BadPatternError(`${setting}: ${patterns.length} patterns, at most ${MAX_PATTERNS} are allowed`);
  }
  return patterns.map((pattern) => {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      throw new BadPatternError(
        `${setting}: pattern of ${pattern.length} characters, at most ${MAX_PATTERN_LENGTH} are allowed: ` +
          `${JSON.stringify(pattern.slice(0, 60))}...`,
      );
    }
    try {
      return new RE2(pattern);
    } catch (err) {
      throw new BadPatternError(
        `${setting}: pattern ${JSON.stringify(pattern)} is not supported by RE2 (${errorMessage(err)}); ` +
          'backreferences and lookaround are not available',
        { cause: err },
      );
    }
  });
}
