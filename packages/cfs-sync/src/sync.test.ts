import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMemoryBlobStore } from './memory-blob-store';
import { planSync } from './plan';
import { applySync, type SyncEvent } from './apply';
import { syncDirectory } from './sync';
import { ConflictRefusedError, FileChangedError, RemoteChangedError, UnsafePathError } from './errors';
import type { BlobStore } from './blob-store';
import { failingOnce, fingerprint, memorySetup, readTree, remoteRecord, sha, tempDir, TEST_LABEL, TEST_TREE, withoutMarkers, writeTree } from './sync.test-helpers';

describe('upload, no-op re-sync and download', () => {
  it('uploads a tree as the Go client does: one label per directory, SHA-256, .cfs markers, empty files as zero-byte objects', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, TEST_TREE);
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    expect(result.uploaded).toBe(6);
    const byPath = new Map(metadata.revisions.map((file) => [`${file.label}/${file.name}`, file]));
    expect([...byPath.keys()].sort()).toEqual(
      [
        `${TEST_LABEL}/main.py`,
        `${TEST_LABEL}/empty.txt`,
        `${TEST_LABEL}/résumé 日本.txt`,
        `${TEST_LABEL}/dirA/a.txt`,
        `${TEST_LABEL}/dirA/deep/d.txt`,
        `${TEST_LABEL}/dirB/b.txt`,
      ].sort(),
    );
    for (const [path, content] of Object.entries(TEST_TREE)) {
      const file = byPath.get(`${TEST_LABEL}/${path}`)!;
      expect(file.checksum).toBe(sha(content));
      expect(file.checksumalg).toBe('SHA256');
      expect(file.size).toBe(Buffer.byteLength(content));
      expect(file.ref.s3object.object).toMatch(/^[0-9a-f]{64}$/);
      expect(file.ref.s3object.accesskey).toBe('');
      expect(file.ref.s3object.secretkey).toBe('');
      expect(file.ref.s3object.port).toBe(-1);
      // Empty files too get their (zero-byte) object: the Go executors GET every file of a snapshot.
      expect(store.objects.get(file.ref.s3object.object)?.toString()).toBe(content);
    }
    const tree = await readTree(dir);
    expect(JSON.parse(tree['.cfs']!)).toEqual({ label: TEST_LABEL });
    expect(JSON.parse(tree['dirA/deep/.cfs']!)).toEqual({ label: `${TEST_LABEL}/dirA/deep` });
  });

  it('re-syncs an unchanged tree from the stat cache: no content read, one listing per label, no writes', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, TEST_TREE);
    // make the files old enough not to be "racy"
    const old = new Date(Date.now() - 60_000);
    for (const path of Object.keys(TEST_TREE)) await utimes(join(dir, path), old, old);
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    const before = await fingerprint(dir);
    const calls = { ...metadata.calls };
    const second = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    expect(second.plan.summary.unchanged.files).toBe(6);
    expect(second.plan.hashedFiles).toBe(0);
    expect(second.uploaded + second.downloaded).toBe(0);
    expect(metadata.calls.getFileLabels! - (calls.getFileLabels ?? 0)).toBe(1);
    expect(metadata.calls.getFiles! - (calls.getFiles ?? 0)).toBe(4); // root, dirA, dirA/deep, dirB
    expect(metadata.calls.addFile).toBe(calls.addFile);
    expect(await fingerprint(dir)).toBe(before);
  });

  it('never trusts the cache over a changed size or mtime', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'f.txt': 'one\n' });
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'f.txt'), old, old);
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    await writeFile(join(dir, 'f.txt'), 'two\n'); // same size
    await utimes(join(dir, 'f.txt'), old, old); // same mtime: ctime/inode still differ → re-hash
    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir });
    expect(plan.hashedFiles).toBe(1);
    expect(plan.entries.find((entry) => entry.path === 'f.txt')).toMatchObject({ action: 'conflict', resolution: 'upload' });
  });

  it('downloads a tree into an empty directory, including the empty file and every sub-label', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const source = await tempDir();
    await writeTree(source, TEST_TREE);
    await syncDirectory({ dir: source, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    const target = join(await tempDir(), 'fresh');
    const result = await syncDirectory({ dir: target, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    expect(result.downloaded).toBe(6);
    expect(withoutMarkers(await readTree(target))).toEqual(TEST_TREE);
    // and it is a no-op afterwards
    const again = await planSync({ dir: target, label: TEST_LABEL, metadata, keepLocal: false, stateDir });
    expect(again.summary.unchanged.files).toBe(6);
  });

  it('syncs completely when the root label has no direct files (server quirk)', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const source = await tempDir();
    await writeTree(source, { 'a/x.txt': 'x', 'a/b/y.txt': 'y', 'c/z.txt': 'z' });
    await syncDirectory({ dir: source, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    expect(await metadata.getFileLabels(TEST_LABEL, true)).toEqual([]); // the quirk, reproduced
    const target = await tempDir();
    await syncDirectory({ dir: target, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    expect(withoutMarkers(await readTree(target))).toEqual({ 'a/x.txt': 'x', 'a/b/y.txt': 'y', 'c/z.txt': 'z' });
  });

  it('does not mistake a sibling label with the same prefix for a sub-label', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    await metadata.addFile(remoteRecord(`${TEST_LABEL}2`, 'other.txt', 'other', store));
    await metadata.addFile(remoteRecord(TEST_LABEL, 'mine.txt', 'mine', store));
    const target = await tempDir();
    await syncDirectory({ dir: target, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    expect(withoutMarkers(await readTree(target))).toEqual({ 'mine.txt': 'mine' });
  });
});

describe('planSync is pure', () => {
  it('writes nothing locally or remotely and lists every file with action, size and reason', async () => {
    const { metadata, store } = await memorySetup();
    const stateDir = join(await tempDir(), 'state-not-created');
    await metadata.addFile(remoteRecord(TEST_LABEL, 'remote.txt', 'from cfs', store));
    await metadata.addFile(remoteRecord(`${TEST_LABEL}/sub`, 'same.txt', 'same', store));
    await metadata.addFile(remoteRecord(`${TEST_LABEL}/sub`, 'diff.txt', 'remote version', store));
    const dir = await tempDir();
    await writeTree(dir, { 'local.txt': 'only here', 'sub/same.txt': 'same', 'sub/diff.txt': 'local version', 'node_modules/x/i.js': 'x' });
    const before = await fingerprint(dir);
    const objects = store.objects.size;
    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: false, stateDir });
    expect(await fingerprint(dir)).toBe(before);
    expect(store.objects.size).toBe(objects);
    expect(metadata.calls.addFile).toBe(3);
    await expect(stat(stateDir)).rejects.toThrow();
    const view = plan.entries.map(({ path, action, size, resolution }) => ({ path, action, size, ...(resolution ? { resolution } : {}) }));
    expect(view).toEqual([
      { path: 'local.txt', action: 'upload', size: 9 },
      { path: 'node_modules', action: 'ignored', size: 0 },
      { path: 'remote.txt', action: 'download', size: 8 },
      { path: 'sub/diff.txt', action: 'conflict', size: 14, resolution: 'backup-and-download' },
      { path: 'sub/same.txt', action: 'unchanged', size: 4 },
    ]);
    for (const entry of plan.entries) expect(entry.reason).toBeTruthy();
    expect(plan.entries[1]!.ignoredBy).toEqual({ pattern: 'node_modules', file: '<defaults>', line: 2 });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan); // serialisable for events / --json
  });
});

describe('conflicts', () => {
  async function conflictSetup() {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'data.txt': 'local edit\n' });
    await metadata.addFile(remoteRecord(TEST_LABEL, 'data.txt', 'remote version\n', store));
    return { metadata, store, stateDir, dir };
  }

  it('keepLocal over a file this directory never synced: refused as remote-changed; forced, uploaded as a new revision (the old one stays)', async () => {
    const { metadata, store, stateDir, dir } = await conflictSetup();
    await expect(syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir })).rejects.toBeInstanceOf(RemoteChangedError);
    expect(metadata.revisions).toHaveLength(1);
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, force: true, stateDir });
    expect(result.uploaded).toBe(1);
    expect(metadata.revisions.filter((file) => file.name === 'data.txt').map((file) => file.checksum)).toEqual([
      sha('remote version\n'),
      sha('local edit\n'),
    ]);
    expect(await readFile(join(dir, 'data.txt'), 'utf8')).toBe('local edit\n');
  });

  it('remote wins: the local version is kept as a visible backup, never lost', async () => {
    const { metadata, store, stateDir, dir } = await conflictSetup();
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    expect(result.backups).toHaveLength(1);
    const backup = result.backups[0]!.backup;
    expect(backup).toMatch(/^data\.txt\.pollinator-conflict-\d{8}T\d{6}Z$/);
    expect(await readFile(join(dir, 'data.txt'), 'utf8')).toBe('remote version\n');
    expect(await readFile(join(dir, backup), 'utf8')).toBe('local edit\n');
    // the backup is ignored by default: not uploaded by the next sync
    const next = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir });
    expect(next.entries.find((entry) => entry.path === backup)).toMatchObject({ action: 'ignored' });
  });

  it('onConflict "fail": refuses, says how to resolve, and changes nothing', async () => {
    const { metadata, store, stateDir, dir } = await conflictSetup();
    const before = await fingerprint(dir);
    const promise = syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, onConflict: 'fail', stateDir });
    await expect(promise).rejects.toBeInstanceOf(ConflictRefusedError);
    await expect(promise).rejects.toThrow(/keepLocal|move\/delete/);
    expect(await fingerprint(dir)).toBe(before);
  });

  it('a local copy unchanged since the last sync is simply updated (no backup)', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    await metadata.addFile(remoteRecord(TEST_LABEL, 'r.txt', 'v1', store));
    const dir = await tempDir();
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    await metadata.addFile(remoteRecord(TEST_LABEL, 'r.txt', 'v2', store));
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    expect(result.plan.entries.find((entry) => entry.path === 'r.txt')).toMatchObject({ action: 'download' });
    expect(result.backups).toEqual([]);
    expect(await readFile(join(dir, 'r.txt'), 'utf8')).toBe('v2');
  });
});

