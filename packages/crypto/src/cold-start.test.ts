// The cold path (the first base-point multiplications of a process, without
// noble's precomputed table) computes exactly what noble's own sign and
// getPublicKey do: compared on random keys and messages, and on the
// conformance vectors recorded from the Go server.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as secp256k1 from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import { coldBaseMultiply, coldPublicKey, coldSignRecovered } from './cold-start';
import { sha3 } from './hash';
import { bytesToHex } from './hex';
import { generatePrivateKey, privateKeyBytes } from './keys';

const vectors = JSON.parse(readFileSync(new URL('./__fixtures__/crypto.json', import.meta.url), 'utf8')) as {
  signatures: { prv: string; msg: string; sig: string }[];
};

secp256k1.hashes.sha256 ??= (message) => createHash('sha256').update(message).digest();
secp256k1.hashes.hmacSha256 ??= (key, message) => createHmac('sha256', key).update(message).digest();

describe('cold start (no precomputed table)', () => {
  it('signs byte-identically to noble on random keys and messages', () => {
    for (let i = 0; i < 64; i++) {
      const key = privateKeyBytes(generatePrivateKey());
      const hash = sha3(randomBytes(1 + (i % 200)));
      expect(bytesToHex(coldSignRecovered(hash, key))).toBe(bytesToHex(secp256k1.sign(hash, key, { prehash: false, format: 'recovered' })));
    }
  });

  it('derives the same public keys as noble', () => {
    for (let i = 0; i < 32; i++) {
      const key = privateKeyBytes(generatePrivateKey());
      expect(bytesToHex(coldPublicKey(key))).toBe(bytesToHex(secp256k1.getPublicKey(key, false)));
    }
    const smallest = new Uint8Array(32);
    smallest[31] = 1;
    expect(bytesToHex(coldPublicKey(smallest))).toBe(bytesToHex(secp256k1.Point.BASE.toBytes(false)));
  });

  it('multiplies the base point by the edge scalars 1, 2 and n − 1', () => {
    const n = secp256k1.Point.CURVE().n;
    for (const k of [1n, 2n, n - 1n]) expect(coldBaseMultiply(k).equals(secp256k1.Point.BASE.multiply(k))).toBe(true);
  });

  it('gives the recorded signatures of the conformance vectors', () => {
    for (const { prv, msg, sig } of vectors.signatures) {
      const recovered = coldSignRecovered(sha3(msg), privateKeyBytes(prv));
      expect(bytesToHex(recovered.subarray(1)) + bytesToHex(recovered.subarray(0, 1))).toBe(sig);
    }
  });
});
