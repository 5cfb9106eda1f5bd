import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySync } from './apply';
import { RemoteChangedError } from './errors';
import { createMemoryBlobStore } from './memory-blob-store';
import { createMemoryCfsMetadata } from './memory-metadata';
import { planSync } from './plan';
import { syncDirectory } from './sync';
import { sha, tempDir, TEST_LABEL } from './sync.test-helpers';

/**
 * Two clones of one project (two directories, each with its own state
 * directory) syncing with keepLocal against one CFS (metadata and store), as
 * two teammates do.
 */
async function teammates() {
  const metadata = createMemoryCfsMetadata('dev');
  const store = createMemoryBlobStore();
  const clone = async () => {
    const dir = await tempDir('clone-');
    const stateDir = await tempDir('clone-state-');
    return {
      dir,
      stateDir,
      write: (content: string) => writeFile(join(dir, 'model.py'), content),
      read: () => readFile(join(dir, 'model.py'), 'utf8'),
      plan: (extra: { force?: boolean; direction?: 'download' } = {}) => planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir, ...extra }),
      sync: (extra: { force?: boolean } = {}) => syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir, ...extra }),
    };
  };
  return { metadata, store, a: await clone(), b: await clone() };
}

const revisions = (metadata: ReturnType<typeof createMemoryCfsMetadata>) => metadata.revisions.map((file) => file.checksum);

describe('stale-remote detection (keepLocal)', () => {
  it('a teammate uploaded a newer revision, then I edited my older copy: the plan stops, naming the file and their revision time', async () => {
    const { metadata, store, a, b } = await teammates();
    await a.write('v1\n');
    await a.sync();
    await b.sync(); // B downloads v1: its stat cache remembers it synced v1
    expect(await b.read()).toBe('v1\n');
    await a.write('v2 from A\n');
    expect((await a.sync()).uploaded).toBe(1); // A's own edit of what it last synced: uploads
    const theirs = metadata.revisions.at(-1)!;
    await b.write('my edit of v1\n');

    const plan = await b.plan();
    const entry = plan.entries.find((candidate) => candidate.path === 'model.py')!;
    expect(entry).toMatchObject({
      action: 'conflict',
      reason: 'remote-changed',
      resolution: 'refuse',
      localSize: 14,
      remote: { checksum: sha('v2 from A\n'), size: 10, added: theirs.added },
    });
    expect(entry.detail).toMatch(/newer revision than the one this directory last synced/);
    expect(plan.summary.stale).toEqual({ files: 1, bytes: 14 });
    expect(plan.summary.conflict.files).toBe(1);

    const before = revisions(metadata);
    const refusal = await applySync(plan, { store }).catch((error: unknown) => error);
    expect(RemoteChangedError.isInstance(refusal)).toBe(true);
    const error = refusal as RemoteChangedError;
    expect(error.code).toBe('REMOTE_CHANGED');
    expect(error.files).toEqual([{ path: 'model.py', localSize: 14, remoteSize: 10, remoteChecksum: sha('v2 from A\n'), remoteAdded: theirs.added }]);
    expect(error.message).toContain(`model.py (changed in CFS at ${theirs.added})`);
    expect(error.message).toMatch(/Nothing was uploaded/);
    expect(revisions(metadata)).toEqual(before);
    expect(await b.read()).toBe('my edit of v1\n');

    // Forced: my version becomes the current revision; theirs stays in CFS.
    const forced = await b.plan({ force: true });
    expect(forced.force).toBe(true);
    expect(forced.entries.find((candidate) => candidate.path === 'model.py')).toMatchObject({ reason: 'remote-changed', resolution: 'upload' });
    const result = await applySync(forced, { store });
    expect(result.uploaded).toBe(1);
    expect(revisions(metadata)).toEqual([sha('v1\n'), sha('v2 from A\n'), sha('my edit of v1\n')]);
  });

  it('a clone that never edited but still has v1 while CFS has v2 does not upload v1 over it (stale too)', async () => {
    const { metadata, store, a, b } = await teammates();
    await a.write('v1\n');
    await a.sync();
    await b.sync();
    await a.write('v2\n');
    await a.sync();

    const plan = await b.plan();
    expect(plan.entries.find((candidate) => candidate.path === 'model.py')).toMatchObject({ action: 'conflict', reason: 'remote-changed' });
    await expect(applySync(plan, { store })).rejects.toBeInstanceOf(RemoteChangedError);
    expect(revisions(metadata)).toEqual([sha('v1\n'), sha('v2\n')]);
    // Taking theirs: a download-only plan updates the untouched copy without a backup.
    const pull = await b.plan({ direction: 'download' });
    expect(pull.entries.find((candidate) => candidate.path === 'model.py')).toMatchObject({ action: 'download' });
    const pulled = await applySync(pull, { store });
    expect(pulled.backups).toEqual([]);
    expect(await b.read()).toBe('v2\n');
    // …and from then on, B's own edits upload again.
    await b.write('v3 from B\n');
    const next = await b.sync();
    expect(next.uploaded).toBe(1);
    expect(revisions(metadata).at(-1)).toBe(sha('v3 from B\n'));
  });

  it('a local edit of the revision CFS still has uploads as before (remembered after upload and after download)', async () => {
    const { metadata, a, b } = await teammates();
    await a.write('v1\n');
    await a.sync();
    await a.write('v1 edited by A\n'); // remembered after A's upload
    const afterUpload = await a.plan();
    expect(afterUpload.entries.find((candidate) => candidate.path === 'model.py')).toMatchObject({ action: 'conflict', resolution: 'upload' });
    expect(afterUpload.summary.stale.files).toBe(0);
    await a.sync();
    await b.sync(); // B downloads A's edit
    await b.write('edited by B\n'); // remembered after B's download
    const result = await b.sync();
    expect(result.plan.summary.stale.files).toBe(0);
    expect(result.uploaded).toBe(1);
    expect(revisions(metadata)).toEqual([sha('v1\n'), sha('v1 edited by A\n'), sha('edited by B\n')]);
  });

  it('a file this directory has no record of, different from CFS, is stale (a fresh clone with an old copy)', async () => {
    const { metadata, store, a, b } = await teammates();
    await a.write('v1\n');
    await a.sync();
    await b.write('an old copy from somewhere\n');
    const plan = await b.plan();
    expect(plan.entries.find((candidate) => candidate.path === 'model.py')!.detail).toMatch(/no record of syncing it/);
    await expect(applySync(plan, { store })).rejects.toMatchObject({ code: 'REMOTE_CHANGED' });
    expect(metadata.revisions).toHaveLength(1);
  });

  it('one getfilemsg per stale file fills in the remote time; nothing extra on a plan without stale files', async () => {
    const { metadata, a, b } = await teammates();
    await a.write('v1\n');
    await a.sync();
    await b.write('other\n');
    const calls = metadata.calls.getLatestFile ?? 0;
    await b.plan();
    expect(metadata.calls.getLatestFile).toBe(calls + 1);
    await a.plan();
    expect(metadata.calls.getLatestFile).toBe(calls + 1);
  });
});
