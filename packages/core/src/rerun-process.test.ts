// rerunProcess and diffRunRecords end to end against the dev-server: a rerun
// sees byte-identical inputs whatever happened to the labels since; a diff of
// two runs names what changed.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cfsMetadataFromClient, syncDirectory } from '@pollinator/cfs-sync';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes';
import { rerunProcess } from './rerun-process';
import { diffRunRecords } from './run-diff';
import { getRunRecord } from './run-record';
import { collect, drain, fixture, ofType, scriptedExecutor, serverState, useDevServer, writeProject } from './run-project.test-helpers';

useDevServer();

/** An executor whose job copies what it was given (data/hello.txt, src/main.py) into its results, as a real job would see them. */
function copyingExecutor(exitCode = 0): Promise<void> {
  return scriptedExecutor(async ({ process, client, uploadResult, recordResultSnapshot, readStaged }) => {
    await uploadResult({ 'seen-data.txt': await readStaged(1, 'hello.txt'), 'seen-src.py': await readStaged(0, 'main.py') });
    await recordResultSnapshot();
    await client.addAttribute({ processId: process.processid, key: 'EXITCODE', value: String(exitCode) });
    if (exitCode === 0) await client.closeSuccessful(process.processid);
    else await client.closeFailed(process.processid, `exit code ${exitCode}`);
  });
}

async function uploadElsewhere(label: string, files: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(join(fixture.workDir, 'teammate-'));
  for (const [name, contents] of Object.entries(files)) await writeFile(join(dir, name), contents);
  await syncDirectory({ dir, label, keepLocal: true, force: true, metadata: cfsMetadataFromClient(fixture.user), store: fixture.store, stateDir: false });
}

describe('rerunProcess', () => {
  it('gives the job byte-identical inputs after cfs/data changed locally and remotely, and records what it reran', async () => {
    const dir = await writeProject('again');
    const executor1 = copyingExecutor();
    const first = await collect({ dir });
    await executor1;
    expect(await readFile(join(dir, 'cfs', 'result', 'seen-data.txt'), 'utf8')).toBe('Hello world!\n');

    // Both sides move on: a local edit (run again) and a teammate's upload after it.
    await writeFile(join(dir, 'cfs', 'data', 'hello.txt'), 'Changed here\n');
    await writeFile(join(dir, 'cfs', 'src', 'main.py'), 'print("changed")\n');
    const executor2 = copyingExecutor();
    await collect({ dir });
    await executor2;
    await uploadElsewhere('/pollinator/again/data', { 'hello.txt': 'Changed remotely\n' });

    let outputDir = '';
    const executor3 = copyingExecutor();
    const rerun = await drain(
      rerunProcess({
        client: fixture.user,
        processId: first.result.processId!,
        blobStore: fixture.store,
        // Named after the new process, known only once it is submitted.
        outputDir: (processId) => (outputDir = join(fixture.workDir, `${processId.slice(0, 12)}-result`)),
        pollIntervalMs: 50,
        toolVersion: '1.2.3',
      }),
    );
    expect(outputDir).toBe(join(fixture.workDir, `${rerun.result.processId!.slice(0, 12)}-result`));
    await executor3;
    expect(rerun.result).toMatchObject({ state: 'success', exitCode: 0 });
    expect(rerun.result.processId).not.toBe(first.result.processId);
    expect(await readFile(join(outputDir, 'seen-data.txt'), 'utf8')).toBe('Hello world!\n');
    expect(await readFile(join(outputDir, 'seen-src.py'), 'utf8')).toBe('print(open("data/hello.txt").read())\n');
    expect(ofType(rerun.events, 'result.synced')[0]!.source).toMatchObject({ kind: 'snapshot', processId: rerun.result.processId });
    expect(rerun.events.map((event) => event.type).filter((type) => !type.startsWith('sync.') && type !== 'process.state')).toEqual([
      'spec.built',
      'process.submitted',
      'result.synced',
      'done',
    ]);

    const original = await getRunRecord({ client: fixture.user, processId: first.result.processId! });
    const again = await getRunRecord({ client: fixture.user, processId: rerun.result.processId! });
    expect(again).toMatchObject({
      rerunOf: first.result.processId,
      srcSnapshotId: original.srcSnapshotId,
      dataSnapshotId: original.dataSnapshotId,
      cliVersion: '1.2.3',
    });
    expect(again.spec.fs).toEqual(original.spec.fs);
    expect(again.spec.kwargs).toEqual(original.spec.kwargs);
  }, 60_000);

  it('refuses with a clear error, submitting nothing, when a snapshot it needs was removed', async () => {
    const dir = await writeProject('gone');
    const executor = copyingExecutor();
    const first = await collect({ dir });
    await executor;
    const record = await getRunRecord({ client: fixture.user, processId: first.result.processId! });
    await fixture.user.removeSnapshot({ snapshotId: record.dataSnapshotId! });
    const before = await serverState();
    const { events, result } = await drain(rerunProcess({ client: fixture.user, processId: first.result.processId!, blobStore: fixture.store }));
    expect(result).toMatchObject({ state: 'not-submitted', exitCode: ExitCode.NO_INPUT, error: { code: 'SNAPSHOT_REMOVED' } });
    const error = ofType(events, 'error')[0]!;
    expect(error.message).toContain(`the data snapshot ${record.dataSnapshotId} is gone`);
    expect(error.fix).toMatch(/pollinator run/);
    expect((await serverState()).processes).toEqual(before.processes);
  });

  it('submits without a blob store when it does not follow (the dashboard re-run), and refuses outputDir without one', async () => {
    const dir = await writeProject('unfollowed');
    const executor = copyingExecutor();
    const first = await collect({ dir });
    await executor;
    const processId = first.result.processId!;
    const rerun = await drain(rerunProcess({ client: fixture.user, processId, follow: false }));
    expect(rerun.result).toMatchObject({ state: 'waiting', detached: true, exitCode: 0 });
    const submitted = await fixture.user.getProcess(rerun.result.processId!);
    expect(submitted.spec.env?.POLLINATOR_RERUN_OF).toBe(processId);
    // Out of the way of the next tests' executors.
    await fixture.user.cancelProcess(rerun.result.processId!);
    await expect(rerunProcess({ client: fixture.user, processId, outputDir: join(fixture.workDir, 'nowhere') }).result).rejects.toThrow(/outputDir needs a blobStore/);
  });
});

