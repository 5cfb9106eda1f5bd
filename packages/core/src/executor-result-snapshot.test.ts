import { describe, expect, it } from 'vitest';
import { createMemoryBlobStore, type CfsMetadata, type Snapshot } from '@pollinator/cfs-sync';
import { resultDirectory, snapshotResultLabel } from './executor-result-snapshot';
import type { StagedDirectory } from './staging-paths';

function staged(kind: 'dir' | 'snapshot', label: string): StagedDirectory {
  return { field: 'x', kind, index: 0, dir: label, hostPath: `/fs${label}`, containerPath: `/cfs${label}`, label, keepfiles: false };
}

/** Snapshots by name, as the server keeps them (a duplicate name is refused). */
function snapshotMetadata() {
  const byName = new Map<string, Snapshot>();
  let next = 0;
  const metadata = {
    colonyName: 'dev',
    getFileLabels: async () => [],
    createSnapshot: async (label: string, name: string) => {
      if (byName.has(name)) throw new Error(`Snapshot with name <${name}> in Colony <dev> already exists`);
      next += 1;
      const snapshot: Snapshot = { snapshotid: `id-${next}`, colonyname: 'dev', label, name, fileids: null, added: '' };
      byName.set(name, snapshot);
      return snapshot;
    },
    getSnapshot: async (ref: { name: string } | { snapshotId: string }) => {
      const found = [...byName.values()].find((snapshot) => ('name' in ref ? snapshot.name === ref.name : snapshot.snapshotid === ref.snapshotId));
      if (!found) throw new Error('not found');
      return found;
    },
  } as unknown as CfsMetadata;
  const removeSnapshot = async (snapshotId: string) => {
    for (const [name, snapshot] of byName) if (snapshot.snapshotid === snapshotId) byName.delete(name);
  };
  return { metadata, removeSnapshot };
}

describe('resultDirectory', () => {
  it('is the synced dir labelled …/result, else the only synced dir', () => {
    const result = staged('dir', '/pollinator/p/result');
    expect(resultDirectory([staged('snapshot', '/pollinator/p/src'), staged('dir', '/pollinator/p/data'), result])).toBe(result);
    const only = staged('dir', '/out/things');
    expect(resultDirectory([staged('snapshot', '/pollinator/p/result'), only])).toBe(only);
    expect(resultDirectory([staged('dir', '/a/b'), staged('dir', '/a/c')])).toBeUndefined();
    expect(resultDirectory([staged('snapshot', '/pollinator/p/result')])).toBeUndefined();
  });
});

describe('snapshotResultLabel', () => {
  it('names the snapshot after the process, and replaces the one an earlier attempt of the process left', async () => {
    const { metadata, removeSnapshot } = snapshotMetadata();
    const options = { metadata, store: createMemoryBlobStore(), label: '/pollinator/p/result', processId: 'p1', removeSnapshot };
    const first = await snapshotResultLabel(options);
    expect(first).toMatchObject({ name: 'p1', label: '/pollinator/p/result' });
    const second = await snapshotResultLabel(options);
    expect(second.snapshotid).not.toBe(first.snapshotid);
    expect((await metadata.getSnapshot({ name: 'p1' })).snapshotid).toBe(second.snapshotid);
  });

  it('passes on a failure that is not a name taken', async () => {
    const { metadata, removeSnapshot } = snapshotMetadata();
    const broken: CfsMetadata = { ...metadata, createSnapshot: () => Promise.reject(new Error('down')) };
    await expect(snapshotResultLabel({ metadata: broken, store: createMemoryBlobStore(), label: '/pollinator/p/result', processId: 'p1', removeSnapshot })).rejects.toThrow('down');
  });
});
