// cfs-sync against the records the Go CFS client writes (recorded in test-utils' conformance fixtures).
import { describe, expect, it } from 'vitest';
import { planSync } from './plan';
import { syncDirectory } from './sync';
import { goClientFixture, memorySetup, readTree, tempDir, TEST_LABEL, withoutMarkers, writeTree } from './sync.test-helpers';

describe('files written by the Go client (conformance fixture 10-go-cli-cfs)', () => {
  it('reads them: labels, names, object names, the empty file, the unicode name', async () => {
    const { written, contents, downloadedTree } = await goClientFixture();
    expect(written).toHaveLength(6);
    const { metadata, store, stateDir } = await memorySetup();
    for (const file of written) {
      if (contents[file.name] !== undefined && file.size > 0) store.objects.set(file.ref.s3object.object, Buffer.from(contents[file.name]!));
      await metadata.addFile(file);
    }
    const dir = await tempDir();
    // the unicode file's content is not in the fixture: plan it, but leave it out of the download
    const plan = await planSync({ dir, label: '/pollinator/fixture/src', metadata, keepLocal: false, stateDir });
    expect(plan.entries.find((entry) => entry.name === 'résumé 日本.txt')).toMatchObject({ action: 'download', size: 22, path: 'résumé 日本.txt' });
    const result = await syncDirectory({
      dir,
      label: '/pollinator/fixture/src',
      metadata,
      store,
      keepLocal: false,
      stateDir,
      ignore: { extraRules: ['résumé*'] },
    });
    expect(result.downloaded).toBe(5);
    expect(withoutMarkers(await readTree(dir))).toEqual(downloadedTree);
  });

  it('writes records in the shape the Go client writes (and reads: s3object.object), minus the credentials', async () => {
    const goFile = (await goClientFixture()).written[0]!;
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'x.txt': 'x' });
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    const ours = metadata.revisions[0]!;
    const keys = (value: object): string[] => Object.keys(value).sort();
    expect(keys(ours)).toEqual(keys(goFile));
    expect(keys(ours.ref)).toEqual(keys(goFile.ref));
    expect(keys(ours.ref.s3object)).toEqual(keys(goFile.ref.s3object));
    expect(ours.ref.protocol).toBe(goFile.ref.protocol);
    expect(ours.checksumalg).toBe(goFile.checksumalg);
    expect(ours.ref.s3object.port).toBe(goFile.ref.s3object.port);
  });
});