describe('diffRunRecords', () => {
  it('lists the data file that changed between two runs, and nothing for unchanged src or spec', async () => {
    const dir = await writeProject('compare');
    const executor1 = copyingExecutor();
    const first = await collect({ dir });
    await executor1;
    await writeFile(join(dir, 'cfs', 'data', 'hello.txt'), 'Other data\n');
    await writeFile(join(dir, 'cfs', 'data', 'extra.csv'), '1,2\n');
    const executor2 = copyingExecutor(3);
    const second = await collect({ dir });
    await executor2;

    const diff = await diffRunRecords({ client: fixture.user, a: first.result.processId!, b: second.result.processId! });
    expect(diff.data).toMatchObject({
      available: true,
      added: [{ path: 'extra.csv', size: 4 }],
      removed: [],
      changed: [{ path: 'hello.txt', a: { size: 13 }, b: { size: 11 } }],
      unchanged: 0,
    });
    expect(diff.src).toMatchObject({ available: true, added: [], removed: [], changed: [], unchanged: 2 });
    // The snapshot ids differ, and are no change of the spec: the file lists say what changed.
    expect(diff.spec).toEqual([]);
    expect(diff.exitCode).toEqual({ a: 0, b: 3, changed: true });
    expect(diff.image).toEqual({ changed: false });
    expect(diff.durationMs.a).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(JSON.stringify(diff))).toEqual(diff);
  });

  it('lists spec changes field by field', async () => {
    const dir = await writeProject('spec-change');
    const first = await collect({ dir, follow: false });
    const yaml = await readFile(join(dir, 'project.yaml'), 'utf8');
    await writeFile(join(dir, 'project.yaml'), yaml.replace(/walltime: \d+/, 'walltime: 1234'));
    const second = await collect({ dir, follow: false, toolVersion: '2.0.0' });
    const diff = await diffRunRecords({ client: fixture.user, a: first.result.processId!, b: second.result.processId! });
    expect(diff.spec).toEqual([
      { path: 'conditions.walltime', a: expect.any(Number), b: 1234 },
      { path: 'env.POLLINATOR_CLI_VERSION', b: '2.0.0' },
      { path: 'maxexectime', a: expect.any(Number), b: 1234 },
    ]);
    expect(diff.exitCode).toEqual({ changed: false });
  });
});
