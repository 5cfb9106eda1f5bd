import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySync } from './apply';
import { LocalFileUnreadableError } from './errors';
import { planSync } from './plan';
import type { PlanOptions, SyncPlan } from './plan-types';
import { memorySetup, remoteRecord, tempDir, TEST_LABEL, writeTree } from './sync.test-helpers';

/** The uid the plan runs as when the tests run as root (root reads any file whatever its mode). */
const NOBODY = 65534;

/**
 * planSync as a user for whom a mode-000 file really is unreadable. Root
 * (CAP_DAC_OVERRIDE) opens it anyway, so when the tests run as root the plan
 * runs with the effective uid of `nobody` (seteuid applies to every thread of
 * the process, libuv's pool included) and the tree is made traversable for it.
 */
async function planAsUnprivileged(options: PlanOptions): Promise<SyncPlan> {
  if (process.getuid?.() !== 0) return planSync(options);
  await chmod(options.dir, 0o755);
  process.seteuid!(NOBODY);
  try {
    return await planSync(options);
  } finally {
    process.seteuid!(0);
  }
}

describe('a local file that cannot be read', () => {
  it('is planned as unreadable (not upload), and applySync refuses before uploading anything, naming it', async () => {
    const { metadata, store } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'readable\n', 'locked.bin': 'secret\n', 'z.txt': 'readable too\n' });
    await chmod(join(dir, 'a.txt'), 0o644);
    await chmod(join(dir, 'z.txt'), 0o644);
    await chmod(join(dir, 'locked.bin'), 0o000);

    const plan = await planAsUnprivileged({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir: false });
    const locked = plan.entries.find((entry) => entry.path === 'locked.bin')!;
    expect(locked).toMatchObject({ action: 'unreadable', size: 7 });
    expect(locked.reason).toMatch(/^cannot read the local file \(EACCES: permission denied\)/);
    expect(plan.summary.unreadable).toEqual({ files: 1 });
    expect(plan.summary.upload.files).toBe(2);

    const refusal = await applySync(plan, { store }).catch((error: unknown) => error);
    expect(LocalFileUnreadableError.isInstance(refusal)).toBe(true);
    const error = refusal as LocalFileUnreadableError;
    expect(error.code).toBe('LOCAL_FILE_UNREADABLE');
    expect(error.paths).toEqual(['locked.bin']);
    expect(error.message).toMatch(/locked\.bin \(cannot read the local file \(EACCES/);
    expect(error.message).toMatch(/chmod u\+r|\.pollinatorignore/);
    expect(metadata.revisions).toHaveLength(0);
    expect(store.objects.size).toBe(0);
  });

  it('one CFS has too (it must be hashed to compare) is unreadable as well', async () => {
    const { metadata, store } = await memorySetup();
    await metadata.addFile(remoteRecord(TEST_LABEL, 'shared.txt', 'remote\n', store));
    const dir = await tempDir();
    await writeTree(dir, { 'shared.txt': 'local\n' });
    await chmod(join(dir, 'shared.txt'), 0o000);
    const plan = await planAsUnprivileged({ dir, label: TEST_LABEL, metadata, keepLocal: false, stateDir: false });
    expect(plan.entries.map((entry) => [entry.path, entry.action])).toEqual([['shared.txt', 'unreadable']]);
    await expect(applySync(plan, { store })).rejects.toMatchObject({ code: 'LOCAL_FILE_UNREADABLE' });
    await chmod(join(dir, 'shared.txt'), 0o644);
    expect(await readFile(join(dir, 'shared.txt'), 'utf8')).toBe('local\n');
  });

  it('a download-only sync leaves an unreadable local-only file alone (it never reads it)', async () => {
    const { metadata } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'locked.bin': 'x' });
    await chmod(join(dir, 'locked.bin'), 0o000);
    const plan = await planAsUnprivileged({ dir, label: TEST_LABEL, metadata, keepLocal: false, direction: 'download', stateDir: false });
    expect(plan.entries.map((entry) => [entry.path, entry.action])).toEqual([['locked.bin', 'local-only']]);
  });
});
