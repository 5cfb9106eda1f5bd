export { CryptoError, type CryptoErrorCode } from './crypto-error';
export { sha3, sha3Hex } from './hash';
export { bytesToHex, hexToBytes } from './hex';
export { generatePrivateKey, idOf, idOfPublicKey, privateKeyBytes, publicKeyOf } from './keys';
export { recoverId, verify } from './recover';
export { sign } from './signature';
export { createSigner, type Signer } from './signer';
