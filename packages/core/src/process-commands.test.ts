// Issue #13 case 9 through the real dev-server: a process whose kwargs hold a
// 9 MB string is submitted, read back and listed (the client's parser used to
// overflow the stack on it, so `run` failed after the process was created and
// `pollinator ps` failed for the whole colony).
import { createColoniesClient, UnreadableProcessError, type ColoniesClient, type ProcessListing } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProcessSummary, listProcesses, type UnreadableProcessSummary } from './process-commands';

let server: DevServer;
let user: ColoniesClient;

beforeAll(async () => {
  server = await startDevServer({});
  user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
});
afterAll(async () => server.close());

describe('a process holding a 9 MB string (real dev-server)', () => {
  it('is submitted, read back and listed next to the others', async () => {
    const blob = 'x'.repeat(9 * 1024 * 1024);
    const spec = { funcname: 'execute', label: 'big-kwargs', conditions: { executortype: server.identities.executor.type } };
    const big = await user.submit({ ...spec, kwargs: { cmd: 'true', blob } });
    expect(typeof big.prioritytime).toBe('bigint');
    const small = await user.submit({ ...spec, kwargs: { cmd: 'true' } });

    const read = await user.getProcess(big.processid);
    expect(read.spec.kwargs.blob === blob).toBe(true);
    expect((await getProcessSummary({ client: user, processId: big.processid })).label).toBe('big-kwargs');

    const unreadable: UnreadableProcessSummary[] = [];
    const listed = await listProcesses({ client: user, state: 'waiting', onUnreadable: (process) => unreadable.push(process) });
    expect(listed.map((process) => process.processId).sort()).toEqual([big.processid, small.processid].sort());
    expect(unreadable).toEqual([]);
  });
});

describe('listProcesses with a process the client cannot read', () => {
  const unreadable = new UnreadableProcessError({ payloadtype: 'getprocessesmsg', processId: 'b'.repeat(64), reason: 'JSON nested deeper than 512 levels' });

  /** A client whose listings hold the readable processes of the real dev-server plus one unreadable process per state. */
  function withOneUnreadable(): ColoniesClient {
    return {
      getProcessListing: async (...args: Parameters<ColoniesClient['getProcessListing']>): Promise<ProcessListing> => {
        const listing = await user.getProcessListing(...args);
        return { processes: listing.processes, unreadable: args[0]?.state === 0 ? [unreadable] : [] };
      },
    } as unknown as ColoniesClient;
  }

  it('lists the readable ones and reports the other with its id, state and reason', async () => {
    const reported: UnreadableProcessSummary[] = [];
    const listed = await listProcesses({ client: withOneUnreadable(), onUnreadable: (process) => reported.push(process) });
    expect(listed.length).toBeGreaterThan(0);
    expect(reported).toEqual([{ processId: 'b'.repeat(64), state: 'waiting', reason: 'JSON nested deeper than 512 levels' }]);
  });

  it('without onUnreadable, fails with the typed error naming it', async () => {
    await expect(listProcesses({ client: withOneUnreadable() })).rejects.toBe(unreadable);
  });
});
