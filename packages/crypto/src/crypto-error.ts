import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const CRYPTO_ERROR = defineErrorMarker<CryptoError>('CryptoError');

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
export class CryptoError extends PollinatorError {
  declare readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, `[pollinator] [crypto] ${message}`, options);
    this.name = 'CryptoError';
    CRYPTO_ERROR.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is CryptoError {
    return CRYPTO_ERROR.isMarked(value);
  }
}
