// Many executors long-polling at once never get the same process: four
// executors drain 500 processes, each assigned exactly once.
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './index';

const PROCESSES = 500;
const EXECUTORS = 4;

describe('concurrent assignment', () => {
  let server: DevServer;
  let user: ColoniesClient;
  const executors: ColoniesClient[] = [];

  beforeAll(async () => {
    server = await startDevServer();
    const { colony, executor } = server.identities;
    user = createColoniesClient({
      url: server.url,
      privateKey: server.identities.user.privateKey,
      colonyName: colony.name,
      colonyPrivateKey: colony.privateKey,
    });
    executors.push(user.as(executor.privateKey));
    for (let i = 1; i < EXECUTORS; i++) {
      const key = generatePrivateKey();
      await user.asColonyOwner().addExecutor({
        executorid: idOf(key),
        executorname: `worker-${i}`,
        executortype: executor.type,
      });
      await user.asColonyOwner().approveExecutor(`worker-${i}`);
      // Each executor gets its own client (own connection pool), as separate processes would.
      executors.push(createColoniesClient({ url: server.url, privateKey: key, colonyName: colony.name }));
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`${EXECUTORS} long-polling executors share ${PROCESSES} processes, each assigned exactly once`, { timeout: 120_000 }, async () => {
    const assignedBy = new Map<string, string[]>();
    let closed = 0;
    let stop = false;
    const work = executors.map(async (client, index) => {
      let mine = 0;
      while (!stop) {
        const process = await client.assign({ timeout: 2 });
        if (!process) continue;
        const owners = assignedBy.get(process.processid) ?? [];
        owners.push(`executor-${index}`);
        assignedBy.set(process.processid, owners);
        expect(process.assignedexecutorid).toBe(client.id);
        await client.closeSuccessful(process.processid);
        mine++;
        if (++closed === PROCESSES) stop = true;
      }
      return mine;
    });

    // The executors are already waiting when the first submission arrives.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const submitted: string[] = [];
    const submitters = Array.from({ length: 8 }, async () => {
      while (submitted.length < PROCESSES) {
        submitted.push('');
        const slot = submitted.length - 1;
        const process = await user.submit({
          funcname: 'execute',
          conditions: { executortype: server.identities.executor.type },
          maxexectime: -1,
        });
        submitted[slot] = process.processid;
      }
    });
    await Promise.all(submitters);
    const perExecutor = await Promise.all(work);

    expect(new Set(submitted).size).toBe(PROCESSES);
    expect(assignedBy.size).toBe(PROCESSES);
    for (const id of submitted) expect(assignedBy.get(id), id).toHaveLength(1);
    expect(perExecutor.reduce((a, b) => a + b, 0)).toBe(PROCESSES);
    // Every executor took part (they all long-poll at once).
    for (const count of perExecutor) expect(count).toBeGreaterThan(0);
    const stats = await user.getColonyStatistics();
    expect(stats).toMatchObject({ successfulprocesses: PROCESSES, waitingprocesses: 0, runningprocesses: 0 });
  });
});