describe('safety', () => {
  for (const name of ['../escape.txt', '..', 'a\\..\\b', 'nul\0byte', '.cfs']) {
    it(`skips remote name ${JSON.stringify(name)}: names it in result.skipped, writes nothing for it, syncs the rest`, async () => {
      const { metadata, store, stateDir } = await memorySetup();
      await metadata.addFile(remoteRecord(TEST_LABEL, name, 'evil', store));
      await metadata.addFile(remoteRecord(TEST_LABEL, 'ok.txt', 'ok', store));
      const root = await tempDir();
      const dir = join(root, 'target');
      const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
      expect(result.skipped).toEqual([{ path: name, reason: expect.stringMatching(/unsafe name: refusing unsafe path/) }]);
      expect(result.partial).toBe(true);
      expect(withoutMarkers(await readTree(root))).toEqual({ 'target/ok.txt': 'ok' });
    });
  }

  for (const [label, name] of [
    [`${TEST_LABEL}/../../etc`, 'passwd'],
    [`${TEST_LABEL}/x/./y`, 'f'],
    [`${TEST_LABEL}/C:`, 'f'],
  ] as const) {
    it(`refuses remote ${JSON.stringify(`${label}/${name}`)} with a clear error and writes nothing`, async () => {
      const { metadata, store, stateDir } = await memorySetup();
      await metadata.addFile(remoteRecord(label, name, 'evil', store));
      await metadata.addFile(remoteRecord(TEST_LABEL, 'ok.txt', 'ok', store));
      const root = await tempDir();
      const dir = join(root, 'target');
      const promise = syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
      await expect(promise).rejects.toBeInstanceOf(UnsafePathError);
      await expect(promise).rejects.toThrow(/refusing unsafe path/);
      expect(await readTree(root)).toEqual({});
    });
  }

  it('refuses an unsafe root label', async () => {
    const { metadata } = await memorySetup();
    for (const label of ['relative', '/', '/a/../b', '/a//b', '/a/']) {
      await expect(planSync({ dir: await tempDir(), label, metadata, keepLocal: true, stateDir: false })).rejects.toBeInstanceOf(
        UnsafePathError,
      );
    }
  });

  it('verifies downloads: a corrupt blob is skipped (named, with both checksums) and nothing appears under the real name', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const record = remoteRecord(TEST_LABEL, 'data.bin', 'the real content', store);
    store.objects.set(record.ref.s3object.object, Buffer.from('tampered content'));
    await metadata.addFile(record);
    const dir = await tempDir();
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    expect(result.skipped).toEqual([{ path: 'data.bin', reason: expect.stringContaining(sha('tampered content')) }]);
    expect(result.skipped[0]!.reason).toContain(sha('the real content'));
    expect(result.downloaded).toBe(0);
    expect(withoutMarkers(await readTree(dir))).toEqual({});
  });

  it('a file modified between plan and apply is not registered (FileChangedError), and nothing is lost', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'first' });
    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir });
    await writeFile(join(dir, 'a.txt'), 'second, longer');
    await expect(applySync(plan, { store })).rejects.toBeInstanceOf(FileChangedError);
    expect(metadata.revisions).toHaveLength(0);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('second, longer');
    const again = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    expect(again.uploaded).toBe(1);
    expect(metadata.revisions[0]!.checksum).toBe(sha('second, longer'));
  });

  it('cleans up download temp files left by an interrupted sync', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { '.pollinator-tmp-0123456789abcdef': 'half written', 'x.txt': 'x' });
    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir });
    expect(plan.entries.map((entry) => entry.path)).toEqual(['x.txt']);
    await applySync(plan, { store });
    expect(Object.keys(await readTree(dir)).sort()).toEqual(['.cfs', 'x.txt']);
  });
});

