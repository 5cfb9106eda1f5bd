/**
 * `POST /api/runs/:id/rerun` against a real dev-server: the new process has
 * the recorded spec and POLLINATOR_RERUN_OF, a rerun whose input snapshot is
 * gone submits nothing, and cross-site posts are refused like cancel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RerunReply } from './api-types';
import { startDashboardColony, type DashboardColony } from './dashboard.test-helpers';

let colony: DashboardColony;
const sameOrigin = () => ({ origin: `http://127.0.0.1:${colony.dashboard.port}`, 'sec-fetch-site': 'same-origin' });
const WAITING = 0;

beforeAll(async () => {
  colony = await startDashboardColony({ toolVersion: '9.8.7-test' });
});
afterAll(async () => {
  await colony?.close();
});

/** Every process of the colony, whatever its state (to see that nothing was submitted). */
async function processCount(): Promise<number> {
  const listings = await Promise.all(([0, 1, 2, 3, 4] as const).map((state) => colony.user.getProcessListing({ state, count: 100 })));
  return listings.reduce((sum, listing) => sum + listing.processes.length, 0);
}

describe('re-run from the dashboard', () => {
  it('submits an ended run again with its recorded spec and answers the new process id', async () => {
    const original = await colony.user.submit({
      funcname: 'execute',
      label: 'again',
      args: ['python', 'train.py'],
      env: { EPOCHS: '3' },
      conditions: { executortype: colony.server.identities.executor.type },
      maxexectime: 600,
    });
    const assigned = await colony.executor.assign({ timeout: 5 });
    expect(assigned?.processid).toBe(original.processid);
    await colony.executor.closeSuccessful(original.processid);

    const reply = await colony.call(`/api/runs/${original.processid}/rerun`, { method: 'POST', headers: sameOrigin() });
    expect(reply.status, reply.text).toBe(201);
    const rerun = JSON.parse(reply.text) as RerunReply;
    expect(rerun).toEqual({ processId: expect.stringMatching(/^[0-9a-f]{64}$/), rerunOf: original.processid, warnings: [] });
    expect(rerun.processId).not.toBe(original.processid);

    const created = await colony.user.getProcess(rerun.processId);
    expect(created.state).toBe(WAITING);
    expect(created.spec.label).toBe('again');
    expect(created.spec.args).toEqual(['python', 'train.py']);
    expect(created.spec.env).toEqual(expect.objectContaining({ EPOCHS: '3', POLLINATOR_RERUN_OF: original.processid, POLLINATOR_CLI_VERSION: '9.8.7-test' }));
    expect(created.spec.conditions.executortype).toBe(colony.server.identities.executor.type);
    // The run page of the new process shows what it repeats.
    const detail = JSON.parse((await colony.call(`/api/runs/${rerun.processId}`)).text) as { spec: { env: Record<string, string> } };
    expect(detail.spec.env.POLLINATOR_RERUN_OF).toBe(original.processid);
    await colony.user.cancelProcess(rerun.processId);
  });

  it('warns when the run read its data from the label rather than a snapshot', async () => {
    const original = await colony.user.submit({
      funcname: 'execute',
      label: 'old-style',
      conditions: { executortype: colony.server.identities.executor.type },
      fs: { mount: '/cfs', dirs: [{ label: '/pollinator/old-style/data', dir: '/pollinator/old-style/data', keepfiles: false, onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: false } } }] },
      maxexectime: 600,
    });
    const reply = await colony.call(`/api/runs/${original.processid}/rerun`, { method: 'POST' });
    expect(reply.status, reply.text).toBe(201);
    const rerun = JSON.parse(reply.text) as RerunReply;
    expect(rerun.warnings).toEqual([{ code: 'RERUN_DATA_FROM_LABEL', message: expect.stringContaining("data is read from the project's data label as it is now") }]);
    await colony.user.cancelProcess(rerun.processId);
    await colony.user.cancelProcess(original.processid);
  });

  it('refuses with 409 and submits nothing when a snapshot of its inputs is gone', async () => {
    const gone = 'f'.repeat(64);
    const original = await colony.user.submit({
      funcname: 'execute',
      label: 'gone',
      conditions: { executortype: colony.server.identities.executor.type },
      fs: { mount: '/cfs', snapshots: [{ snapshotid: gone, label: '/pollinator/gone/src', dir: '/pollinator/gone/src', keepfiles: false, keepsnapshot: false }] },
      maxexectime: 600,
    });
    await colony.user.cancelProcess(original.processid);
    const before = await processCount();
    const reply = await colony.call(`/api/runs/${original.processid}/rerun`, { method: 'POST', headers: sameOrigin() });
    expect(reply.status, reply.text).toBe(409);
    const { error } = JSON.parse(reply.text) as { error: { code: string; message: string } };
    expect(error.code).toBe('DASHBOARD_RERUN_REFUSED');
    expect(error.message).toContain(`the src snapshot ${gone} is gone`);
    expect(error.message).toContain('nothing was submitted');
    expect(error.message).toContain('pollinator run');
    expect(await processCount()).toBe(before);
  });

  it('answers 404 for an unknown process, 400 for a bad id, 405 for GET', async () => {
    const missing = await colony.call(`/api/runs/${'0'.repeat(64)}/rerun`, { method: 'POST' });
    expect(missing.status, missing.text).toBe(404);
    expect((await colony.call('/api/runs/not-an-id/rerun', { method: 'POST' })).status).toBe(400);
    const processId = await colony.submit('get-is-not-rerun');
    expect((await colony.call(`/api/runs/${processId}/rerun`)).status).toBe(405);
    await colony.user.cancelProcess(processId);
  });

  it('refuses cross-site re-runs (Origin, Sec-Fetch-Site) and a request without the session token', async () => {
    const processId = await colony.submit('cross-site-rerun');
    await colony.user.cancelProcess(processId);
    const before = await processCount();
    const rerun = `/api/runs/${processId}/rerun`;
    const foreign = await colony.call(rerun, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.text).toBe('refused: a cross-site request from http://evil.example\n');
    expect((await colony.call(rerun, { method: 'POST', headers: { 'sec-fetch-site': 'same-site' } })).status).toBe(403);
    expect((await colony.call(rerun, { method: 'POST', token: false, headers: sameOrigin() })).status).toBe(401);
    expect(await processCount()).toBe(before);
  });
});
