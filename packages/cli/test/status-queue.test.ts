import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { QUEUE_ATTRIBUTE, runExecutor, runProject, type PollinatorEvent, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { createSlurmBackend } from '@pollinator/slurm';
import { scaffoldProject } from '@pollinator/spec-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { colonyUserEnv, createSandbox, runCli, type Sandbox } from './cli-harness';

// "Why is my job waiting?" (issue #17) through the real binary: a Slurm executor (the real Slurm of
// scripts/services/slurm-up.sh, runtime none) takes a job for the partition that is down there; it
// records where the job waits on the process, and `status`, `status --json` and `run`'s events say it.

const slurmAvailable = process.env.POLLINATOR_TEST_SLURM === '1';
const downPartition = process.env.POLLINATOR_SLURM_DOWN_PARTITION ?? 'down';
if (process.env.POLLINATOR_REQUIRE_SERVICES === '1' && !slurmAvailable) {
  it('required service is available (Slurm)', () => {
    throw new Error('POLLINATOR_REQUIRE_SERVICES=1 but no Slurm: run scripts/services/slurm-up.sh');
  });
}

describe.skipIf(!slurmAvailable)(`a pending Slurm job in status and run${slurmAvailable ? '' : ' (skipped: no Slurm, run scripts/services/slurm-up.sh)'}`, () => {
  let server: DevServer;
  let sandbox: Sandbox;
  let root: string;
  let executor: RunningExecutor;
  beforeAll(async () => {
    server = await startDevServer({});
    sandbox = createSandbox();
    root = mkdtempSync(join(tmpdir(), 'pollinator-status-queue-'));
    executor = runExecutor({
      client: createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName: server.identities.colony.name }),
      backend: createSlurmBackend({ runtime: 'none', queueRefreshMs: 1000 }),
      cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
      fsDir: join(root, 'fs'),
      stateDir: join(root, 'executor'),
      assignTimeoutSeconds: 1,
      watchIntervalMs: 300,
    });
    await executor.ready;
  });
  afterAll(async () => {
    await executor?.stop('cancel');
    await server?.close();
    sandbox?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("a job for a partition that is down: status says it will not start and what to do; --json carries the queue", { timeout: 180_000 }, async () => {
    const dir = join(root, 'project');
    await scaffoldProject(dir, { projectName: 'status-queue' });
    const yaml = readFileSync(join(dir, 'project.yaml'), 'utf8').replace(/init-cmd: .*/, 'init-cmd: ""');
    writeFileSync(join(dir, 'project.yaml'), `${yaml}\nslurm:\n  partition: ${downPartition}\n`);
    const user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
    const stop = new AbortController();
    const running = runProject({
      dir,
      client: user,
      blobStore: createLocalBlobStore({ dir: server.blobDir }),
      stateDir: join(root, 'cfs-state'),
      pollIntervalMs: 200,
      signal: stop.signal,
      cancelOnAbort: true,
    });
    const events: PollinatorEvent[] = [];
    const collected = (async () => {
      for await (const event of running) events.push(event);
    })();
    const blocked = `partition '${downPartition}' is down: ask your admins or choose another partition in slurm.partition`;
    try {
      const queued = () => events.find((event) => event.type === 'process.state' && event.queue !== undefined);
      for (let attempt = 0; queued() === undefined && attempt < 300; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(queued(), JSON.stringify(events.filter((event) => event.type !== 'sync.progress'))).toMatchObject({
        type: 'process.state',
        state: 'running',
        queue: { reasonCode: 'PartitionDown', reason: 'PartitionDown (the partition is down)', partition: downPartition, blocked },
      });
      const processId = events.find((event) => event.type === 'process.submitted')?.processId;
      expect(processId).toBeDefined();
      const env = colonyUserEnv(server, sandbox);

      const status = await runCli(['status', processId!], { cwd: sandbox.dir, env, timeoutMs: 60_000 });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`^Waiting +will not start: partition '${downPartition}' is down: ask your admins or choose another partition in slurm\\.partition$`, 'm'));

      const json = await runCli(['status', processId!, '--json'], { cwd: sandbox.dir, env, timeoutMs: 60_000 });
      const line = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(line).toMatchObject({ type: 'process', state: 'running', queue: { reasonCode: 'PartitionDown', blocked, position: expect.any(Number), of: expect.any(Number) } });
      expect(eventProblems(line)).toBe('');
      // run --json writes the same event inside the envelope of every line.
      expect(eventProblems({ schemaVersion: line.schemaVersion, time: line.time, ...queued()! })).toBe('');

      // The process log (what `run` prints as "executor: …") says it once.
      const process = await user.getProcess(processId!);
      expect(process.attributes.filter((attribute) => attribute.key.startsWith(`${QUEUE_ATTRIBUTE}_`) && attribute.attributetype === 1)).toHaveLength(1);
      for (let attempt = 0; !events.some((event) => event.type === 'log' && event.message.includes('waiting in the queue')) && attempt < 50; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const logs = events.flatMap((event) => (event.type === 'log' ? [event.message] : [])).join('');
      expect(logs).toContain(`Pollinator: waiting in the queue: will not start: ${blocked}\n`);
    } finally {
      stop.abort();
      await collected.catch(() => undefined);
    }
  });
});