describe('ignore rules', () => {
  it('applies defaults, nested .pollinatorignore files with negation, and names the file and line', async () => {
    const { metadata, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, {
      '.pollinatorignore': '# comment\n*.log\nbuild/\n',
      'keep.py': 'k',
      'debug.log': 'd',
      'build/out.o': 'o',
      '.git/config': 'c',
      '__pycache__/m.pyc': 'p',
      '.venv/bin/python': 'p',
      '.DS_Store': 'x',
      'sub/.pollinatorignore': '!important.log\nsecret.txt\n',
      'sub/important.log': 'i',
      'sub/other.log': 'o',
      'sub/secret.txt': 's',
      'sub/ok.txt': 'ok',
    });
    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir });
    const ignored = Object.fromEntries(
      plan.entries.filter((entry) => entry.action === 'ignored').map((entry) => [entry.path, entry.ignoredBy && `${entry.ignoredBy.file}:${entry.ignoredBy.line} ${entry.ignoredBy.pattern}`]),
    );
    expect(ignored).toEqual({
      '.DS_Store': '<defaults>:5 .DS_Store',
      '.git': '<defaults>:1 .git',
      '.venv': '<defaults>:4 .venv',
      __pycache__: '<defaults>:3 __pycache__',
      build: '.pollinatorignore:3 build/',
      'debug.log': '.pollinatorignore:2 *.log',
      'sub/other.log': '.pollinatorignore:2 *.log',
      'sub/secret.txt': 'sub/.pollinatorignore:2 secret.txt',
    });
    expect(plan.entries.find((entry) => entry.path === 'debug.log')!.reason).toBe('ignored by .pollinatorignore:2 (*.log)');
    const uploads = plan.entries.filter((entry) => entry.action === 'upload').map((entry) => entry.path);
    expect(uploads.sort()).toEqual(['.pollinatorignore', 'keep.py', 'sub/.pollinatorignore', 'sub/important.log', 'sub/ok.txt']);
  });

  it('honours .gitignore only when asked', async () => {
    const { metadata } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { '.gitignore': 'secret.env\n', 'secret.env': 's', 'a.py': 'a' });
    const without = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir: false });
    expect(without.entries.find((entry) => entry.path === 'secret.env')!.action).toBe('upload');
    const withGit = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir: false, ignore: { gitignore: true } });
    expect(withGit.entries.find((entry) => entry.path === 'secret.env')).toMatchObject({
      action: 'ignored',
      ignoredBy: { file: '.gitignore', line: 1, pattern: 'secret.env' },
    });
  });

  it('ignored paths are not downloaded either', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    await metadata.addFile(remoteRecord(`${TEST_LABEL}/__pycache__`, 'x.pyc', 'bytecode', store));
    await metadata.addFile(remoteRecord(TEST_LABEL, 'a.py', 'a', store));
    const dir = join(await tempDir(), 'not-yet-there');
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: false, stateDir });
    expect(result.downloaded).toBe(1);
    expect(result.plan.entries.find((entry) => entry.path === '__pycache__/x.pyc')).toMatchObject({ action: 'ignored' });
    expect(withoutMarkers(await readTree(dir))).toEqual({ 'a.py': 'a' });
  });
});

