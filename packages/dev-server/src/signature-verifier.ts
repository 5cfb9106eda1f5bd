// Who signed a request: ColonyOS authenticates by *recovering* the signer's
// public key from the signature (colonies-protocol.md §1.5). Recovery costs
// ~1.5 ms in JavaScript, which would cap a single-threaded server at a few
// hundred requests per second. Clients sign many requests with the same few
// keys over the same keep-alive connections (a Pollinator client alternates
// between its user and executor identities over one connection pool), so we
// first try the keys that signed the latest requests on that connection:
// checking a signature against a known key with precomputed multiples costs
// ~0.4 ms. The check is exact — it
// accepts precisely the signatures whose recovery (with the given recovery
// id) yields that key — and anything else falls back to full recovery, so
// the outcome is always the id a real server would recover.
import { secp256k1 as curve } from '@noble/curves/secp256k1.js';
import { idOfPublicKey, sha3 } from '@pollinator/crypto';
import { forbidden } from './rpc-error';

type Point = ReturnType<typeof curve.Point.fromBytes>;

const N = curve.Point.CURVE().n;
const HALF_N = N >> 1n;

/** A key we have seen recently, with its id and precomputed multiples. */
export interface KnownSigner {
  readonly id: string;
  readonly point: Point;
}

interface ParsedSignature {
  r: bigint;
  s: bigint;
  v: number;
  bytes: Buffer;
}

function modInverse(value: bigint): bigint {
  let [lm, hm, low, high] = [1n, 0n, value % N, N];
  while (low > 1n) {
    const ratio = high / low;
    [lm, hm, low, high] = [hm - lm * ratio, lm, high - low * ratio, low];
  }
  return ((lm % N) + N) % N;
}

const HEX = /^[0-9a-fA-F]*$/;

/** The §1.5 checks, with the Go server's messages (all 403). */
function parseSignature(signature: string): ParsedSignature {
  if (!HEX.test(signature)) {
    const bad = [...signature].find((c) => !/[0-9a-fA-F]/.test(c)) ?? '?';
    const code = bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw forbidden(`encoding/hex: invalid byte: U+${code} '${bad}'`);
  }
  if (signature.length % 2 !== 0) throw forbidden('encoding/hex: odd length hex string');
  const bytes = Buffer.from(signature, 'hex');
  if (bytes.length !== 65) throw forbidden('Invalid signature length');
  const v = bytes[64]!;
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
  return { r, s, v, bytes };
}

function digestScalar(payload: string): bigint {
  return BigInt(`0x${Buffer.from(sha3(payload)).toString('hex')}`) % N;
}

/** True when recovering (r, s, v) over `e` yields exactly `point`. */
function recoversTo(parsed: ParsedSignature, e: bigint, point: Point): boolean {
  const w = modInverse(parsed.s);
  const u1 = (e * w) % N;
  const u2 = (parsed.r * w) % N;
  const sum = curve.Point.BASE.multiplyUnsafe(u1).add(point.multiplyUnsafe(u2));
  if (sum.equals(curve.Point.ZERO)) return false;
  const { x, y } = sum.toAffine();
  // R = u1·G + u2·Q must be the very point the recovery id designates:
  // x ≡ r (mod n), x ≥ n exactly when bit 1 is set, y parity = bit 0.
  return x % N === parsed.r && (x >= N) === ((parsed.v & 2) !== 0) && Number(y & 1n) === (parsed.v & 1);
}

export class SignatureVerifier {
  readonly #byId = new Map<string, KnownSigner>();
  readonly #maxKnown: number;

  constructor(maxKnownSigners = 32) {
    this.#maxKnown = maxKnownSigners;
  }

  /**
   * Returns the signer of `payload`. `hints` are keys that probably signed it
   * (the latest signers on the same connection, most recent first; at most
   * two are tried). Throws a 403 `RpcError` for every signature the Go server
   * rejects.
   */
  recover(payload: string, signature: string, hints: readonly KnownSigner[] = []): KnownSigner {
    const parsed = parseSignature(signature);
    const e = digestScalar(payload);
    for (let i = 0; i < hints.length && i < 2; i++) {
      if (recoversTo(parsed, e, hints[i]!.point)) return hints[i]!;
    }
    let point: Point;
    try {
      const recoverable = new Uint8Array(65);
      recoverable[0] = parsed.v & 3;
      recoverable.set(parsed.bytes.subarray(0, 64), 1);
      const publicKey = curve.recoverPublicKey(recoverable, sha3(payload), { prehash: false });
      point = curve.Point.fromBytes(publicKey);
    } catch (error) {
      throw forbidden(`Failed to recover public key: ${(error as Error).message}`);
    }
    const id = idOfPublicKey(point.toBytes(false));
    const known = this.#byId.get(id);
    if (known) {
      // Refresh its position in the LRU order.
      this.#byId.delete(id);
      this.#byId.set(id, known);
      return known;
    }
    point.precompute(4, false);
    const signer: KnownSigner = { id, point };
    this.#byId.set(id, signer);
    if (this.#byId.size > this.#maxKnown) {
      const oldest = this.#byId.keys().next().value;
      if (oldest !== undefined) this.#byId.delete(oldest);
    }
    return signer;
  }
}
