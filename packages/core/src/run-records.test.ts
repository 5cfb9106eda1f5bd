// Every run is a record (issue #14), end to end against the dev-server: the
// provenance on the process, the stop before uploading over a remote change,
// per-run results, and the records read back (getRunRecord, findLastRun).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cfsMetadataFromClient, syncDirectory } from '@pollinator/cfs-sync';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes';
import { pullInputs } from './pull-inputs';
import { pullResults } from './pull-results';
import { RESULT_LABEL_FALLBACK } from './result-download';
import { REMOTE_CHANGED_FIX } from './run-project-inputs';
import { findLastRun, getRunRecord } from './run-record';
import { RunRecordKey } from './run-record-keys';
import { collect, drain, fixture, ofType, scriptedExecutor, serverState, useDevServer, writeProject } from './run-project.test-helpers';

useDevServer();

/** Uploads `files` into a label from elsewhere, as a teammate's `pollinator run` would. */
async function uploadElsewhere(label: string, files: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(join(fixture.workDir, 'teammate-'));
  for (const [name, contents] of Object.entries(files)) await writeFile(join(dir, name), contents);
  await syncDirectory({ dir, label, keepLocal: true, force: true, metadata: cfsMetadataFromClient(fixture.user), store: fixture.store, stateDir: false });
}

async function remoteText(label: string, name: string): Promise<string> {
  const dir = await mkdtemp(join(fixture.workDir, 'remote-'));
  await syncDirectory({ dir, label, keepLocal: false, metadata: cfsMetadataFromClient(fixture.user), store: fixture.store, stateDir: false });
  return readFile(join(dir, name), 'utf8');
}

/** An executor that uploads `files` as results, records their snapshot (unless told not to), and succeeds. */
function resultExecutor(files: Record<string, string>, record = true): Promise<void> {
  return scriptedExecutor(async ({ process, client, uploadResult, recordResultSnapshot }) => {
    await uploadResult(files);
    if (record) await recordResultSnapshot();
    await client.addAttribute({ processId: process.processid, key: 'EXITCODE', value: '0' });
    await client.closeSuccessful(process.processid);
  });
}