describe('progress events', () => {
  it('reports start, every file, bytes, rate, ETA and the result', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, 'x'.repeat(1000 + i)])));
    const events: SyncEvent[] = [];
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir, onEvent: (event) => events.push(event), progressIntervalMs: 0 });
    expect(events[0]).toMatchObject({ type: 'sync-start', files: 20 });
    expect(events.filter((event) => event.type === 'file-done')).toHaveLength(20);
    const last = events.filter((event) => event.type === 'progress').at(-1)!;
    expect(last).toMatchObject({ filesDone: 20, filesTotal: 20, bytesDone: last.type === 'progress' ? last.bytesTotal : -1 });
    expect(last.type === 'progress' && last.bytesPerSecond).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'sync-done', result: { uploaded: 20 } });
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });
});

describe('abort', () => {
  it('an aborted sync stops, says so, and leaves no half-written file under a real name', async () => {
    const { metadata, stateDir } = await memorySetup();
    const inner = createMemoryBlobStore();
    for (let i = 0; i < 20; i++) await metadata.addFile(remoteRecord(TEST_LABEL, `f${i}.bin`, `content ${i}`.repeat(1000), inner));
    const slow: BlobStore = {
      ...inner,
      async get(key, options) {
        const body = await inner.get(key, options);
        return Readable.from(
          (async function* () {
            for await (const chunk of body as AsyncIterable<Buffer>) {
              await new Promise((resolve) => setTimeout(resolve, 20));
              yield chunk;
            }
          })(),
        );
      },
    };
    const dir = await tempDir();
    const controller = new AbortController();
    const promise = syncDirectory({
      dir,
      label: TEST_LABEL,
      metadata,
      store: slow,
      keepLocal: false,
      stateDir,
      concurrency: 2,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'file-done') controller.abort(new Error('user pressed Ctrl-C'));
      },
    });
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
    const tree = withoutMarkers(await readTree(dir));
    const names = Object.keys(tree);
    expect(names.length).toBeLessThan(20);
    for (const name of names) {
      expect(name.startsWith('.pollinator-tmp-')).toBe(false);
      expect(tree[name]).toBe(`content ${name.slice(1, -4)}`.repeat(1000)); // whatever is there is complete
    }
  });
});

