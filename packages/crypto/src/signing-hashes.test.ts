// Its own file on purpose: vitest gives each test file fresh modules, so this
// sees @noble/secp256k1 exactly as importing @pollinator/crypto leaves it.
import { readFileSync } from 'node:fs';
import * as secp256k1 from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import { COLD_OPERATIONS } from './cold-start';
import { createSigner, CryptoError, sign } from './index';

const vectors = JSON.parse(readFileSync(new URL('./__fixtures__/crypto.json', import.meta.url), 'utf8')) as {
  signatures: { prv: string; msg: string; sig: string }[];
};
const vector = vectors.signatures[0]!;

describe('noble hash hooks', () => {
  it('importing the package leaves noble untouched; the first signature through noble sets what is missing', () => {
    expect(secp256k1.hashes.hmacSha256).toBeUndefined();
    expect(secp256k1.hashes.sha256).toBeUndefined();
    // The first signatures of a process do not go through noble's sign (cold-start.ts) and leave it untouched.
    for (let i = 0; i < COLD_OPERATIONS; i++) expect(sign(vector.msg, vector.prv)).toBe(vector.sig);
    expect(secp256k1.hashes.hmacSha256).toBeUndefined();
    expect(sign(vector.msg, vector.prv)).toBe(vector.sig);
    expect(secp256k1.hashes.hmacSha256).toBeTypeOf('function');
    expect(secp256k1.hashes.sha256).toBeTypeOf('function');
  });

  it("keeps a hook the application set itself, and signs the same with it", () => {
    const installed = secp256k1.hashes.hmacSha256!;
    let calls = 0;
    const own = (key: Uint8Array, message: Uint8Array) => {
      calls++;
      return installed(key, message);
    };
    secp256k1.hashes.hmacSha256 = own;
    try {
      expect(sign(vector.msg, vector.prv)).toBe(vector.sig);
      expect(secp256k1.hashes.hmacSha256).toBe(own);
      expect(calls).toBeGreaterThan(0);
    } finally {
      secp256k1.hashes.hmacSha256 = installed;
    }
  });
});

describe('createSigner', () => {
  it.each(vectors.signatures)('signs $sig byte-identically to sign()', ({ prv, msg, sig }) => {
    expect(createSigner(prv).sign(msg)).toBe(sig);
  });

  it('checks the key once, when created', () => {
    expect(() => createSigner('00'.repeat(32))).toThrow(CryptoError);
    expect(() => createSigner('not a key')).toThrow(CryptoError);
  });

  it('keeps each key to its own signer (signers of two keys interleave correctly)', () => {
    const [first, second] = vectors.signatures.filter((entry, index, all) => all.findIndex((other) => other.prv === entry.prv) === index);
    if (first === undefined || second === undefined) throw new Error('the vectors need two distinct keys');
    const firstSigner = createSigner(first.prv);
    const secondSigner = createSigner(second.prv);
    expect(secondSigner.sign(second.msg)).toBe(second.sig);
    expect(firstSigner.sign(first.msg)).toBe(first.sig);
    expect(sign(second.msg, second.prv)).toBe(second.sig);
    expect(firstSigner.sign(first.msg)).toBe(first.sig);
  });
});
