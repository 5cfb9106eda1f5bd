/**
 * `pollinator executor start` with a backend that cannot run jobs here exits
 * 78 with the reason and what to do, and registers nothing: the colony (a
 * dev-server started by the test) lists the same executors afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createColoniesClient } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { colonyUserEnv, createSandbox, runCli, type Sandbox } from './cli-harness';

let server: DevServer;
let sandbox: Sandbox;
let env: Record<string, string | undefined>;
/** A PATH with nothing on it: no sbatch, no bwrap, no docker. */
let emptyPath: string;

beforeAll(async () => {
  server = await startDevServer({});
  sandbox = createSandbox();
  emptyPath = mkdtempSync(join(sandbox.dir, 'empty-path-'));
  env = colonyUserEnv(server, sandbox, {
    COLONIES_COLONY_PRVKEY: server.identities.colony.privateKey,
    // Read, never reached: the executor stops before it stages anything.
    AWS_S3_ENDPOINT: '127.0.0.1:9',
    AWS_S3_ACCESSKEY: 'unused',
    AWS_S3_SECRETKEY: 'unused',
    AWS_S3_BUCKET: 'unused',
    AWS_S3_TLS: 'false',
    KUBECONFIG: undefined,
    SLURM_CONF: undefined,
  });
});
afterAll(async () => {
  await server.close();
  sandbox.cleanup();
});

async function executorNames(): Promise<string[]> {
  const { colony, user } = server.identities;
  const client = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
  return (await client.getExecutors({ colonyName: colony.name })).map((executor) => executor.executorname).sort();
}

const start = (backend: string, extra: Record<string, string | undefined>, json = false) =>
  runCli(['executor', 'start', '--backend', backend, '--name', `preflight-${backend}`, ...(json ? ['--json'] : [])], {
    cwd: sandbox.dir,
    env: { ...env, ...extra },
    timeoutMs: 60_000,
  });

describe('executor start refuses a backend that cannot run jobs, before it registers', () => {
  it('slurm without sbatch on the PATH: exit 78, what is missing and what to do', async () => {
    const before = await executorNames();
    const result = await start('slurm', { PATH: emptyPath, POLLINATOR_SLURM_RUNTIME: 'none' });
    expect(result.code, result.stderr).toBe(CliExitCode.CONFIG);
    expect(result.stderr).toContain('The slurm backend cannot start');
    expect(result.stderr).toContain(`sbatch, squeue, scontrol, scancel are not on the PATH (${emptyPath}) (nothing was registered with the colony)`);
    expect(result.stderr).toContain('Run the executor on a Slurm login node');
    expect(result.stdout).not.toContain('takes jobs from');
    expect(await executorNames()).toEqual(before);
  });

  it('k8s without any Kubernetes configuration: exit 78, and how to give it one', async () => {
    const before = await executorNames();
    const result = await start('k8s', {});
    expect(result.code, result.stderr).toBe(CliExitCode.CONFIG);
    expect(result.stderr).toContain('The k8s backend cannot start');
    expect(result.stderr).toContain('no Kubernetes configuration: KUBECONFIG is not set, ~/.kube/config does not exist');
    expect(result.stderr).toContain('Set KUBECONFIG to a kubeconfig file for the cluster');
    expect(await executorNames()).toEqual(before);
    expect(await executorNames()).not.toContain('preflight-k8s');
  });

  it('local with bubblewrap required and not installed: exit 78 (also with --json)', async () => {
    const before = await executorNames();
    const result = await start('local', { PATH: emptyPath, POLLINATOR_LOCAL_ISOLATION: 'bwrap' }, true);
    expect(result.code, result.stderr).toBe(CliExitCode.CONFIG);
    expect(`${result.stdout}${result.stderr}`).toContain("isolation 'bwrap' requested but bwrap is missing or cannot create namespaces");
    expect(`${result.stdout}${result.stderr}`).toContain('POLLINATOR_LOCAL_ISOLATION=auto');
    expect(result.stdout).not.toContain('executor.ready');
    expect(await executorNames()).toEqual(before);
  });
});
