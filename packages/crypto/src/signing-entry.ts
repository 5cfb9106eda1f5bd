// The `@pollinator/crypto/signing` entry: keys, ids and signing, without
// recovering signers (`recoverId`, `verify`), which need @noble/curves. A
// client only signs, so it starts without loading curves (tens of
// milliseconds of a one-request command). `.` exports all of it too.
export { CryptoError, type CryptoErrorCode } from './crypto-error';
export { sha3, sha3Hex } from './hash';
export { bytesToHex, hexToBytes } from './hex';
export { generatePrivateKey, idOf, idOfPublicKey, privateKeyBytes, publicKeyOf } from './keys';
export { sign } from './signature';
export { createSigner, type Signer } from './signer';
