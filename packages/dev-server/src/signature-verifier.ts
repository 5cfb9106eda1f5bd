// Who signed a request: ColonyOS authenticates by *recovering* the signer's
// public key from the signature (colonies-protocol.md §1.5) — the server
// never learns the id any other way. Recovery is the most expensive step of
// every request, so it runs in libsecp256k1 compiled to WebAssembly
// (tiny-secp256k1, shipped in its npm package, nothing to build): about 6×
// faster than @noble/curves. The checks around it are the Go server's, with its
// messages: 65 bytes, recovery id 0–7 (4–7 are btcec's "compressed" variants
// of 0–3), r and s in range, s in the lower half. The SHA3-256 digest of
// the payload comes from OpenSSL (node:crypto): the pure-JavaScript one took
// ~470 ms of event loop for a 16 MiB payload, OpenSSL ~40 ms.
import { secp256k1 as noble } from '@noble/curves/secp256k1.js';
import { idOfPublicKey, sha3 } from '@pollinator/crypto';
import * as wasm from 'tiny-secp256k1';
import { forbidden } from './rpc-error';

const N = noble.Point.CURVE().n;
const HALF_N = N >> 1n;
const HEX = /^[0-9a-fA-F]*$/;

/** A signer: the id recovered from a signature. */
export interface KnownSigner {
  readonly id: string;
}

interface ParsedSignature {
  v: number;
  bytes: Buffer;
}

/** The §1.5 checks, with the Go server's messages (all 403). */
function parseSignature(signature: string): ParsedSignature {
  if (!HEX.test(signature)) {
    const bad = [...signature].find((c) => !/[0-9a-fA-F]/.test(c)) ?? '?';
    const code = (bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw forbidden(`encoding/hex: invalid byte: U+${code} '${bad}'`);
  }
  if (signature.length % 2 !== 0) throw forbidden('encoding/hex: odd length hex string');
  const bytes = Buffer.from(signature, 'hex');
  if (bytes.length !== 65) throw forbidden('Invalid signature length');
  // Exactly 65 bytes (checked above): the recovery id is the last.
  const v = bytes.readUInt8(64);
  if (v > 7) {
    throw forbidden(
      `Failed to recover public key: invalid signature: public key recovery code ${v + 27} is not in the valid range [27, 34]`,
    );
  }
  const r = BigInt(`0x${bytes.subarray(0, 32).toString('hex')}`);
  const s = BigInt(`0x${bytes.subarray(32, 64).toString('hex')}`);
  if (r === 0n || r >= N || s === 0n || s >= N) {
    throw forbidden('Failed to recover public key: invalid signature: signature R or S is out of range');
  }
  if (s > HALF_N) throw forbidden('Failed verify signature: Signature s value is over half the order');
  return { v, bytes };
}

function recoverWithNoble(digest: Uint8Array, parsed: ParsedSignature): Uint8Array | null {
  try {
    const recoverable = new Uint8Array(65);
    recoverable[0] = parsed.v & 3;
    recoverable.set(parsed.bytes.subarray(0, 64), 1);
    return noble.Point.fromBytes(noble.recoverPublicKey(recoverable, digest, { prehash: false })).toBytes(false);
  } catch {
    return null;
  }
}

export class SignatureVerifier {
  readonly #recent = new Map<string, KnownSigner>();

  /** Returns the signer of `payload`; throws a 403 `RpcError` for every signature the Go server rejects. */
  recover(payload: string, signature: string): KnownSigner {
    const parsed = parseSignature(signature);
    const digest = sha3(payload);
    let publicKey: Uint8Array | null;
    try {
      publicKey = wasm.recover(digest, parsed.bytes.subarray(0, 64), (parsed.v & 3) as 0 | 1 | 2 | 3, false);
    } catch {
      // The WebAssembly module refused its input: let the reference implementation decide.
      publicKey = recoverWithNoble(digest, parsed);
    }
    if (!publicKey) throw forbidden('Failed to recover public key: invalid signature');
    const key = Buffer.from(publicKey).toString('hex');
    let signer = this.#recent.get(key);
    if (!signer) {
      signer = { id: idOfPublicKey(publicKey) };
      this.#recent.set(key, signer);
      const oldest = this.#recent.keys().next();
      if (this.#recent.size > 256 && !oldest.done) this.#recent.delete(oldest.value);
    }
    return signer;
  }
}