describe('the process record of a run', () => {
  it('names both snapshots, the tool version and (outside git) no git state; getRunRecord reads it all back', async () => {
    const dir = await writeProject('provenance');
    const executor = scriptedExecutor(async ({ process, client, uploadResult, recordResultSnapshot, readStaged }) => {
      // The job's data comes from the data snapshot: what it sees is what the record names.
      await uploadResult({ 'seen.txt': await readStaged(1, 'hello.txt') });
      await recordResultSnapshot();
      await client.addAttribute({ processId: process.processid, key: RunRecordKey.image, value: 'python:3.12-slim' });
      await client.addAttribute({ processId: process.processid, key: RunRecordKey.imageDigest, value: 'sha256:abc' });
      await client.addAttribute({ processId: process.processid, key: 'EXITCODE', value: '0' });
      await client.closeSuccessful(process.processid);
    });
    const { events, result } = await collect({ dir, toolVersion: '9.8.7' });
    await executor;
    expect(result.exitCode).toBe(ExitCode.SUCCESS);
    const [src, data] = ofType(events, 'snapshot.created');
    const env = ofType(events, 'spec.built')[0]!.spec.env;
    expect(env).toEqual({
      PROJECT_DIR: '/cfs/pollinator/provenance',
      POLLINATOR_SRC_SNAPSHOT: src!.snapshotId,
      POLLINATOR_DATA_SNAPSHOT: data!.snapshotId,
      POLLINATOR_CLI_VERSION: '9.8.7',
    });
    expect(await readFile(join(dir, 'cfs', 'result', 'seen.txt'), 'utf8')).toBe('Hello world!\n');

    const record = await getRunRecord({ client: fixture.user, processId: result.processId! });
    expect(record).toMatchObject({
      processId: result.processId,
      projectName: 'provenance',
      state: 'success',
      exitCode: 0,
      executorType: 'container-executor',
      srcSnapshotId: src!.snapshotId,
      dataSnapshotId: data!.snapshotId,
      image: 'python:3.12-slim',
      imageDigest: 'sha256:abc',
      cliVersion: '9.8.7',
      retries: 0,
      errors: [],
    });
    expect(record.resultSnapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(record.executorName).toBe(fixture.server.identities.executor.name);
    expect(record.gitCommit).toBeUndefined();
    expect(record.started).toBeDefined();
    expect(record.ended).toBeDefined();
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('in a git work tree records the commit and whether it was dirty', async () => {
    const dir = await writeProject('in-git');
    const git = (...args: string[]) =>
      promisify(execFile)('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args]).then((out) => out.stdout.trim());
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'first');
    const head = await git('rev-parse', 'HEAD');
    const clean = await collect({ dir, follow: false });
    expect(ofType(clean.events, 'spec.built')[0]!.spec.env).toMatchObject({ POLLINATOR_GIT_COMMIT: head, POLLINATOR_GIT_DIRTY: 'false' });
    await writeFile(join(dir, 'cfs', 'src', 'main.py'), 'print(2)\n');
    const dirty = await collect({ dir, follow: false });
    expect(ofType(dirty.events, 'spec.built')[0]!.spec.env).toMatchObject({ POLLINATOR_GIT_COMMIT: head, POLLINATOR_GIT_DIRTY: 'true' });
    const record = await getRunRecord({ client: fixture.user, processId: dirty.result.processId! });
    expect(record).toMatchObject({ gitCommit: head, gitDirty: true, state: 'waiting' });
    expect(record.exitCode).toBeUndefined();
  });

  it('a project with an empty cfs/data gets an empty data snapshot the job can stage', async () => {
    const dir = await writeProject('no-data');
    await rm(join(dir, 'cfs', 'data', 'hello.txt'));
    const executor = scriptedExecutor(async ({ process, client, readStaged }) => {
      await expect(readStaged(1, 'hello.txt')).rejects.toThrow(/ENOENT/);
      await client.closeSuccessful(process.processid);
    });
    const { events, result } = await collect({ dir });
    await executor;
    expect(result.exitCode).toBe(ExitCode.SUCCESS);
    expect(ofType(events, 'snapshot.created').map((event) => [event.target, event.files])).toEqual([
      ['src', 2],
      ['data', 0],
    ]);
  });

  it('the root .pollinatorignore applies to cfs/src and cfs/data', async () => {
    const dir = await writeProject('ignored');
    await writeFile(join(dir, '.pollinatorignore'), '*.tmp\n');
    await writeFile(join(dir, 'cfs', 'src', 'scratch.tmp'), 'x');
    await writeFile(join(dir, 'cfs', 'data', 'big.tmp'), 'y');
    const { result } = await collect({ dir, follow: false });
    expect(result.exitCode).toBe(ExitCode.SUCCESS);
    expect((await fixture.user.getFiles('/pollinator/ignored/src')).map((file) => file.name)).toEqual(['main.py']);
    expect((await fixture.user.getFiles('/pollinator/ignored/data')).map((file) => file.name)).toEqual(['hello.txt']);
  });
});

describe('a file changed remotely since the last sync, and locally too', () => {
  it('stops before anything is uploaded (exit 73, plan shows the same stop); --force uploads; pull --inputs takes the remote copies', async () => {
    const dir = await writeProject('stale');
    const first = await collect({ dir, follow: false });
    expect(first.result.exitCode).toBe(ExitCode.SUCCESS);
    // A teammate uploads a new data file; here both a src file and the data file are edited.
    await uploadElsewhere('/pollinator/stale/data', { 'hello.txt': 'Hello from a teammate!\n' });
    await writeFile(join(dir, 'cfs', 'data', 'hello.txt'), 'Hello from me!\n');
    await writeFile(join(dir, 'cfs', 'src', 'main.py'), 'print("mine")\n');
    const before = await serverState();

    for (const dryRun of [true, false]) {
      const { events, result } = await collect({ dir, dryRun });
      expect(result).toMatchObject({ state: 'not-submitted', exitCode: ExitCode.REMOTE_CHANGED, error: { code: 'REMOTE_CHANGED' } });
      const error = ofType(events, 'error')[0]!;
      expect(error).toMatchObject({ code: 'REMOTE_CHANGED', exitCode: 73, fix: REMOTE_CHANGED_FIX });
      expect(error.message).toMatch(/cfs\/data\/hello\.txt/);
      expect(error.details).toEqual({
        files: [{ target: 'data', path: 'hello.txt', localSize: 15, remoteSize: 23, remoteAdded: expect.stringMatching(/^\d{4}-/) }],
      });
      // Both plans were made, nothing moved: not even the src file, whose remote side did not change.
      expect(ofType(events, 'sync.plan').map((event) => [event.target, event.stale.files])).toEqual([
        ['src', 0],
        ['data', 1],
      ]);
      expect(ofType(events, 'sync.done')).toEqual([]);
      expect(await serverState()).toEqual(before);
    }

    const forced = await collect({ dir, force: true, follow: false });
    expect(forced.result.exitCode).toBe(ExitCode.SUCCESS);
    expect(await remoteText('/pollinator/stale/data', 'hello.txt')).toBe('Hello from me!\n');

    // The other way out: the teammate changes it again; pull --inputs takes theirs and keeps mine as a backup.
    await uploadElsewhere('/pollinator/stale/data', { 'hello.txt': 'Teammate again\n' });
    await writeFile(join(dir, 'cfs', 'data', 'hello.txt'), 'Mine again\n');
    await writeFile(join(dir, 'cfs', 'data', 'only-here.txt'), 'local only\n');
    const pulled = await drain(pullInputs({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir }));
    expect(pulled.result.exitCode).toBe(ExitCode.SUCCESS);
    expect(await readFile(join(dir, 'cfs', 'data', 'hello.txt'), 'utf8')).toBe('Teammate again\n');
    const backups = (await readdir(join(dir, 'cfs', 'data'))).filter((name) => name.startsWith('hello.txt') && name !== 'hello.txt');
    expect(backups).toHaveLength(1);
    expect(await readFile(join(dir, 'cfs', 'data', backups[0]!), 'utf8')).toBe('Mine again\n');
    // Download-only: the local-only file stays local.
    expect((await fixture.user.getFiles('/pollinator/stale/data')).map((file) => file.name)).not.toContain('only-here.txt');
    expect(ofType(pulled.events, 'sync.plan').map((event) => [event.target, event.upload.files])).toEqual([
      ['src', 0],
      ['data', 0],
    ]);
    // Now in step with CFS: the next run uploads only the local-only file (never the backup).
    const after = await collect({ dir, follow: false });
    expect(after.result.exitCode).toBe(ExitCode.SUCCESS);
    expect((await fixture.user.getFiles('/pollinator/stale/data')).map((file) => file.name).sort()).toEqual(['hello.txt', 'only-here.txt']);
  });
});

describe('results of a run', () => {
  it("run and pull download the run's own result snapshot, not whatever the label holds now", async () => {
    const dir = await writeProject('per-run');
    const executor1 = resultExecutor({ 'out.txt': 'first\n' });
    const first = await collect({ dir });
    await executor1;
    expect(ofType(first.events, 'result.synced')[0]).toMatchObject({
      source: { kind: 'snapshot', processId: first.result.processId },
      downloaded: { files: 1 },
      skipped: [],
    });
    const executor2 = resultExecutor({ 'out.txt': 'second\n' });
    const second = await collect({ dir });
    await executor2;
    expect(await readFile(join(dir, 'cfs', 'result', 'out.txt'), 'utf8')).toBe('second\n');

    // pull <first>: the first run's results (the local copy was the second run's download, not an edit: no backup).
    const pulled = await drain(pullResults({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir, processId: first.result.processId! }));
    expect(pulled.result).toMatchObject({ exitCode: 0, processId: first.result.processId });
    expect(await readFile(join(dir, 'cfs', 'result', 'out.txt'), 'utf8')).toBe('first\n');
    const synced = ofType(pulled.events, 'result.synced')[0]!;
    expect(synced.source).toEqual({ kind: 'snapshot', snapshotId: expect.stringMatching(/^[0-9a-f]{64}$/), processId: first.result.processId });
    expect(synced.backups).toEqual([]);

    // pull (no id): the project's last run.
    const last = await drain(pullResults({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir }));
    expect(last.result.processId).toBe(second.result.processId);
    expect(await readFile(join(dir, 'cfs', 'result', 'out.txt'), 'utf8')).toBe('second\n');
    expect((await findLastRun({ client: fixture.user, projectName: 'per-run' }))?.processId).toBe(second.result.processId);
    expect(await findLastRun({ client: fixture.user, projectName: 'no-runs' })).toBeUndefined();
  });

  it('without a recorded result snapshot (the Go executor), the label is downloaded with a RESULT_LABEL_FALLBACK warning; pull uploads nothing', async () => {
    const dir = await writeProject('go-executor');
    const executor = resultExecutor({ 'out.txt': 'label\n' }, false);
    const { events, result } = await collect({ dir });
    await executor;
    expect(result.exitCode).toBe(0);
    expect(ofType(events, 'warning')).toEqual([{ type: 'warning', code: RESULT_LABEL_FALLBACK, message: expect.stringMatching(/did not record per-run results/) }]);
    expect(ofType(events, 'result.synced')[0]!.source).toEqual({ kind: 'label', label: '/pollinator/go-executor/result', fallback: true });

    await writeFile(join(dir, 'cfs', 'result', 'mine.txt'), 'local\n');
    const pulled = await drain(pullResults({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir, processId: result.processId! }));
    expect(pulled.result.exitCode).toBe(0);
    expect(ofType(pulled.events, 'warning').map((event) => event.code)).toEqual([RESULT_LABEL_FALLBACK]);
    expect((await fixture.user.getFiles('/pollinator/go-executor/result')).map((file) => file.name)).toEqual(['out.txt']);
  });

  it('a run that never started (could-not-start) made no results: the warning says so, not that the executor records none', async () => {
    const dir = await writeProject('never-started');
    const executor = scriptedExecutor(async ({ process, client }) => {
      const out = { processId: process.processid, type: 1 } as const;
      await client.addAttribute({ ...out, key: RunRecordKey.failureCause, value: 'could-not-start' });
      await client.addAttribute({ ...out, key: RunRecordKey.failureDetail, value: 'could not start: the image could not be pulled' });
      await client.closeFailed(process.processid, ['Failed to pull container image']);
    });
    const { events } = await collect({ dir });
    await executor;
    expect(ofType(events, 'warning')).toEqual([
      { type: 'warning', code: RESULT_LABEL_FALLBACK, message: expect.stringMatching(/never started, so it made no results/) },
    ]);
  });

  it('a run that has not finished has no result snapshot yet: the warning says so, not that the executor records none', async () => {
    const dir = await writeProject('still-waiting');
    const { result } = await collect({ dir, follow: false });
    const pulled = await drain(pullResults({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir, processId: result.processId! }));
    expect(pulled.result.exitCode).toBe(0);
    expect(ofType(pulled.events, 'warning')).toEqual([
      { type: 'warning', code: RESULT_LABEL_FALLBACK, message: expect.stringMatching(/has not finished: its own results are recorded when it ends/) },
    ]);
    await fixture.user.cancelProcess(result.processId!);
  });

  it("refuses to pull another project's run into this one", async () => {
    const other = await writeProject('other');
    const executor = resultExecutor({ 'out.txt': 'x\n' });
    const { result } = await collect({ dir: other });
    await executor;
    const dir = await writeProject('this');
    const pulled = await drain(pullResults({ dir, client: fixture.user, blobStore: fixture.store, processId: result.processId! }));
    expect(pulled.result).toMatchObject({ exitCode: ExitCode.USAGE, error: { code: 'WRONG_PROJECT' } });
    await expect(readdir(join(dir, 'cfs', 'result'))).rejects.toThrow();
  });
});

