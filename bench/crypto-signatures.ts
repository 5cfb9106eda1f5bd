/**
 * Signatures and recoveries per second on one core, the way every RPC uses
 * them: the message is a base64 payload of a typical size.
 *
 * Anchors (this machine kind): a pure-BigInt implementation (what the existing
 * ColonyOS TypeScript client ships) ≈ 1,000 signatures/s; @noble/secp256k1
 * used well ≈ 4,500/s. Goal: ≥ 4,000/s.
 */
import * as secp256k1 from '@noble/secp256k1';
import { generatePrivateKey, idOf, recoverId, sha3, sign } from '@pollinator/crypto';

const PURE_BIGINT_ANCHOR = 1_000;
const NOBLE_ANCHOR = 4_500;
const GOAL = 4_000;

const privateKey = generatePrivateKey();
const payloads = Array.from({ length: 256 }, (_, index) =>
  Buffer.from(JSON.stringify({ msgtype: 'getprocessmsg', processid: index.toString(16).padStart(64, '0') })).toString('base64'),
);

function measure(label: string, durationMs: number, action: (index: number) => void): number {
  // Warm up the JIT and noble's precomputed tables before timing.
  for (let index = 0; index < 300; index++) action(index);
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let batch = 0; batch < 50; batch++) action(count++);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const perSecond = count / seconds;
  console.log(`${label.padEnd(12)} ${perSecond.toFixed(0).padStart(7)}/s  (${((seconds / count) * 1e6).toFixed(1)} µs each, ${count} runs)`);
  return perSecond;
}

const signatures = payloads.map((payload) => sign(payload, privateKey));
const id = idOf(privateKey);

console.log('@pollinator/crypto on one core');
// The same machine's ceiling at this moment: bare @noble/secp256k1 signing of
// a ready digest (this package's hooks are installed by the import above).
const keyBytes = Buffer.from(privateKey, 'hex');
const digests = payloads.map((payload) => sha3(payload));
const bareRate = measure('bare noble', 2_000, (index) =>
  secp256k1.sign(digests[index % digests.length]!, keyBytes, { prehash: false, format: 'recovered' }),
);
const signRate = measure('sign', 2_000, (index) => sign(payloads[index % payloads.length]!, privateKey));
const recoverRate = measure('recover', 2_000, (index) => {
  const slot = index % payloads.length;
  if (recoverId(payloads[slot]!, signatures[slot]!) !== id) throw new Error('recovered a wrong id');
});
console.log(
  `sign: ${(signRate / PURE_BIGINT_ANCHOR).toFixed(1)}× the pure-BigInt anchor (${PURE_BIGINT_ANCHOR}/s), ` +
    `${(signRate / NOBLE_ANCHOR).toFixed(2)}× the noble anchor (${NOBLE_ANCHOR}/s); goal ${GOAL}/s: ${signRate >= GOAL ? 'met' : 'NOT met'}`,
);
console.log(`sign through @pollinator/crypto (hash, encode, checks): ${((signRate / bareRate) * 100).toFixed(0)}% of bare noble on this machine now`);
console.log(`recover: ${recoverRate.toFixed(0)}/s`);
