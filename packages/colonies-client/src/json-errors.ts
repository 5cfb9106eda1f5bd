// The typed failure of the lossless JSON parser that is not a plain syntax
// error: nesting deeper than the parser's bound. It extends SyntaxError so that
// every caller that treats "not JSON" as a bad reply keeps doing so; it cannot
// also extend `PollinatorError`, so it carries that class's marker instead:
// `PollinatorError.isInstance(error)` is true and `code` is stable, as for
// every other Pollinator error.
import { defineErrorMarker, POLLINATOR_ERROR_MARKER } from '@pollinator/errors';

const JSON_TOO_DEEP = defineErrorMarker<JsonTooDeepError>('JsonTooDeepError');

/**
 * Nesting bound of `parseLosslessJson`: 512 levels of arrays and objects. A
 * Colonies process uses 4 (process → spec → kwargs → value); everything past
 * that is user data, and 512 leaves it far more room than any real spec needs
 * while keeping every recursive walk over a parsed value (revival,
 * conversion, printing) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 512;

export class JsonTooDeepError extends SyntaxError {
  readonly code = 'COLONIES_JSON_TOO_DEEP';
  /** The bound that was exceeded. */
  readonly maxDepth: number;
  /** Index in the text of the bracket that went one level too deep. */
  readonly position: number;

  constructor(maxDepth: number, position: number) {
    super(`JSON nested deeper than ${maxDepth} levels (at position ${position})`);
    this.name = 'JsonTooDeepError';
    this.maxDepth = maxDepth;
    this.position = position;
    POLLINATOR_ERROR_MARKER.mark(this);
    JSON_TOO_DEEP.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static isInstance(value: unknown): value is JsonTooDeepError {
    return JSON_TOO_DEEP.isMarked(value);
  }
}
