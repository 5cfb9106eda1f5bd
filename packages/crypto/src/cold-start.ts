import { createHmac } from 'node:crypto';
import * as secp256k1 from '@noble/secp256k1';

/**
 * The first few base-point multiplications of a process, without noble's
 * precomputed table.
 *
 * @noble/secp256k1 multiplies the base point G through a table of 4,224
 * multiples of G that it builds on first use: ~8× the cost of one plain
 * multiplication, repaid after a handful of signatures. A one-request command
 * (`pollinator status`: 2 multiplications, `ps`: 5) derives an id or two and
 * signs a few requests, so it would pay for the table and barely use it.
 * Here the first COLD_OPERATIONS
 * multiplications use a 16-entry table made on the spot instead (a fixed
 * 4-bit window: ~330 point additions, where noble's own ladder for a point
 * other than G takes 512 and its table 4,224). Later ones use
 * the table, as before. Twelve: the table costs about as much as fourteen
 * windowed multiplications, so a command making a dozen requests still gains,
 * and a long-running process pays at most about one table more, once. The
 * results are the same points, so signatures are byte-identical either way
 * (tests compare both on random keys and the conformance vectors).
 */
export const COLD_OPERATIONS = 12;

const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let coldOperationsLeft = COLD_OPERATIONS;

/** True (and counted) when the next base-point multiplication should skip the table. */
export function takeColdOperation(): boolean {
  if (coldOperationsLeft <= 0) return false;
  coldOperationsLeft -= 1;
  return true;
}

/**
 * k·G (1 ≤ k < n) with a fixed 4-bit window: 0·G … 15·G, then per nibble
 * from the top four doublings and one addition. Timing must not tell which
 * nibbles of k (a nonce, or the private key) are zero — leaked nonce lengths
 * are what lattice attacks on ECDSA need — so, as noble's own ladder does:
 * the scalar is k + 2n (the same point, since n·G is the identity; its top
 * nibble is 1 or 2, never 0), the accumulator starts at that nibble's entry
 * instead of the identity, and a zero nibble adds G into a discarded point
 * instead of adding the identity (BigInt arithmetic on zero coordinates is
 * faster). Every multiplication then makes the same 65 doublings-by-16 and
 * 65 additions of non-identity points.
 */
export function coldBaseMultiply(k: bigint): secp256k1.Point {
  const base = secp256k1.Point.BASE;
  const table: secp256k1.Point[] = [secp256k1.Point.ZERO, base];
  for (let i = 2; i < 16; i++) table.push(table[i - 1]!.add(base));
  const scalar = k + 2n * CURVE_ORDER;
  let accumulator = table[Number(scalar >> 256n)]!;
  let discarded = base;
  for (let shift = 252n; shift >= 0n; shift -= 4n) {
    accumulator = accumulator.double().double().double().double();
    const nibble = Number((scalar >> shift) & 15n);
    if (nibble === 0) discarded = discarded.add(base);
    else accumulator = accumulator.add(table[nibble]!);
  }
  // Keeps the discarded additions from being optimised away as dead code.
  if (discarded.equals(secp256k1.Point.ZERO)) throw new Error('unreachable: the discarded point is never the identity');
  return accumulator;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') || '0'}`);
}

function bigIntTo32Bytes(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** The uncompressed public key of a private key (already range-checked) by the plain ladder. */
export function coldPublicKey(keyBytes: Uint8Array): Uint8Array {
  return coldBaseMultiply(bytesToBigInt(keyBytes)).toBytes(false);
}

/**
 * ECDSA over a 32-byte hash as noble's `sign(hash, key, { prehash: false,
 * format: 'recovered' })` computes it: RFC 6979 nonce (HMAC-DRBG with
 * SHA-256), low-S, the recovery id first (0–3), then r ‖ s.
 */
export function coldSignRecovered(hash: Uint8Array, keyBytes: Uint8Array): Uint8Array {
  const n = CURVE_ORDER;
  const h1 = bytesToBigInt(hash) % n;
  const d = bytesToBigInt(keyBytes);
  const seed = Buffer.concat([bigIntTo32Bytes(d), bigIntTo32Bytes(h1)]);
  let v: Buffer = Buffer.alloc(32, 1);
  let k: Buffer = Buffer.alloc(32, 0);
  const hmac = (...parts: Uint8Array[]) => createHmac('sha256', k).update(Buffer.concat([v, ...parts])).digest();
  k = hmac(Buffer.of(0), seed);
  v = hmac();
  k = hmac(Buffer.of(1), seed);
  v = hmac();
  for (let attempt = 0; attempt < 1000; attempt++) {
    v = hmac();
    const nonce = bytesToBigInt(v);
    if (nonce >= 1n && nonce < n) {
      const q = coldBaseMultiply(nonce).toAffine();
      const r = q.x % n;
      if (r !== 0n) {
        let s = (secp256k1.etc.invert(nonce, n) * (h1 + r * d)) % n;
        if (s !== 0n) {
          let recovery = (q.x === r ? 0 : 2) | Number(q.y & 1n);
          if (s > n >> 1n) {
            s = n - s;
            recovery ^= 1;
          }
          return Buffer.concat([Buffer.of(recovery), bigIntTo32Bytes(r), bigIntTo32Bytes(s)]);
        }
      }
    }
    k = hmac(Buffer.of(0));
    v = hmac();
  }
  throw new Error('RFC 6979 nonce generation did not converge');
}
