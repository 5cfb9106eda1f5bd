import { randomBytes } from 'node:crypto';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './index';
import { rpc } from './rpc-test-client.test-helpers';

// pollinatorgcmsg through a real server: files, snapshots and processes made
// with the ordinary messages, blobs as real files in the blob directory.

let server: DevServer;
let user: ReturnType<typeof rpc>;
let executor: ReturnType<typeof rpc>;
let owner: ReturnType<typeof rpc>;
beforeEach(async () => {
  server = await startDevServer({});
  user = rpc(server.url, server.identities.user.privateKey);
  executor = rpc(server.url, server.identities.executor.privateKey);
  owner = rpc(server.url, server.identities.colony.privateKey);
});
afterEach(async () => {
  await server.close();
});

/** A blob in the blob directory and the revision that names it; returns the blob key. */
async function upload(label: string, name: string, bytes: number): Promise<string> {
  const key = randomBytes(16).toString('hex');
  writeFileSync(join(server.blobDir, key), randomBytes(bytes));
  const file = { colonyname: 'dev', label, name, size: bytes, checksum: key, checksumalg: 'SHA256', ref: { protocol: 's3', s3object: { object: key } } };
  expect((await user('addfilemsg', { file })).status).toBe(200);
  return key;
}

async function snapshot(label: string, name: string): Promise<string> {
  const reply = await user('createsnapshotmsg', { colonyname: 'dev', label, name });
  expect(reply.status, reply.text).toBe(200);
  return reply.json.snapshotid as string;
}

/** Submits a run of `project` staging `srcSnapshot`, runs it to success with a log line and, optionally, a result snapshot attribute. */
async function finishedRun(project: string, srcSnapshot: string, resultSnapshot?: string): Promise<string> {
  const spec = {
    funcname: 'execute',
    maxexectime: -1,
    maxwaittime: -1,
    label: project,
    conditions: { colonyname: 'dev', executortype: 'container-executor' },
    fs: {
      mount: '/cfs',
      snapshots: [{ label: `/pollinator/${project}/src`, snapshotid: srcSnapshot, dir: `/pollinator/${project}/${srcSnapshot}/src`, keepfiles: true, keepsnapshot: true }],
      dirs: [{ label: `/pollinator/${project}/result`, dir: `/pollinator/${project}/result`, keepfiles: false }],
    },
  };
  const submitted = await user('submitfuncspecmsg', { spec });
  expect(submitted.status, submitted.text).toBe(200);
  const processId = submitted.json.processid as string;
  const assigned = await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
  expect(assigned.json.processid).toBe(processId);
  expect((await executor('addlogmsg', { processid: processId, message: 'hello from the job\n' })).status).toBe(200);
  if (resultSnapshot !== undefined) {
    const attribute = { targetid: processId, attributetype: 1, key: 'POLLINATOR_RESULT_SNAPSHOT', value: resultSnapshot };
    expect((await executor('addattributemsg', { attribute })).status).toBe(200);
  }
  expect((await executor('closesuccessfulmsg', { processid: processId })).status).toBe(200);
  return processId;
}

async function processExists(processId: string): Promise<boolean> {
  return (await user('getprocessmsg', { processid: processId })).status === 200;
}

async function snapshotExists(snapshotId: string): Promise<boolean> {
  return (await user('getsnapshotmsg', { colonyname: 'dev', snapshotid: snapshotId })).status === 200;
}

