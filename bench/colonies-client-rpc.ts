/**
 * @pollinator/colonies-client against a loopback server: RPC round trips per
 * second and p50/p99 latency with signing included, and the share of the time
 * spent signing.
 *
 * The server runs in a child process (its own event loop and CPU accounting,
 * so the client's CPU time per call can be measured) and answers every request
 * at once with a recorded Colonies
 * v1.9.12 reply: a pretty-printed Process for getprocessmsg (so the lossless
 * int64 parsing is part of the cost), `{}` for addlogmsg. It does not verify
 * signatures: the figures are the client's cost plus loopback HTTP.
 */
import { cpus, loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import { createColoniesClient, createNodeFetch, encodeRequest } from '@pollinator/colonies-client';
import { generatePrivateKey, sign } from '@pollinator/crypto';
import { findFixtureStep } from '@pollinator/test-utils';

const getProcessStep = findFixtureStep('02-submit-assign-close.json', 'getprocess-waiting');
if (getProcessStep.kind === 'websocket') throw new Error('unexpected fixture');
const processReply = getProcessStep.response.rawBody;
const emptyReply = JSON.stringify({ payloadtype: 'addlogmsg', payload: Buffer.from('{}').toString('base64'), error: false });
const versionReply = JSON.stringify({
  payloadtype: 'versionmsg',
  payload: Buffer.from('{"buildversion":"bench","buildtime":"now"}').toString('base64'),
  error: false,
});

const serverCode = `
const http = require('node:http');
const { processReply, emptyReply, versionReply } = JSON.parse(process.env.BENCH_REPLIES);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const type = JSON.parse(Buffer.concat(chunks).toString()).payloadtype;
    const reply = type === 'getprocessmsg' ? processReply : type === 'versionmsg' ? versionReply : emptyReply;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(reply);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const child = spawn(process.execPath, ['-e', serverCode], {
  env: { ...process.env, BENCH_REPLIES: JSON.stringify({ processReply, emptyReply, versionReply }) },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));

const privateKey = generatePrivateKey();
const client = createColoniesClient({ url: `http://127.0.0.1:${port}`, privateKey, colonyName: 'bench' });
const processId = 'a'.repeat(64);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function sequential(label: string, n: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 300; i++) await call(); // warm-up: JIT, connection pool
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await call();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuMicros = (cpu.user + cpu.system) / n;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} ${(n / seconds).toFixed(0).padStart(6)} round trips/s   p50 ${percentile(latencies, 50).toFixed(3)} ms   p99 ${percentile(latencies, 99).toFixed(3)} ms   client CPU ${cpuMicros.toFixed(0)} µs/call`,
  );
  return cpuMicros;
}

async function concurrent(label: string, n: number, inFlight: number, call: () => Promise<unknown>): Promise<void> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < n) await call();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(34)} ${(n / seconds).toFixed(0).padStart(6)} round trips/s`);
}

/**
 * Share of a call's time spent signing, measured interleaved so both sides see
 * the same machine load: before each call, one extra signature of the same
 * kind of payload is timed; share = Σ signing / Σ call.
 */
async function signingShare(n: number, msgtype: string, fields: Record<string, unknown>, call: () => Promise<unknown>): Promise<{ share: number; micros: number }> {
  const payload = encodeRequest(msgtype, fields, undefined).payload;
  let signing = 0n;
  let calls = 0n;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    sign(payload, privateKey);
    const t1 = process.hrtime.bigint();
    await call();
    const t2 = process.hrtime.bigint();
    signing += t1 - t0;
    calls += t2 - t1;
  }
  return { share: Number(signing) / Number(calls), micros: Number(signing) / 1e3 / n };
}

const N = 3000;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`@pollinator/colonies-client, loopback HTTP (server in a child process), Node ${process.version}, ${cpus().length} CPUs, load ${load()}`);
await sequential('versionmsg (unsigned)', N, () => client.version());
const getCpu = await sequential('getProcess (signed, Process reply)', N, () => client.getProcess(processId));
const logCpu = await sequential('addLog (signed, {} reply)', N, () => client.addLog(processId, 'hello from the benchmark\n'));
await concurrent('getProcess, 16 in flight', N * 2, 16, () => client.getProcess(processId));
const get = await signingShare(N, 'getprocessmsg', { processid: processId }, () => client.getProcess(processId));
const log = await signingShare(N, 'addlogmsg', { processid: processId, message: 'hello from the benchmark\n' }, () =>
  client.addLog(processId, 'hello from the benchmark\n'),
);
console.log(
  `signing: ${get.micros.toFixed(0)} µs per getprocessmsg signature, ${log.micros.toFixed(0)} µs per addlogmsg signature`,
);
console.log(
  `share of a round trip's wall time spent signing: getProcess ${(get.share * 100).toFixed(1)}%, addLog ${(log.share * 100).toFixed(1)}%`,
);
console.log(
  `share of the client's CPU time spent signing: getProcess ${Math.min(100, (get.micros / getCpu) * 100).toFixed(1)}%, addLog ${Math.min(100, (log.micros / logCpu) * 100).toFixed(1)}%`,
);
// The same with the node:http keep-alive adapter instead of the global fetch (undici).
const nodeClient = createColoniesClient({ url: `http://127.0.0.1:${port}`, privateKey, colonyName: 'bench', fetch: createNodeFetch() });
await sequential('versionmsg, node:http adapter', N, () => nodeClient.version());
await sequential('getProcess, node:http adapter', N, () => nodeClient.getProcess(processId));
await concurrent('getProcess, 16 in flight, node:http', N * 2, 16, () => nodeClient.getProcess(processId));
console.log(`load at the end: ${load()}`);

child.stdin.end();
await new Promise((resolve) => child.once('exit', resolve));
