import { readFileSync } from 'node:fs';
import { generatePrivateKey, idOf, recoverId, sign } from '@pollinator/crypto';
import { describe, expect, it } from 'vitest';
import { RpcError } from './rpc-error';
import { SignatureVerifier } from './signature-verifier';

// The public crypto vectors (conformance/crypto.json), kept by @pollinator/crypto.
const vectors = JSON.parse(readFileSync(new URL('../../crypto/src/__fixtures__/crypto.json', import.meta.url), 'utf8')) as {
  signatures: { prv: string; msg: string; sig: string }[];
  recoverOnly: { msg: string; sig: string; id: string }[];
  negative: { desc: string; msg: string; sig: string; expect: 'reject' | 'accept' | 'differentId'; id?: string; signerId?: string }[];
};

describe('SignatureVerifier', () => {
  const verifier = new SignatureVerifier();

  it('recovers the signer of every signature vector', () => {
    for (const vector of vectors.signatures) expect(verifier.recover(vector.msg, vector.sig).id).toBe(idOf(vector.prv));
    for (const vector of vectors.recoverOnly) expect(verifier.recover(vector.msg, vector.sig).id).toBe(vector.id);
  });

  it('rejects, accepts or mis-attributes the negative vectors exactly like the Go server', () => {
    for (const vector of vectors.negative) {
      if (vector.expect === 'reject') {
        let error: unknown;
        try {
          verifier.recover(vector.msg, vector.sig);
        } catch (caught) {
          error = caught;
        }
        expect(error, vector.desc).toBeInstanceOf(RpcError);
        expect((error as RpcError).status, vector.desc).toBe(403);
      } else if (vector.expect === 'accept') {
        expect(verifier.recover(vector.msg, vector.sig).id, vector.desc).toBe(vector.id);
      } else {
        expect(verifier.recover(vector.msg, vector.sig).id, vector.desc).not.toBe(vector.signerId);
      }
    }
  });

  it('agrees with @pollinator/crypto on random keys and payloads, recovery ids 0–7 included', () => {
    for (let i = 0; i < 100; i++) {
      const key = generatePrivateKey();
      const payload = Buffer.from(JSON.stringify({ msgtype: 'getprocessmsg', n: i, pad: 'x'.repeat(i) })).toString('base64');
      const signature = sign(payload, key);
      expect(verifier.recover(payload, signature).id).toBe(idOf(key));
      const v = Number.parseInt(signature.slice(128), 16);
      const compressedFlag = signature.slice(0, 128) + (v + 4).toString(16).padStart(2, '0');
      expect(verifier.recover(payload, compressedFlag).id).toBe(recoverId(payload, compressedFlag));
      const flipped = signature.slice(0, 128) + (v ^ 1).toString(16).padStart(2, '0');
      expect(verifier.recover(payload, flipped).id).toBe(recoverId(payload, flipped));
      expect(verifier.recover(payload, signature.toUpperCase()).id).toBe(idOf(key));
    }
  });
});
