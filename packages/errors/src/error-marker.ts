// Markers make `isInstance` work where `instanceof` does not: when two copies
// of a package are installed (each has its own class objects) or an error
// crosses a realm (`node:vm`, a worker's structured clone keeps no prototype).
// `Symbol.for` returns the same symbol from the one global registry in every
// copy and every realm, so a marker set by one copy is seen by all others.

/** The marker of one error class, shared by every copy of the package that defines it. */
export interface ErrorMarker<Marked> {
  /** `Symbol.for('pollinator.error.<name>')`, or `Symbol.for('pollinator.error')` for the base. */
  readonly symbol: symbol;
  /** Sets the marker on `error` (call it in the constructor). */
  mark(error: object): void;
  /** True when `value` carries this marker, whichever copy or realm made it. */
  isMarked(value: unknown): value is Marked;
}

const MARKER_PREFIX = 'pollinator.error';
const CLASS_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/;

/** True when `value` is an object with `marker` as a property (own or inherited). */
export function hasErrorMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && marker in value;
}

function createMarker<Marked>(symbol: symbol): ErrorMarker<Marked> {
  return {
    symbol,
    mark(error: object): void {
      // An enumerable data property, exactly as the `readonly [MARKER] = true`
      // class fields that came before: spreading or inspecting an error keeps showing it.
      Object.defineProperty(error, symbol, { value: true, enumerable: true, writable: false, configurable: true });
    },
    isMarked(value: unknown): value is Marked {
      return hasErrorMarker(value, symbol);
    },
  };
}

/**
 * The marker of an error class named `className`: `Symbol.for('pollinator.error.<className>')`.
 * The name is part of the contract between copies of a package: never rename it.
 *
 * ```ts
 * const MARKER = defineErrorMarker<CryptoError>('CryptoError');
 * export class CryptoError extends PollinatorError {
 *   constructor(…) { super(…); MARKER.mark(this); }
 *   static override isInstance(value: unknown): value is CryptoError { return MARKER.isMarked(value); }
 * }
 * ```
 */
export function defineErrorMarker<Marked>(className: string): ErrorMarker<Marked> {
  if (!CLASS_NAME_PATTERN.test(className)) {
    throw new TypeError(`an error marker needs a class name of letters and digits, got ${JSON.stringify(className)}`);
  }
  return createMarker<Marked>(Symbol.for(`${MARKER_PREFIX}.${className}`));
}

/** The marker every Pollinator error carries: `Symbol.for('pollinator.error')`. */
export const POLLINATOR_ERROR_MARKER: ErrorMarker<{ readonly code: string } & Error> = createMarker(Symbol.for(MARKER_PREFIX));
