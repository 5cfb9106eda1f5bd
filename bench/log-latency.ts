/**
 * Log line → terminal latency (issue #20), whole process: an in-process
 * dev-server with the real local executor (plain processes), a job that
 * prints lines carrying their wall-clock time, and `pollinator logs <id>
 * --follow` (the built CLI, `node packages/cli/bin/pollinator.js`) reading
 * them. Latency = when the line reached the CLI's stdout − the time printed
 * in it. Also counts, per second of following (the follower's first request
 * to its last, so the CLI's start-up time does not dilute it), the RPCs it sent
 * (through a counting proxy in front of the dev-server: getlogsmsg,
 * getprocessmsg, pollinatorwaitlogsmsg) and the executor's addlogmsg (the
 * dev-server's own request log), so "no more load" can be checked.
 *
 * Mode `poll`: the proxy answers `versionmsg` as a real v1.9.12 server
 * would, so the CLI polls as it does against one (the dev-server's log wait
 * is used only when `versionmsg` names the dev-server); mode `wait`: the
 * dev-server as it is; mode `before`: the old 500 ms loop (see
 * BEFORE_FOLLOWER). BENCH_MODES=before,poll,wait (default) measures all three.
 * Build first: `pnpm -s --filter @pollinator/cli... build`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor } from '@pollinator/core';
import { startDevServer } from '@pollinator/dev-server';
import { createLocalBackend } from '@pollinator/local';
import { median, percentile, pollinatorBin } from './lib/whole-process';

/** Pauses (ms) before each line the job prints: single lines with gaps, a steady stream, bursts. */
const SCENARIOS: Record<string, number[]> = {
  'single lines, 300–1200 ms gaps': Array.from({ length: 24 }, (_, index) => 300 + ((index * 373) % 900)),
  'steady, a line every 100 ms': Array.from({ length: 50 }, () => 100),
  'bursts of 10 lines, 1 s apart': Array.from({ length: 50 }, (_, index) => (index % 10 === 0 ? 1000 : 2)),
};
const MODES = (process.env.BENCH_MODES ?? 'before,poll,wait').split(',');
const ROUNDS = Number(process.env.BENCH_RUNS ?? 1);
/** The job waits this long before its first line, so the CLI is already following (no backlog). */
const START_DELAY_MS = 2500;

/**
 * Mode `before`: the follow loop as it was before issue #20 (core's
 * followUntilDone at cd92ed7: drain the log, read the process, sleep 500 ms),
 * in a process of its own, for a before/after in the same run on the same
 * machine load. The lines go to stdout as `logs --follow` prints them.
 */
const BEFORE_FOLLOWER = `
import { createColoniesClient } from '@pollinator/colonies-client';
const [url, privateKey, colonyName, processId] = process.argv.slice(-4);
const client = createColoniesClient({ url, privateKey, colonyName });
let cursor = 0n;
const drain = async () => {
  for (;;) {
    const logs = await client.getLogs({ processId, since: cursor, count: 500 });
    for (const log of logs) { process.stdout.write(log.message); cursor = log.timestamp; }
    if (logs.length < 500) return;
  }
};
for (;;) {
  await drain();
  const state = (await client.getProcess(processId)).state;
  if (state >= 2) { await drain(); break; }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
`;

const JOB = `
const pauses = JSON.parse(process.argv.at(-1));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
await sleep(${START_DELAY_MS});
for (const [index, pause] of pauses.entries()) {
  await sleep(pause);
  process.stdout.write('L ' + index + ' ' + Date.now() + '\\n');
}
`;

const root = mkdtempSync(join(tmpdir(), 'pollinator-bench-log-latency-'));
const serverCounts = new Map<string, number>();
const server = await startDevServer({
  dataDir: join(root, 'server'),
  logger: {
    error: () => undefined,
    warn: () => undefined,
    info: () => undefined,
    debug: (message, fields) => {
      if (message === 'rpc' && typeof fields?.payloadtype === 'string') serverCounts.set(fields.payloadtype, (serverCounts.get(fields.payloadtype) ?? 0) + 1);
    },
    enabled: () => true,
  },
});
const { colony, user, executor: executorIdentity } = server.identities;
const userClient = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
const executor = runExecutor({
  client: createColoniesClient({ url: server.url, privateKey: executorIdentity.privateKey, colonyName: colony.name }),
  backend: createLocalBackend({ mode: 'process' }),
  cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
  fsDir: join(root, 'fs'),
  stateDir: join(root, 'state'),
  executorName: executorIdentity.name,
});
await executor.ready;

