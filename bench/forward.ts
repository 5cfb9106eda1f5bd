/**
 * Port-forward over process channels (issue #16): throughput and round-trip
 * latency through a forward on the dev-server, beside the raw channel figures.
 *
 * 1. Raw channels with @pollinator/colonies-client, in the shapes recorded on
 *    the real server (bench/anchors/channel-relay.json, copied from
 *    shared/conformance/measurements/): 64 KiB appends one at a time, 64 KiB
 *    with 8 in flight, 1 MiB with 4 in flight (5 s each); round trips of 64 B
 *    and 64 KiB (append, the other side echoes on a second channel). Also
 *    512 KiB with 4 in flight: the forward link's own append size and window.
 * 2. The same through a forward (`openForward` + `relayForwards` from
 *    @pollinator/port-forward) to a TCP server on loopback as the job's port:
 *    bulk through one connection (up to a sink, down from a source, both ways
 *    through an echo) and request/response round trips of 64 B and 64 KiB.
 *
 * The dev-server runs in a child process; both ends of every channel and of
 * the forward run in this one, as the anchors were measured (one Node process
 * beside the Go server on a 2-vCPU VM). Each measurement uses a fresh process
 * (its own rate-limit bucket: 100 appends/s after a burst of 500). Throughput
 * is measured in 3 rounds, raw and forward interleaved (a loaded machine
 * slows both alike), and the best of each is printed.
 *
 * Goals: forward throughput within 1.5× of the raw channel throughput (at
 * least two thirds of raw channels in the link's shape on the same server,
 * the ratio to the best raw shape printed beside it; through the
 * echo each byte crosses the channels twice, so its channel traffic counts),
 * and an interactive round trip (64 B) under 100 ms p95.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { startBenchColony, type Latencies } from './forward/bench-colony';
import { startJobPort } from './forward/job-port';
import { rawRoundTrips, rawThroughput, type ThroughputResult } from './forward/raw-channel';
import { forwardRoundTrips, forwardThroughput, type Direction } from './forward/through-forward';

interface RelayAnchor {
  throughput: Array<{ label: string; MBps: number }>;
  latency: Array<{ label: string; rttMs: Latencies }>;
}
interface ServerboundAnchor {
  runs: Array<{ payloadBytes: number; window: number; MBps: number }>;
}
const anchorFile = (name: string) => JSON.parse(readFileSync(new URL(`anchors/${name}`, import.meta.url), 'utf8')) as unknown;
const real = anchorFile('channel-relay.json') as RelayAnchor;
const serverbound = anchorFile('channel-relay-serverbound.json') as ServerboundAnchor;

const KiB = 1024;
const MiB = 1024 * KiB;
const SECONDS = 5;
const ROUNDS = 3;
const ROUND_TRIPS = 200;
// More than the link's burst (100 appends of 512 KiB), so its steady rate (40 appends/s per side) counts too.
const BULK_BYTES = 64 * MiB;
const TARGET_RATIO = 1.5;
const TARGET_P95_MS = 100;

const LINK_SHAPE = '512KiB-window4';
const SHAPES = [
  { label: '64KiB-sequential', name: '64 KiB sequential', bytes: 64 * KiB, window: 1 },
  { label: '64KiB-window8', name: '64 KiB window 8', bytes: 64 * KiB, window: 8 },
  { label: '1MiB-window4-capped', name: '1 MiB window 4', bytes: MiB, window: 4 },
  // The forward link's own shape (its defaults in port-forward's link.ts): the raw figure its overhead is judged against.
  { label: LINK_SHAPE, name: '512 KiB window 4 (link)', bytes: 512 * KiB, window: 4 },
] as const;

const DIRECTIONS = ['up', 'down', 'echo'] as const;
const NAMES: Record<Direction, string> = { up: 'bulk up (to the job)', down: 'bulk down (from the job)', echo: 'bulk echo (both ways)' };

const f = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ms = (l: Latencies) => `${f(l.p50, 1)} / ${f(l.p95, 1)} / ${f(l.p99, 1)}`;
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
const row = (cells: Array<[string, number]>) => cells.map(([text, width]) => (width < 0 ? text.padEnd(-width) : text.padStart(width))).join('  ');

const colony = await startBenchColony();
const jobPort = await startJobPort();
try {
  console.log(`port-forward over process channels, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`dev-server in a child process (${colony.url}); both ends in this process, as the anchors were measured`);

  // Throughput: ROUNDS rounds, raw and forward interleaved so both see the same machine load; the best of each.
  const raw = new Map<string, ThroughputResult>();
  const forward = new Map<Direction, number>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const shape of SHAPES) {
      const result = await rawThroughput(colony, shape.label, shape.bytes, shape.window, SECONDS);
      if (result.MBps > (raw.get(shape.label)?.MBps ?? 0)) raw.set(shape.label, result);
    }
    for (const direction of DIRECTIONS) {
      const result = await forwardThroughput(colony, jobPort, direction, BULK_BYTES);
      forward.set(direction, Math.max(forward.get(direction) ?? 0, result.MBps));
    }
  }

  console.log(`\nRaw channels (colonies-client), best of ${ROUNDS}   real server   real, pre-signed   dev-server   dev / real`);
  for (const shape of SHAPES) {
    const result = raw.get(shape.label)!;
    const anchor = real.throughput.find((run) => run.label === shape.label)?.MBps ?? Number.NaN;
    const presigned = serverbound.runs.find((run) => run.payloadBytes === shape.bytes && run.window === shape.window)?.MBps ?? Number.NaN;
    console.log(
      row([[`  ${shape.name}`, -26], ['MB/s', 6], [f(anchor), 18], [f(presigned), 18], [f(result.MBps), 12], [`${f(result.MBps / anchor)}×`, 11]]) +
        `   (${result.messages} appends, ${result.rateLimitRefusals} rate-limited and retried, ${result.outOfOrder} out of order)`,
    );
  }
  const rawRtt = new Map<number, Latencies>();
  for (const [bytes, label, name] of [[64, 'rtt-64B', '64 B'], [64 * KiB, 'rtt-64KiB', '64 KiB']] as const) {
    const result = await rawRoundTrips(colony, bytes, ROUND_TRIPS);
    rawRtt.set(bytes, result);
    const anchor = real.latency.find((run) => run.label === label)?.rttMs;
    console.log(
      row([[`  round trip ${name}`, -26], ['p50/p95/p99 ms', 6]]) +
        `  real ${anchor === undefined ? '–' : ms(anchor)}   dev-server ${ms(result)}   p95 dev / real ${anchor === undefined ? '–' : f(result.p95 / anchor.p95)}×`,
    );
  }

  const best = [...raw.values()].reduce((a, b) => (b.MBps > a.MBps ? b : a));
  const link = raw.get(LINK_SHAPE)!;
  const bestReal = Math.max(...real.throughput.map((run) => run.MBps));
  console.log(`\nThrough the forward (openForward + relayForwards, one TCP connection, ${BULK_BYTES / MiB} MiB), best of ${ROUNDS}`);
  console.log(
    `  goal: at least 1/${TARGET_RATIO} of raw channels in the link's shape (${f(link.MBps)} MB/s, 512 KiB window 4); ` +
      `best raw ${f(best.MBps)} MB/s (${best.label}); real server best ${f(bestReal)} MB/s`,
  );
  for (const direction of DIRECTIONS) {
    const MBps = forward.get(direction)!;
    // Through the echo every byte crosses the channels twice (up and back down), at the same time.
    const channelMBps = direction === 'echo' ? 2 * MBps : MBps;
    const ratio = link.MBps / channelMBps;
    console.log(
      row([[`  ${NAMES[direction]}`, -26], ['MB/s', 6], [f(MBps), 8]]) +
        (direction === 'echo' ? ` (channel traffic ${f(channelMBps)}, each byte twice)` : '') +
        `   raw/forward ${f(ratio)}× (best raw ${f(best.MBps / channelMBps)}×)   forward/real best ${f(channelMBps / bestReal)}×   goal ≤ ${TARGET_RATIO}×: ${met(ratio <= TARGET_RATIO)}`,
    );
  }
  for (const [bytes, name] of [[64, '64 B'], [64 * KiB, '64 KiB']] as const) {
    const result = await forwardRoundTrips(colony, jobPort, bytes, ROUND_TRIPS);
    const rawResult = rawRtt.get(bytes)!;
    const goal = bytes === 64 ? `   goal p95 < ${TARGET_P95_MS} ms: ${met(result.p95 < TARGET_P95_MS)}` : '';
    console.log(
      row([[`  round trip ${name}`, -26], ['p50/p95/p99 ms', 6]]) +
        `  forward ${ms(result)}   raw ${ms(rawResult)}   p95 forward / raw ${f(result.p95 / rawResult.p95)}×${goal}`,
    );
  }
  console.log(`load at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await jobPort.close();
  await colony.close();
}