describe('pollinatorgcmsg', () => {
  it('removes old runs, what only they referenced and unreferenced blobs; keeps what kept runs and the newest revisions reference', async () => {
    const data = '/pollinator/p/data';
    const first = await upload(data, 'big.bin', 4000);
    await upload('/pollinator/p/src', 'main.py', 10);
    const oldSrc = await snapshot('/pollinator/p/src', 'src-1');
    const oldData = await snapshot(data, 'data-1');
    const second = await upload(data, 'big.bin', 5000);
    const newSrc = await snapshot('/pollinator/p/src', 'src-2');
    const newData = await snapshot(data, 'data-2');
    const third = await upload(data, 'big.bin', 6000);
    const oldRun = await finishedRun('p', oldSrc);
    // data-2 is kept through the new run's POLLINATOR_RESULT_SNAPSHOT attribute; data-1 is named by nobody.
    const newRun = await finishedRun('p', newSrc, newData);
    const orphan = randomBytes(16).toString('hex');
    writeFileSync(join(server.blobDir, orphan), randomBytes(700));
    const request = { colonyname: 'dev', keeplast: 1, keepdays: 0, graceseconds: 0 };

    const dry = await owner('pollinatorgcmsg', { ...request, dryrun: true });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.json).toMatchObject({
      dryRun: true,
      processes: [{ processid: oldRun, label: 'p', state: 2 }],
      logs: { lines: 1, bytes: 'hello from the job\n'.length },
      revisions: { count: 1, bytes: 4000 },
      blobs: { count: 2, bytes: 4700 },
    });
    expect(dry.json.snapshots.map((entry: { name: string }) => entry.name).sort()).toEqual(['data-1', 'src-1']);
    // A dry run changes nothing.
    expect(await processExists(oldRun)).toBe(true);
    expect(await snapshotExists(oldSrc)).toBe(true);
    expect(existsSync(join(server.blobDir, first))).toBe(true);
    expect(existsSync(join(server.blobDir, orphan))).toBe(true);

    const done = await owner('pollinatorgcmsg', { ...request, dryrun: false });
    expect(done.status, done.text).toBe(200);
    expect({ ...done.json, dryRun: true }).toEqual(dry.json);
    expect(await processExists(oldRun)).toBe(false);
    const lines = await user('searchlogsmsg', { colonyname: 'dev', text: 'hello from the job', days: 1, count: 100 });
    expect(lines.json.map((line: { processid: string }) => line.processid)).toEqual([newRun]);
    expect(await snapshotExists(oldSrc)).toBe(false);
    expect(await snapshotExists(oldData)).toBe(false);
    expect(existsSync(join(server.blobDir, first))).toBe(false);
    expect(existsSync(join(server.blobDir, orphan))).toBe(false);
    // Kept: the newest run, the snapshots it names (spec and result attribute), the revision data-2 holds, the newest revision.
    expect(await processExists(newRun)).toBe(true);
    expect(await snapshotExists(newSrc)).toBe(true);
    expect(await snapshotExists(newData)).toBe(true);
    expect(existsSync(join(server.blobDir, second))).toBe(true);
    expect(existsSync(join(server.blobDir, third))).toBe(true);
    const revisions = await user('getfilemsg', { colonyname: 'dev', label: data, name: 'big.bin', latest: false });
    expect(revisions.json.map((file: { size: number }) => file.size)).toEqual([6000, 5000]);

    // Nothing left to collect: a second collection frees nothing.
    const again = await owner('pollinatorgcmsg', { ...request, dryrun: false });
    expect(again.json).toMatchObject({ processes: [], snapshots: [], revisions: { count: 0 }, blobs: { count: 0, bytes: 0 } });
  });

  it('keeps a blob nobody names for the grace period (an upload writes it before its record)', async () => {
    const fresh = randomBytes(16).toString('hex');
    const stale = randomBytes(16).toString('hex');
    writeFileSync(join(server.blobDir, fresh), 'in flight');
    writeFileSync(join(server.blobDir, stale), 'abandoned');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(server.blobDir, stale), twoHoursAgo, twoHoursAgo);
    // Default grace: an hour.
    const reply = await owner('pollinatorgcmsg', { colonyname: 'dev', dryrun: false, keeplast: 5, keepdays: 7 });
    expect(reply.json).toMatchObject({ blobs: { count: 1, bytes: 'abandoned'.length }, retention: { keepLast: 5, keepDays: 7, graceSeconds: 3600 } });
    expect(existsSync(join(server.blobDir, fresh))).toBe(true);
    expect(existsSync(join(server.blobDir, stale))).toBe(false);
  });

  it('keeps each project\'s last runs, every unfinished run, and reports the staging dirs of unfinished ones', async () => {
    await upload('/pollinator/a/src', 'main.py', 10);
    await upload('/pollinator/b/src', 'main.py', 10);
    const a = await snapshot('/pollinator/a/src', 'a-src');
    const b = await snapshot('/pollinator/b/src', 'b-src');
    const runsOfA = [await finishedRun('a', a), await finishedRun('a', a), await finishedRun('a', a)];
    const runsOfB = [await finishedRun('b', b), await finishedRun('b', b)];
    const spec = { funcname: 'execute', maxexectime: -1, maxwaittime: -1, label: 'a', conditions: { colonyname: 'dev', executortype: 'container-executor' }, fs: { mount: '/cfs', snapshots: [], dirs: [{ label: '/pollinator/a/result', dir: '/pollinator/a/{processid}/result' }] } };
    const waiting = (await user('submitfuncspecmsg', { spec })).json.processid as string;

    const reply = await owner('pollinatorgcmsg', { colonyname: 'dev', dryrun: false, keeplast: 2, keepdays: 0, graceseconds: 0 });
    expect(reply.status, reply.text).toBe(200);
    // Project a: the waiting one and the newest finished one are its last two; b keeps both.
    expect(reply.json.processes.map((entry: { processid: string }) => entry.processid).sort()).toEqual([runsOfA[0], runsOfA[1]].sort());
    expect(reply.json.activeStagingDirs).toEqual([`/pollinator/a/${waiting}/result`]);
    for (const id of [runsOfA[2]!, ...runsOfB, waiting]) expect(await processExists(id)).toBe(true);
    // The src snapshots are still named by kept runs.
    expect(reply.json.snapshots).toEqual([]);
  });

  it('answers only the server owner and the colony owner', async () => {
    const request = { colonyname: 'dev', dryrun: true, keeplast: 1, keepdays: 1 };
    expect((await user('pollinatorgcmsg', request)).status).toBe(403);
    expect((await executor('pollinatorgcmsg', request)).status).toBe(403);
    expect((await rpc(server.url, server.identities.serverOwner.privateKey)('pollinatorgcmsg', request)).status).toBe(200);
    expect((await owner('pollinatorgcmsg', { ...request, keepdays: -1 })).status).toBe(400);
  });
});