// The follower's requests, counted by message type on their way to the dev-server.
const followerCounts = new Map<string, number>();
let posingAsRealServer = false;
/** The follower's first and last request: the rates are per second of following (not of the CLI's start-up). */
let firstRequestAt: number | undefined;
let lastRequestAt = 0;
const REAL_VERSION = Buffer.from(JSON.stringify({ buildversion: 'v1.9.12', buildtime: '2025-12-01T00:00:00Z', msgtype: 'versionmsg' })).toString('base64');
const target = new URL(server.url);
const proxy = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => {
    const body = Buffer.concat(chunks);
    try {
      const type = (JSON.parse(body.toString('utf8')) as { payloadtype?: string }).payloadtype ?? '?';
      followerCounts.set(type, (followerCounts.get(type) ?? 0) + 1);
      firstRequestAt ??= performance.now();
      lastRequestAt = performance.now();
      if (posingAsRealServer && type === 'versionmsg') {
        outgoing.writeHead(200, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ payloadtype: 'versionmsg', payload: REAL_VERSION, error: false }));
        return;
      }
    } catch {
      // not an RPC (health check)
    }
    const forward = request(
      { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (reply) => {
        outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    outgoing.on('close', () => forward.destroy());
    forward.end(body);
  });
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxyPort = (proxy.address() as AddressInfo).port;
const { COLONIES_SERVER_ID: _serverId, ...userEnv } = server.env('user');
const cliEnv = { ...process.env, ...userEnv, COLONIES_SERVER_HOST: '127.0.0.1', COLONIES_SERVER_PORT: String(proxyPort), COLONIES_SERVER_HTTP_PORT: String(proxyPort) };

interface Measured {
  latencies: number[];
  seconds: number;
  follower: Map<string, number>;
  addlogs: number;
}

async function measure(pauses: number[], mode: string): Promise<Measured> {
  const submitted = await userClient.submit({
    funcname: 'execute',
    maxexectime: 300,
    maxretries: 3,
    conditions: { executortype: executorIdentity.type, nodes: 1, processespernode: 1, cpu: '100m', mem: '10Mi', walltime: 300 },
    kwargs: { cmd: JSON.stringify(process.execPath), args: ['--input-type=module', '-e', JOB, JSON.stringify(pauses)], 'docker-image': 'none', 'init-cmd': '' },
  });
  followerCounts.clear();
  firstRequestAt = undefined;
  posingAsRealServer = mode === 'poll';
  const addlogsBefore = serverCounts.get('addlogmsg') ?? 0;
  const started = performance.now();
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const args =
    mode === 'before'
      ? ['--input-type=module', '-e', BEFORE_FOLLOWER, proxyUrl, user.privateKey, colony.name, submitted.processid]
      : [pollinatorBin(), 'logs', submitted.processid, '--follow'];
  const child = spawn(process.execPath, args, {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: cliEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const latencies: number[] = [];
  let pending = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const now = Date.now();
    stdout += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^L (\d+) (\d+)$/.exec(line.trim());
      if (match) latencies.push(now - Number(match[2]));
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = (lastRequestAt - (firstRequestAt ?? started)) / 1000;
  if (code !== 0 || latencies.length !== pauses.length) {
    throw new Error(`logs --follow exited ${code} with ${latencies.length}/${pauses.length} lines: ${stderr}\n${stdout.slice(-2000)}`);
  }
  return { latencies, seconds, follower: new Map(followerCounts), addlogs: (serverCounts.get('addlogmsg') ?? 0) - addlogsBefore };
}

const rate = (count: number, seconds: number) => (count / seconds).toFixed(2);
console.log(`log line → terminal, \`pollinator logs <id> --follow\` (whole process) on an in-process dev-server + local executor, ${ROUNDS} round(s)`);
console.log(
  `${'scenario'.padEnd(34)} ${'mode'.padEnd(6)} ${'lines'.padStart(5)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)}  follower RPC/s: all (getlogs+getprocess+waitlogs+other)  addlog/s`,
);
for (const [name, pauses] of Object.entries(SCENARIOS)) {
  for (const mode of MODES) {
    const all: Measured[] = [];
    for (let round = 0; round < ROUNDS; round += 1) all.push(await measure(pauses, mode));
    const latencies = all.flatMap((entry) => entry.latencies);
    const seconds = all.reduce((sum, entry) => sum + entry.seconds, 0);
    const count = (type: string) => all.reduce((sum, entry) => sum + (entry.follower.get(type) ?? 0), 0);
    const getlogs = count('getlogsmsg');
    const getprocess = count('getprocessmsg');
    const waits = count('pollinatorwaitlogsmsg');
    const allRequests = all.reduce((sum, entry) => sum + [...entry.follower.values()].reduce((a, b) => a + b, 0), 0);
    const other = allRequests - getlogs - getprocess - waits;
    const addlogs = all.reduce((sum, entry) => sum + entry.addlogs, 0);
    console.log(
      `${name.padEnd(34)} ${mode.padEnd(6)} ${String(latencies.length).padStart(5)} ${median(latencies).toFixed(0).padStart(4)}ms ${percentile(latencies, 95).toFixed(0).padStart(4)}ms ${percentile(latencies, 99).toFixed(0).padStart(4)}ms  ${rate(allRequests, seconds).padStart(5)} (${rate(getlogs, seconds)}+${rate(getprocess, seconds)}+${rate(waits, seconds)}+${rate(other, seconds)})${' '.repeat(16)}${rate(addlogs, seconds)}`,
    );
  }
}

await executor.stop();
await new Promise<void>((resolve) => proxy.close(() => resolve()));
proxy.closeAllConnections();
await server.close();
rmSync(root, { recursive: true, force: true });
