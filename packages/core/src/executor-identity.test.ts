import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { idOf } from '@pollinator/crypto';
import { establishIdentity, removeIdentity, type IdentityContext } from './executor-identity';
import { ExecutorReporter } from './executor-reporter';
import { ExecutorStateFile } from './executor-state';
import type { ExecutorClient, ExecutorEvent } from './executor-types';

const OWNER_KEY = '1'.repeat(64);

/** The colony as the identity code sees it: executors by name, and every call made with which key. */
class Colony {
  executors = new Map<string, { executorid: string; state: number }>();
  calls: string[] = [];
  failRemove = false;

  clientFor(privateKey: string | undefined): ExecutorClient {
    return clientOf(this, privateKey);
  }
}

function clientOf(colony: Colony, privateKey: string | undefined): ExecutorClient {
  const id = privateKey ? idOf(privateKey) : undefined;
  const who = privateKey === OWNER_KEY ? 'owner' : 'executor';
  const client: Partial<ExecutorClient> = {
    id,
    colonyName: 'dev',
    as: (key: string) => colony.clientFor(key),
    async addExecutor(executor) {
      colony.calls.push(`${who} add ${executor.executorname}`);
      colony.executors.set(executor.executorname, { executorid: executor.executorid, state: 0 });
      return {};
    },
    async approveExecutor(name) {
      colony.calls.push(`${who} approve ${name}`);
      colony.executors.get(name)!.state = 1;
    },
    async getExecutor(name) {
      colony.calls.push(`${who} get ${name}`);
      const executor = colony.executors.get(name);
      if (!executor) throw Object.assign(new Error('executor not found'), { status: 404 });
      return executor;
    },
    async removeExecutor(name) {
      colony.calls.push(`${who} remove ${name}`);
      if (colony.failRemove) throw new Error('server down');
      colony.executors.delete(name);
    },
  };
  return client as ExecutorClient;
}

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function setUp(colony: Colony, options: { register?: boolean; key?: string } = {}) {
  root ??= mkdtempSync(join(tmpdir(), 'pollinator-identity-'));
  const client = colony.clientFor(options.key);
  const events: ExecutorEvent[] = [];
  const connection = { client };
  const context: IdentityContext & { reporter: ExecutorReporter } = {
    settings: { client, colonyName: 'dev', register: options.register === false ? undefined : { colonyPrivateKey: OWNER_KEY, name: 'worker' } },
    state: new ExecutorStateFile(join(root, 'executor-state.json')),
    connection,
    reporter: new ExecutorReporter(connection, (event) => events.push(event)),
  };
  return { context, events };
}

describe('establishIdentity', () => {
  it('registers with a generated secp256k1 key (added and approved by the owner) and saves it', async () => {
    const colony = new Colony();
    const { context } = setUp(colony);
    await establishIdentity(context);
    const saved = context.state.executor!;
    expect(saved.name).toBe('worker');
    expect(saved.privateKey).toMatch(/^[0-9a-f]{64}$/);
    expect(saved.id).toBe(idOf(saved.privateKey));
    expect(context.connection.client.id).toBe(saved.id);
    expect(colony.executors.get('worker')).toEqual({ executorid: saved.id, state: 1 });
    expect(colony.calls).toEqual(['owner add worker', 'owner approve worker']);
  });

  it('after a restart, keeps the saved identity the colony still knows, approving it again if needed', async () => {
    const colony = new Colony();
    const first = setUp(colony);
    await establishIdentity(first.context);
    const saved = first.context.state.executor!;
    colony.executors.get('worker')!.state = 0;
    colony.calls = [];
    const second = setUp(colony);
    await establishIdentity(second.context);
    expect(second.context.connection.client.id).toBe(saved.id);
    expect(colony.calls).toEqual(['executor get worker', 'owner approve worker']);
  });

  it('registers the saved key again when the colony forgot the executor', async () => {
    const colony = new Colony();
    const first = setUp(colony);
    await establishIdentity(first.context);
    const saved = first.context.state.executor!;
    colony.executors.clear();
    colony.calls = [];
    const second = setUp(colony);
    await establishIdentity(second.context);
    expect(second.context.state.executor).toEqual(saved);
    expect(colony.calls).toEqual(['executor get worker', 'owner add worker', 'owner approve worker']);
  });

  it('without registration, takes the client as it is, and refuses a client without a key', async () => {
    const colony = new Colony();
    const preRegistered = setUp(colony, { register: false, key: '2'.repeat(64) });
    await establishIdentity(preRegistered.context);
    expect(preRegistered.context.connection.client.id).toBe(idOf('2'.repeat(64)));
    const keyless = setUp(colony, { register: false });
    await expect(establishIdentity(keyless.context)).rejects.toThrow(/the client has no private key/);
    expect(colony.calls).toEqual([]);
  });
});

describe('removeIdentity', () => {
  it('removes the executor and forgets the saved identity', async () => {
    const colony = new Colony();
    const { context } = setUp(colony);
    await establishIdentity(context);
    await removeIdentity(context, 'finish');
    expect(colony.executors.has('worker')).toBe(false);
    expect(context.state.executor).toBeNull();
  });

  it('keeps the identity when detached or when jobs are left for a restart', async () => {
    const colony = new Colony();
    const { context } = setUp(colony);
    await establishIdentity(context);
    await removeIdentity(context, 'detach');
    context.state.put({ processId: 'p1', handle: null, cursor: '', assignedAt: new Date().toISOString(), deadline: null });
    await removeIdentity(context, 'finish');
    expect(colony.executors.has('worker')).toBe(true);
    expect(context.state.executor).not.toBeNull();
  });

  it('warns when the removal fails, keeping the saved identity', async () => {
    const colony = new Colony();
    const { context, events } = setUp(colony);
    await establishIdentity(context);
    colony.failRemove = true;
    await removeIdentity(context, 'cancel');
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', message: 'could not remove executor worker: server down' }));
    expect(context.state.executor).not.toBeNull();
  });
});
