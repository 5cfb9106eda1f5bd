// cfs-sync against the records the Go CFS client writes (recorded in test-utils' conformance fixtures).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { planSync } from './plan';
import { syncDirectory } from './sync';
import { memorySetup, readTree, tempDir, TEST_LABEL, withoutMarkers, writeTree } from './sync.test-helpers';
import type { CfsFile } from './types';

describe('files written by the Go client (conformance fixture 10-go-cli-cfs)', () => {
  it('reads them: labels, names, object names, the empty file, the unicode name', async () => {
    const fixturePath = new URL('../../test-utils/fixtures/rpc/10-go-cli-cfs.json', import.meta.url);
    const fixture = JSON.parse(await readFile(fixturePath, 'utf8')) as {
      steps: { source?: string; request: { payloadtype: string; payloadJson: { file?: CfsFile } } }[];
    };
    const written = fixture.steps.filter((step) => step.source === 'go-cli' && step.request.payloadtype === 'addfilemsg').map((step) => step.request.payloadJson.file!);
    expect(written).toHaveLength(6);
    const contents: Record<string, string> = { 'main.py': 'print("hello from fixture")\n', 'a.txt': 'A\n', 'b.txt': 'B\n', 'd.txt': 'deep\n', 'empty.txt': '' };
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
    expect(withoutMarkers(await readTree(dir))).toEqual({
      'main.py': contents['main.py'],
      'empty.txt': '',
      'dirA/a.txt': 'A\n',
      'dirA/deep/d.txt': 'deep\n',
      'dirB/b.txt': 'B\n',
    });
  });

  it('writes records in the shape the Go client writes (and reads: s3object.object), minus the credentials', async () => {
    const fixturePath = new URL('../../test-utils/fixtures/rpc/10-go-cli-cfs.json', import.meta.url);
    const fixture = JSON.parse(await readFile(fixturePath, 'utf8')) as {
      steps: { source?: string; request: { payloadtype: string; payloadJson: { file?: CfsFile } } }[];
    };
    const goFile = fixture.steps.find((step) => step.source === 'go-cli' && step.request.payloadtype === 'addfilemsg')!.request.payloadJson.file!;
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
