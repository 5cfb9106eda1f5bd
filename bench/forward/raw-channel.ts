// Raw process channels with @pollinator/colonies-client, in the shapes of the
// real-server measurements (bench/anchors/channel-relay.json): the submitter
// appends, the assigned executor receives by `subscribechannelmsg` (push), both
// sides in this process, as the anchors were measured.
import { channelRefusal, type ChannelEntry, type ChannelSubscription, type ColoniesClient } from '@pollinator/colonies-client';
import { latencies, type BenchColony, type Latencies } from './bench-colony';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes `i mod 256`, as the recorded fixtures' payloads. */
export function payloadOf(bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, index) => index % 256);
}

export interface Receiver {
  stop(): Promise<void>;
}

/** Every entry of a channel in the server's order, re-subscribing after each timeout `[]`. */
export function receive(client: ColoniesClient, processId: string, name: string, onEntries: (entries: ChannelEntry[]) => void): Receiver {
  let fromIndex = 0;
  let stopped = false;
  let current: ChannelSubscription | undefined;
  let failure: Error | undefined;
  const loop = (async () => {
    while (!stopped) {
      current = client.subscribeChannel({ processId, name, fromIndex, timeoutSeconds: 10 });
      for await (const entries of current) {
        fromIndex += entries.length;
        onEntries(entries);
      }
    }
  })().catch((error: unknown) => {
    if (!stopped) failure = error instanceof Error ? error : new Error(String(error));
  });
  return {
    async stop() {
      stopped = true;
      await current?.return?.();
      await loop;
      if (failure !== undefined) throw failure;
    },
  };
}

/** One append; a rate-limit refusal waits 50 ms and retries the same entry (counted). */
async function append(client: ColoniesClient, processId: string, name: string, sequence: number, payload: Uint8Array, counts: { refusals: number }): Promise<void> {
  for (;;) {
    try {
      await client.appendChannel({ processId, name, sequence, payload });
      return;
    } catch (error) {
      if (channelRefusal(error) !== 'rate-limited') throw error;
      counts.refusals++;
      await sleep(50);
    }
  }
}

/** Resolves once `done()` holds, checked after each received frame. */
function until(done: () => boolean, what: string, timeoutMs = 60_000): { check(): void; reached: Promise<void> } {
  let resolve!: () => void;
  const reached = new Promise<void>((settle, reject) => {
    resolve = settle;
    setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs).unref();
  });
  return { check: () => done() && resolve(), reached };
}

export interface ThroughputResult {
  label: string;
  messages: number;
  bytes: number;
  seconds: number;
  MBps: number;
  rateLimitRefusals: number;
  outOfOrder: number;
}

/** Appends `payloadBytes` for `seconds` with `window` appends in flight; MB/s = bytes received / time to the last one. */
export async function rawThroughput(colony: BenchColony, label: string, payloadBytes: number, window: number, seconds: number): Promise<ThroughputResult> {
  const process = await colony.startProcess(['bench-up']);
  const processId = process.processid;
  const payload = payloadOf(payloadBytes);
  const counts = { refusals: 0 };
  let sending = true;
  let appended = 0;
  let received = 0;
  let bytes = 0;
  let outOfOrder = 0;
  let highest = 0n;
  let lastAt = 0;
  const all = until(() => !sending && received >= appended, `${label}: every append received`);
  const receiver = receive(colony.executor, processId, 'bench-up', (entries) => {
    for (const entry of entries) {
      received++;
      bytes += entry.payload?.byteLength ?? 0;
      if (entry.sequence < highest) outOfOrder++;
      else highest = entry.sequence;
    }
    lastAt = performance.now();
    all.check();
  });
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let sequence = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (performance.now() < deadline) {
        await append(colony.user, processId, 'bench-up', ++sequence, payload, counts);
        appended++;
      }
    }),
  );
  sending = false;
  all.check();
  await all.reached;
  await receiver.stop();
  await colony.endProcess(processId);
  const elapsed = (lastAt - start) / 1000;
  return { label, messages: received, bytes, seconds: elapsed, MBps: bytes / elapsed / 1e6, rateLimitRefusals: counts.refusals, outOfOrder };
}

/** Round trips: the submitter appends `payloadBytes` on one channel, the executor echoes it on another. */
export async function rawRoundTrips(colony: BenchColony, payloadBytes: number, roundTrips: number): Promise<Latencies & { refusals: number }> {
  const process = await colony.startProcess(['bench-up', 'bench-down']);
  const processId = process.processid;
  const payload = payloadOf(payloadBytes);
  const counts = { refusals: 0 };
  const echoes: Array<Promise<void>> = [];
  const echo = receive(colony.executor, processId, 'bench-up', (entries) => {
    for (const entry of entries) echoes.push(append(colony.executor, processId, 'bench-down', Number(entry.sequence), entry.payload ?? new Uint8Array(), counts));
  });
  const waiting = new Map<number, () => void>();
  const back = receive(colony.user, processId, 'bench-down', (entries) => {
    for (const entry of entries) waiting.get(Number(entry.sequence))?.();
  });
  const samples: number[] = [];
  const warmUp = 10;
  for (let sequence = 1; sequence <= roundTrips + warmUp; sequence++) {
    const returned = new Promise<void>((resolve) => waiting.set(sequence, resolve));
    const t0 = performance.now();
    await append(colony.user, processId, 'bench-up', sequence, payload, counts);
    await returned;
    if (sequence > warmUp) samples.push(performance.now() - t0);
  }
  await Promise.all(echoes);
  await Promise.all([echo.stop(), back.stop()]);
  await colony.endProcess(processId);
  return { ...latencies(samples), refusals: counts.refusals };
}
