const POLLINATOR_ERROR = Symbol.for('pollinator.error');
const CRYPTO_ERROR = Symbol.for('pollinator.error.CryptoError');

/** Stable codes: match on these, never on message text. */
export type CryptoErrorCode =
  | 'CRYPTO_INVALID_HEX'
  | 'CRYPTO_INVALID_LENGTH'
  | 'CRYPTO_KEY_OUT_OF_RANGE'
  | 'CRYPTO_INVALID_PUBLIC_KEY'
  | 'CRYPTO_SIGNATURE_MALLEABLE'
  | 'CRYPTO_RECOVERY_ID_OUT_OF_RANGE'
  | 'CRYPTO_RECOVERY_FAILED';

/**
 * Every failure of `@pollinator/crypto`. Thrown, never returned: a function of
 * this package either gives the right answer or throws one of these.
 */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  readonly [POLLINATOR_ERROR] = true;
  readonly [CRYPTO_ERROR] = true;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[pollinator] [crypto] ${message}`, options);
    this.name = 'CryptoError';
    this.code = code;
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static isInstance(value: unknown): value is CryptoError {
    return typeof value === 'object' && value !== null && CRYPTO_ERROR in value;
  }
}
