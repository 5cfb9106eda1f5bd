/**
 * A backend that cannot run anything stops the executor before it registers:
 * `ready` rejects with the backend's BackendPreflightError, and the colony
 * (a real dev-server) never sees the executor, so no job is assigned to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendPreflightError, type Backend } from '@pollinator/backend';
import { createColoniesClient } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExecutor } from './run-executor';

let server: DevServer;
let root: string;

beforeAll(async () => {
  server = await startDevServer({});
  root = mkdtempSync(join(tmpdir(), 'pollinator-preflight-'));
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** A backend whose preflight answers `outcome`; every other method must never be reached. */
function backendWithPreflight(outcome: () => Promise<void>, calls: string[]): Backend {
  const unreachable = (name: string) => () => {
    throw new Error(`${name} called on a backend that failed its preflight`);
  };
  return {
    name: 'checked',
    preflight: async () => {
      calls.push('preflight');
      await outcome();
    },
    start: unreachable('start'),
    status: unreachable('status'),
    logs: unreachable('logs'),
    cancel: unreachable('cancel'),
  };
}

async function executorNames(): Promise<string[]> {
  const { colony, user } = server.identities;
  const client = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
  return (await client.getExecutors({ colonyName: colony.name })).map((executor) => executor.executorname);
}

describe('executor preflight', () => {
  it('a failing preflight rejects ready with the reason and registers nothing', async () => {
    const before = await executorNames();
    const calls: string[] = [];
    const refusal = new BackendPreflightError('checked', 'sbatch is not on the PATH', 'Run the executor on a login node.');
    const { colony } = server.identities;
    const executor = runExecutor({
      client: createColoniesClient({ url: server.url, privateKey: colony.privateKey, colonyName: colony.name }),
      backend: backendWithPreflight(() => Promise.reject(refusal), calls),
      fsDir: join(root, 'refused', 'fs'),
      stateDir: join(root, 'refused', 'state'),
      register: { colonyPrivateKey: colony.privateKey, name: 'preflight-refused' },
    });
    await expect(executor.ready).rejects.toBe(refusal);
    await expect(executor.done).rejects.toBe(refusal);
    expect(calls).toEqual(['preflight']);
    expect(await executorNames()).toEqual(before);
    expect(await executorNames()).not.toContain('preflight-refused');
  });

  it('a passing preflight runs first, then the executor registers', async () => {
    const calls: string[] = [];
    const { colony } = server.identities;
    const executor = runExecutor({
      client: createColoniesClient({ url: server.url, privateKey: colony.privateKey, colonyName: colony.name }),
      backend: backendWithPreflight(async () => {
        // Checked while the preflight runs: nothing is registered yet.
        expect(await executorNames()).not.toContain('preflight-passed');
      }, calls),
      fsDir: join(root, 'passed', 'fs'),
      stateDir: join(root, 'passed', 'state'),
      register: { colonyPrivateKey: colony.privateKey, name: 'preflight-passed' },
      assignTimeoutSeconds: 1,
    });
    await executor.ready;
    expect(calls).toEqual(['preflight']);
    expect(await executorNames()).toContain('preflight-passed');
    await executor.stop();
  });
});
