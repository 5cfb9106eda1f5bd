import { describe, expect, it } from 'vitest';
import { applySync } from './apply';
import { createMemoryBlobStore } from './memory-blob-store';
import { createMemoryCfsMetadata } from './memory-metadata';
import { planSync } from './plan';
import { readTree, tempDir, writeTree } from './sync.test-helpers';

const LABEL = '/pollinator/proj/src';

describe('the prepared plan (SyncPlan.prepared)', () => {
  it('travels with the plan from planSync as a typed, non-enumerable field: the plan stays plain JSON', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const plan = await planSync({ dir, label: LABEL, metadata: createMemoryCfsMetadata('dev'), keepLocal: true, stateDir: false });
    expect(Object.keys(plan)).not.toContain('prepared');
    expect(JSON.stringify(plan)).not.toContain('prepared');
    expect([...plan.prepared!.local.keys()].sort()).toEqual(['a.txt', 'sub/b.txt']);
    expect(plan.prepared!.metadata.colonyName).toBe('dev');
    expect(plan.prepared!.temps).toEqual([]);
  });

  it('applySync carries out the plan it came with; a copy or a plan parsed from JSON is refused before anything is written', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'a' });
    const metadata = createMemoryCfsMetadata('dev');
    const store = createMemoryBlobStore();
    const plan = await planSync({ dir, label: LABEL, metadata, keepLocal: true, stateDir: false });
    for (const copy of [{ ...plan }, JSON.parse(JSON.stringify(plan)) as typeof plan]) {
      await expect(applySync(copy, { store })).rejects.toThrow(/needs a plan returned by planSync/);
    }
    expect(metadata.revisions).toHaveLength(0);
    expect(await readTree(dir)).toEqual({ 'a.txt': 'a' });
    expect((await applySync(plan, { store })).uploaded).toBe(1);
    expect(metadata.revisions).toHaveLength(1);
  });
});