describe('resumable uploads', () => {
  it('an interrupted large upload resumes where it stopped on the next sync', async () => {
    const { metadata, stateDir } = await memorySetup();
    const inner = createMemoryBlobStore();
    const flaky = failingOnce(inner, 3 * 1024 * 1024); // consume 3 MiB, then lose the connection
    const dir = await tempDir();
    const big = Buffer.alloc(6 * 1024 * 1024, 1);
    await writeTree(dir, { 'big.bin': big });
    await expect(syncDirectory({ dir, label: TEST_LABEL, metadata, store: flaky, keepLocal: true, stateDir, resumeThreshold: 1024 })).rejects.toThrow(
      /connection reset/,
    );
    expect(metadata.revisions).toHaveLength(0);
    const events: SyncEvent[] = [];
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store: flaky, keepLocal: true, stateDir, resumeThreshold: 1024, onEvent: (event) => events.push(event) });
    const done = events.find((event) => event.type === 'file-done');
    expect(done).toMatchObject({ path: 'big.bin', action: 'upload' });
    expect(done?.type === 'file-done' && done.resumedBytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(metadata.revisions[0]!.checksum).toBe(sha(big));
    expect(sha(inner.objects.get(metadata.revisions[0]!.ref.s3object.object)!)).toBe(sha(big));
  });
});

describe('remove', () => {
  it('nothing is ever deleted: a file deleted locally comes back from CFS', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'a', 'b.txt': 'b' });
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    await rm(join(dir, 'a.txt'));
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    expect(result.downloaded).toBe(1);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('a');
  });
});
