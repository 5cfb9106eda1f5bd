import { readFileSync } from 'node:fs';
import { PollinatorError } from '@pollinator/errors';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  generatePrivateKey,
  idOf,
  idOfPublicKey,
  publicKeyOf,
  recoverId,
  sha3Hex,
  sign,
  verify,
  bytesToHex,
} from './index';

interface Vectors {
  ids: { prv: string; pub: string; id: string }[];
  hashes: { msg: string; sha3_256: string }[];
  signatures: { prv: string; msg: string; sig: string }[];
  recoverOnly: { msg: string; sig: string; id: string }[];
  negative: { desc: string; msg: string; sig: string; expect: 'reject' | 'accept' | 'differentId'; id?: string; signerId?: string }[];
}

// A copy of ../shared/conformance/crypto.json: every vector there is a test case here.
const vectors = JSON.parse(readFileSync(new URL('./__fixtures__/crypto.json', import.meta.url), 'utf8')) as Vectors;

function expectCryptoError(action: () => unknown, code: string): void {
  try {
    action();
  } catch (error) {
    expect(CryptoError.isInstance(error)).toBe(true);
    expect((error as CryptoError).code).toBe(code);
    return;
  }
  throw new Error(`expected a CryptoError ${code}`);
}

describe('ids', () => {
  it.each(vectors.ids)('$id', ({ prv, pub, id }) => {
    expect(bytesToHex(publicKeyOf(prv))).toBe(pub);
    expect(idOf(prv)).toBe(id);
    expect(idOfPublicKey(pub)).toBe(id);
  });
});

describe('hashes', () => {
  it.each(vectors.hashes)('sha3_256 of $msg', ({ msg, sha3_256 }) => {
    expect(sha3Hex(msg)).toBe(sha3_256);
  });
});

describe('signatures', () => {
  it.each(vectors.signatures)('sign and recover $sig', ({ prv, msg, sig }) => {
    expect(sign(msg, prv)).toBe(sig);
    expect(recoverId(msg, sig)).toBe(idOf(prv));
    expect(verify(msg, sig, idOf(prv))).toBe(true);
  });
});

describe('recover-only vectors', () => {
  it.each(vectors.recoverOnly)('recovers $id', ({ msg, sig, id }) => {
    expect(recoverId(msg, sig)).toBe(id);
    expect(verify(msg, sig, id)).toBe(true);
  });
});

describe('negative vectors', () => {
  it.each(vectors.negative)('$desc', ({ msg, sig, expect: expectation, id, signerId }) => {
    switch (expectation) {
      case 'reject':
        expect(() => recoverId(msg, sig)).toThrow(CryptoError);
        break;
      case 'accept':
        expect(recoverId(msg, sig)).toBe(id);
        break;
      case 'differentId': {
        let recovered: string | undefined;
        try {
          recovered = recoverId(msg, sig);
        } catch (error) {
          expect(CryptoError.isInstance(error)).toBe(true);
        }
        expect(recovered).not.toBe(signerId);
        if (signerId) expect(verify(msg, sig, signerId)).toBe(false);
        break;
      }
    }
  });
});

describe('bad input', () => {
  const key = vectors.signatures[0]!.prv;
  const signature = vectors.signatures[0]!.sig;

  it('rejects keys that are not hex, of the wrong length, or out of range', () => {
    expectCryptoError(() => idOf('zz'.repeat(32)), 'CRYPTO_INVALID_HEX');
    expectCryptoError(() => idOf('ab'.repeat(31)), 'CRYPTO_INVALID_LENGTH');
    expectCryptoError(() => idOf('00'.repeat(32)), 'CRYPTO_KEY_OUT_OF_RANGE');
    expectCryptoError(() => idOf('ff'.repeat(32)), 'CRYPTO_KEY_OUT_OF_RANGE');
    expectCryptoError(() => sign('hello', 'not a key'), 'CRYPTO_INVALID_HEX');
  });

  it('rejects signatures that are malformed, malleable or carry a bad recovery id', () => {
    expectCryptoError(() => recoverId('hello', signature.slice(0, 128)), 'CRYPTO_INVALID_LENGTH');
    expectCryptoError(() => recoverId('hello', `${signature.slice(0, 128)}1b`), 'CRYPTO_RECOVERY_ID_OUT_OF_RANGE');
    expectCryptoError(() => recoverId('hello', `${signature.slice(0, 64)}${'0'.repeat(64)}00`), 'CRYPTO_RECOVERY_FAILED');
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${signature.slice(64, 128)}`);
    const highS = (n - s).toString(16).padStart(64, '0');
    expectCryptoError(() => recoverId('hello', `${signature.slice(0, 64)}${highS}01`), 'CRYPTO_SIGNATURE_MALLEABLE');
  });

  it('accepts upper-case hex and the v+4 variant, like the Go server', () => {
    const id = idOf(key);
    expect(recoverId('hello', signature.toUpperCase())).toBe(id);
    const v = Number.parseInt(signature.slice(128), 16);
    expect(recoverId('hello', `${signature.slice(0, 128)}0${v + 4}`)).toBe(id);
  });

  it('rejects public keys that are not 65 uncompressed bytes', () => {
    expectCryptoError(() => idOfPublicKey(new Uint8Array(33)), 'CRYPTO_INVALID_PUBLIC_KEY');
  });
});

describe('generatePrivateKey', () => {
  it('makes distinct valid keys that sign and recover', () => {
    const first = generatePrivateKey();
    const second = generatePrivateKey();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(first).not.toBe(second);
    const signature = sign('payload', first);
    expect(verify('payload', signature, idOf(first))).toBe(true);
    expect(verify('payload', signature, idOf(second))).toBe(false);
  });
});

describe('CryptoError', () => {
  it('is a PollinatorError with a stable code, recognised across copies by its markers', () => {
    const error = new CryptoError('CRYPTO_INVALID_HEX', 'bad');
    expect(PollinatorError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(PollinatorError);
    expect(error.code).toBe('CRYPTO_INVALID_HEX');
    expect(error.name).toBe('CryptoError');
    expect(error.message).toBe('[pollinator] [crypto] bad');
    expect(Symbol.for('pollinator.error.CryptoError') in error).toBe(true);
    expect(CryptoError.isInstance(new PollinatorError('CRYPTO_INVALID_HEX', 'same code, other class'))).toBe(false);
  });
});
