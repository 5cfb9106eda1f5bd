/**
 * The failure cause end to end on real Slurm (issue #17): `runProject` (what `pollinator run` does) against
 * `@pollinator/dev-server`, executed by `runExecutor` with the Slurm backend. A job whose batch script
 * exits 0 after one of its steps failed — `sacct` says COMPLETED (desispec#2744) — fails, and the executor
 * records the cause on the process (`POLLINATOR_FAILURE_CAUSE`, `POLLINATOR_FAILURE_DETAIL`) and says it in
 * the process log before the close; `process.state` carries it to the submitter.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, RunRecordKey, runProject, type PollinatorEvent, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { scaffoldProject } from '@pollinator/spec-builder';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, slurmAvailable, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason);

describe.skipIf(!slurmAvailable)(`failure causes through the executor on real Slurm${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  let server: DevServer;
  let root: string;
  let executor: RunningExecutor;
  beforeAll(async () => {
    server = await startDevServer({});
    root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-cause-e2e-'));
    executor = runExecutor({
      client: createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName: server.identities.colony.name }),
      // srun off: the command runs in the batch step, so its own srun is a step of the job.
      backend: createSlurmBackend({ runtime: 'none', srun: false, pendingNoticeDelayMs: 0 }),
      cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
      fsDir: join(root, 'fs'),
      stateDir: join(root, 'executor'),
      assignTimeoutSeconds: 1,
      watchIntervalMs: 500,
    });
    await executor.ready;
  });
  afterAll(async () => {
    await executor?.stop('cancel');
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('a job Slurm calls COMPLETED whose step failed fails, with the cause on the process and in its log', { timeout: 120_000 }, async () => {
    const dir = join(root, 'project');
    await scaffoldProject(dir, { projectName: 'slurm-cause-e2e' });
    writeFileSync(join(dir, 'project.yaml'), readFileSync(join(dir, 'project.yaml'), 'utf8').replace(/init-cmd: .*/, 'init-cmd: ""'));
    writeFileSync(
      join(dir, 'cfs', 'src', 'main.py'),
      'import subprocess\nprint("step exit", subprocess.run(["srun", "sh", "-c", "exit 4"]).returncode, flush=True)\nprint("the script goes on and exits 0", flush=True)\n',
    );
    const user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
    const running = runProject({ dir, client: user, blobStore: createLocalBlobStore({ dir: server.blobDir }), stateDir: join(root, 'cfs-state'), pollIntervalMs: 200 });
    const events: PollinatorEvent[] = [];
    for await (const event of running) events.push(event);
    const result = await running.result;
    const logs = events.flatMap((event) => (event.type === 'log' ? [event.message] : [])).join('');
    expect(result, logs).toMatchObject({ state: 'failed', exitCode: 4 });
    expect(logs).toContain('the script goes on and exits 0\n');
    const detail = "failed: exit code 4 — see the job's output for why";
    expect(logs).toContain(`Pollinator: ${detail}\n`);
    const final = events.filter((event) => event.type === 'process.state').at(-1);
    expect(final).toMatchObject({ state: 'failed', cause: { kind: 'failed', detail } });
    const process = await user.getProcess(result.processId!);
    const out = (key: string) => process.attributes.find((attribute) => attribute.key === key && attribute.attributetype === 1)?.value;
    expect(out(RunRecordKey.failureCause)).toBe('failed');
    expect(out(RunRecordKey.failureDetail)).toBe(detail);
    expect(process.errors.join('\n')).toContain('exit code = 4');
  });
});
