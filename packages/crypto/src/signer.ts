import { privateKeyBytes } from './keys';
import { signWithKeyBytes } from './signature';

/** Signs with one key, parsed and checked once. */
export interface Signer {
  /** Same result as `sign(message, privateKey)`. */
  sign(message: string | Uint8Array): string;
}

/**
 * A signer for one private key: the key is parsed and range-checked here
 * (throwing `CryptoError` at once when it is bad), not on every signature.
 * The parsed key lives only in the returned object, held by the caller
 * (one per client identity), never in module scope.
 */
export function createSigner(privateKey: string): Signer {
  const keyBytes = privateKeyBytes(privateKey);
  return {
    sign: (message) => signWithKeyBytes(message, keyBytes),
  };
}
