import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryBlobStore, type MemoryBlobStore } from './memory-blob-store';
import { createMemoryCfsMetadata } from './memory-metadata';
import { planSync } from './plan';
import { applySync } from './apply';
import { syncDirectory } from './sync';
import { materializeSnapshot } from './snapshot';
import { CfsError, FileChangedError, SymlinkRefusedError } from './errors';
import { fingerprint, readTree, remoteRecord, tempDir, writeTree } from './sync.test-helpers';

const LABEL = '/pollinator/proj/src';
const SECRET = 'HOST-SECRET-0123456789';

/** A host directory outside every synced tree, holding a secret file and a sub-directory. */
async function hostFiles() {
  const host = await tempDir('cfs-host-');
  await writeTree(host, { 'secret.txt': SECRET, 'dir/inner.txt': `${SECRET} inner`, 'target.txt': 'ORIGINAL' });
  return host;
}

async function setup() {
  return { metadata: createMemoryCfsMetadata('dev'), store: createMemoryBlobStore(), stateDir: await tempDir('cfs-state-') };
}

function storeHolds(store: MemoryBlobStore, text: string): boolean {
  return [...store.objects.values(), ...[...store.partials.values()].map((chunks) => Buffer.concat(chunks))].some((data) =>
    data.toString('utf8').includes(text),
  );
}

describe('default policy (skip): symlinks are listed, never followed', () => {
  it('a file symlink to a host file outside the tree is not uploaded; the plan says why and how to opt in', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const dir = await tempDir();
    await writeTree(dir, { 'main.py': 'print(1)\n' });
    await symlink(join(host, 'secret.txt'), join(dir, 'x'));
    const result = await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir });
    expect(metadata.revisions.map((file) => file.name)).toEqual(['main.py']);
    expect(storeHolds(store, SECRET)).toBe(false);
    expect(result.plan.entries.find((entry) => entry.path === 'x')).toMatchObject({
      action: 'ignored',
      symlink: { target: join(host, 'secret.txt'), reason: 'symbolic links are skipped by default' },
      reason: expect.stringContaining('set sync.symlinks: inside in project.yaml'),
    });
  });

  it('a symlink to a directory outside is listed, not entered: nothing below it is uploaded', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'a' });
    await symlink(host, join(dir, 'hostdir'));
    await symlink(join(host, 'dir'), join(dir, 'sub-link'));
    const result = await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir });
    expect(metadata.revisions.map((file) => `${file.label}/${file.name}`)).toEqual([`${LABEL}/a.txt`]);
    expect(storeHolds(store, SECRET)).toBe(false);
    for (const path of ['hostdir', 'sub-link']) {
      expect(result.plan.entries.find((entry) => entry.path === path)).toMatchObject({ action: 'ignored', symlink: { target: expect.any(String) } });
    }
    expect(await readdir(host)).not.toContain('.cfs');
  });

  it('a synced root that is a symlink is refused by default, naming the path; nothing is read or written there', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const before = await fingerprint(host);
    const parent = await tempDir();
    const dir = join(parent, 'result');
    await symlink(host, dir);
    const promise = syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir });
    await expect(promise).rejects.toBeInstanceOf(SymlinkRefusedError);
    await expect(promise).rejects.toMatchObject({ code: 'SYMLINK_REFUSED', path: dir });
    expect(metadata.revisions).toEqual([]);
    expect(await fingerprint(host)).toBe(before);
  });

  it('a synced root swapped for a symlink between plan and apply is refused before anything is written', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const before = await fingerprint(host);
    const dir = join(await tempDir(), 'result');
    await metadata.addFile(remoteRecord(LABEL, 'r.txt', 'EVIL', store));
    const plan = await planSync({ dir, label: LABEL, metadata, keepLocal: false, stateDir });
    await symlink(host, dir);
    await expect(applySync(plan, { store })).rejects.toMatchObject({ code: 'SYMLINK_REFUSED', path: dir });
    expect(await fingerprint(host)).toBe(before);
  });

  it('a file swapped for a symlink between plan and apply fails (small and large files); the host content never reaches the store', async () => {
    for (const size of [10, 300 * 1024]) {
      const { metadata, store, stateDir } = await setup();
      const host = await hostFiles();
      const dir = await tempDir();
      await writeTree(dir, { 'f.bin': Buffer.alloc(size, 1) });
      const plan = await planSync({ dir, label: LABEL, metadata, keepLocal: true, stateDir });
      await rm(join(dir, 'f.bin'));
      await symlink(join(host, 'secret.txt'), join(dir, 'f.bin'));
      await expect(applySync(plan, { store })).rejects.toBeInstanceOf(SymlinkRefusedError);
      expect(metadata.revisions).toEqual([]);
      expect(storeHolds(store, SECRET)).toBe(false);
    }
  });
});

describe('downloads never write through a symlink', () => {
  it('a planted symlink at a file path: the remote file is not written through it', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const dir = await tempDir();
    await symlink(join(host, 'target.txt'), join(dir, 'out.txt'));
    await metadata.addFile(remoteRecord(LABEL, 'out.txt', 'EVIL', store));
    const result = await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: false, stateDir });
    expect(result.downloaded).toBe(0);
    expect(await readFile(join(host, 'target.txt'), 'utf8')).toBe('ORIGINAL');
    expect(await readlink(join(dir, 'out.txt'))).toBe(join(host, 'target.txt'));
  });

  it('a symlink planted after the plan is not written through (the download fails, the target is untouched)', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const dir = await tempDir();
    await metadata.addFile(remoteRecord(LABEL, 'out.txt', 'EVIL', store));
    const plan = await planSync({ dir, label: LABEL, metadata, keepLocal: false, stateDir });
    await mkdir(dir, { recursive: true });
    await symlink(join(host, 'target.txt'), join(dir, 'out.txt'));
    await expect(applySync(plan, { store })).rejects.toBeInstanceOf(FileChangedError);
    expect(await readFile(join(host, 'target.txt'), 'utf8')).toBe('ORIGINAL');
  });

  it('a planted .cfs symlink is replaced by the marker, never written through', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'a' });
    await symlink(join(host, 'target.txt'), join(dir, '.cfs'));
    await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir });
    expect(await readFile(join(host, 'target.txt'), 'utf8')).toBe('ORIGINAL');
    expect((await lstat(join(dir, '.cfs'))).isFile()).toBe(true);
    expect(JSON.parse(await readFile(join(dir, '.cfs'), 'utf8'))).toEqual({ label: LABEL });
  });

  it('a sub-directory that is a symlink is not written through when CFS has files below it', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const before = await fingerprint(host);
    const dir = await tempDir();
    await symlink(host, join(dir, 'sub'));
    await metadata.addFile(remoteRecord(`${LABEL}/sub`, 'planted.txt', 'EVIL', store));
    const result = await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: false, stateDir });
    expect(result.downloaded).toBe(0);
    expect(result.plan.entries.find((entry) => entry.path === 'sub/planted.txt')).toMatchObject({ action: 'ignored' });
    expect(await fingerprint(host)).toBe(before);
  });
});

describe('FIFOs and devices are never opened for reading', () => {
  it('a FIFO in the tree is listed as not regular, and one swapped in after the plan (or as .cfs) fails instead of hanging', async () => {
    const { metadata, store, stateDir } = await setup();
    const dir = await tempDir();
    await writeTree(dir, { 'a.txt': 'a', 'b.bin': Buffer.alloc(300 * 1024, 2) });
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const plan = await planSync({ dir, label: LABEL, metadata, keepLocal: true, stateDir });
    expect(plan.entries.find((entry) => entry.path === 'pipe')).toMatchObject({ action: 'ignored', reason: expect.stringContaining('not a regular file') });
    for (const name of ['a.txt', 'b.bin']) {
      await rm(join(dir, name));
      execFileSync('mkfifo', [join(dir, name)]);
    }
    await expect(applySync(plan, { store })).rejects.toBeInstanceOf(CfsError);
    expect(metadata.revisions).toEqual([]);

    const second = await tempDir();
    await writeTree(second, { 'a.txt': 'a' });
    execFileSync('mkfifo', [join(second, '.cfs')]);
    await syncDirectory({ dir: second, label: LABEL, metadata, store, keepLocal: true, stateDir });
    expect(JSON.parse(await readFile(join(second, '.cfs'), 'utf8'))).toEqual({ label: LABEL });
  }, 15_000);
});

describe('confineTo: no component between the trusted ancestor and the synced directory may be a symlink', () => {
  async function staging() {
    const fsDir = await tempDir('cfs-fsdir-');
    const host = await hostFiles();
    return { fsDir, host };
  }

  it('a synced root that is a symlink (a job replaced result/ with one): refused, nothing uploaded, no .cfs written there', async () => {
    const { metadata, store, stateDir } = await setup();
    const { fsDir, host } = await staging();
    await mkdir(join(fsDir, 'pollinator', 'proj'), { recursive: true });
    const dir = join(fsDir, 'pollinator', 'proj', 'result');
    await symlink(host, dir);
    const before = await fingerprint(host);
    for (const symlinks of ['skip', 'follow'] as const) {
      const promise = syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir, confineTo: fsDir, symlinks });
      await expect(promise).rejects.toMatchObject({ code: 'SYMLINK_REFUSED', path: dir });
    }
    expect(metadata.revisions).toEqual([]);
    expect(storeHolds(store, SECRET)).toBe(false);
    expect(await fingerprint(host)).toBe(before);
  });

  it('a component symlink between confineTo and the directory is refused for upload and download; the target stays untouched', async () => {
    const { metadata, store, stateDir } = await setup();
    const { fsDir, host } = await staging();
    await writeTree(host, { 'proj/data/d.txt': SECRET });
    await symlink(host, join(fsDir, 'pollinator'));
    await metadata.addFile(remoteRecord('/pollinator/proj/data', 'new.txt', 'EVIL', store));
    const before = await fingerprint(host);
    const dir = join(fsDir, 'pollinator', 'proj', 'data');
    for (const keepLocal of [true, false]) {
      const promise = syncDirectory({ dir, label: '/pollinator/proj/data', metadata, store, keepLocal, stateDir, confineTo: fsDir });
      await expect(promise).rejects.toMatchObject({ code: 'SYMLINK_REFUSED', path: join(fsDir, 'pollinator') });
    }
    // A directory that does not exist yet is not created through the link either.
    const missing = join(fsDir, 'pollinator', 'other', 'result');
    await expect(syncDirectory({ dir: missing, label: LABEL, metadata, store, keepLocal: false, stateDir, confineTo: fsDir })).rejects.toBeInstanceOf(
      SymlinkRefusedError,
    );
    const snapshot = await metadata.createSnapshot('/pollinator/proj/data', 'snap');
    await expect(
      materializeSnapshot({ metadata, store, snapshot: { snapshotId: snapshot.snapshotid }, dir: join(fsDir, 'pollinator', 'snap'), confineTo: fsDir }),
    ).rejects.toBeInstanceOf(SymlinkRefusedError);
    expect(metadata.revisions.map((file) => file.name)).toEqual(['new.txt']);
    expect(storeHolds(store, SECRET)).toBe(false);
    expect(await fingerprint(host)).toBe(before);
  });

  it('creates missing components one by one as real directories, and a job-made link inside is never followed', async () => {
    const { metadata, store, stateDir } = await setup();
    const { fsDir, host } = await staging();
    const dir = join(fsDir, 'pollinator', 'proj', 'result');
    await metadata.addFile(remoteRecord('/pollinator/proj/result', 'r.txt', 'r', store));
    await syncDirectory({ dir, label: '/pollinator/proj/result', metadata, store, keepLocal: false, stateDir, confineTo: fsDir });
    expect(await readTree(dir)).toEqual({ '.cfs': JSON.stringify({ label: '/pollinator/proj/result' }), 'r.txt': 'r' });
    await symlink(join(host, 'secret.txt'), join(dir, 'x'));
    const result = await syncDirectory({ dir, label: '/pollinator/proj/result', metadata, store, keepLocal: true, stateDir, confineTo: fsDir, symlinks: 'follow' });
    expect(result.uploaded).toBe(0);
    expect(storeHolds(store, SECRET)).toBe(false);
  });

  it('refuses a directory that is not inside confineTo', async () => {
    const { metadata, stateDir } = await setup();
    const { fsDir } = await staging();
    await expect(planSync({ dir: join(fsDir, '..'), label: LABEL, metadata, keepLocal: true, stateDir, confineTo: fsDir })).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
    });
  });
});

describe('opt-in policies', () => {
  /** project/ with cfs/src, a shared/ directory inside the project, and links to it and to the host. */
  async function project() {
    const host = await hostFiles();
    const root = await tempDir('cfs-project-');
    await writeTree(root, { 'cfs/src/main.py': 'main', 'shared/lib.py': 'lib', 'shared/pkg/mod.py': 'mod' });
    const dir = join(root, 'cfs', 'src');
    await symlink('../../shared/lib.py', join(dir, 'lib.py'));
    await symlink('../../shared/pkg', join(dir, 'pkg'));
    await symlink(join(host, 'secret.txt'), join(dir, 'secret'));
    await symlink(join(host, 'dir'), join(dir, 'hostdir'));
    return { root, dir, host };
  }
  const uploaded = (metadata: ReturnType<typeof createMemoryCfsMetadata>) =>
    metadata.revisions.map((file) => `${file.label.slice(LABEL.length)}/${file.name}`).sort();

  it("'inside' uploads targets inside symlinkRoot and still skips one outside, saying how to opt in further", async () => {
    const { metadata, store, stateDir } = await setup();
    const { root, dir } = await project();
    const result = await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir, symlinks: 'inside', symlinkRoot: root });
    expect(uploaded(metadata)).toEqual(['/lib.py', '/main.py', '/pkg/mod.py']);
    expect(storeHolds(store, SECRET)).toBe(false);
    for (const path of ['secret', 'hostdir']) {
      expect(result.plan.entries.find((entry) => entry.path === path)).toMatchObject({
        action: 'ignored',
        symlink: { reason: 'target outside the project' },
        reason: expect.stringContaining('sync.symlinks: follow'),
      });
    }
    // The next sync reads the same content through the links and changes nothing.
    const again = await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir, symlinks: 'inside', symlinkRoot: root });
    expect(again.uploaded).toBe(0);
  });

  it("'follow' uploads whatever a link points to", async () => {
    const { metadata, store, stateDir } = await setup();
    const { dir } = await project();
    await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir, symlinks: 'follow' });
    expect(uploaded(metadata)).toEqual(['/hostdir/inner.txt', '/lib.py', '/main.py', '/pkg/mod.py', '/secret']);
  });

  it('loops and repeats are skipped, never walked forever', async () => {
    const { metadata, store, stateDir } = await setup();
    const dir = await tempDir();
    await writeTree(dir, { 'a/f.txt': 'f' });
    await symlink('.', join(dir, 'self-dir'));
    await symlink('..', join(dir, 'a', 'up'));
    await symlink('a', join(dir, 'a-again'));
    await symlink('a-again', join(dir, 'a-third'));
    await symlink('knot', join(dir, 'knot'));
    const result = await syncDirectory({ dir, label: LABEL, metadata, store, keepLocal: true, stateDir, symlinks: 'follow' });
    const reasons = Object.fromEntries(result.plan.entries.filter((entry) => entry.symlink).map((entry) => [entry.path, entry.symlink!.reason]));
    expect(reasons).toMatchObject({ 'self-dir': 'symbolic link loop', 'a/up': 'symbolic link loop', knot: 'symbolic link loop' });
    expect(uploaded(metadata)).toEqual(['/a-again/f.txt', '/a/f.txt']);
    expect(reasons['a-third']).toBe('already included');
  });

  it('a synced root that is a symlink: followed by inside when its target is inside symlinkRoot, refused when outside', async () => {
    const { metadata, store, stateDir } = await setup();
    const host = await hostFiles();
    const root = await tempDir('cfs-project-');
    await writeTree(root, { 'big/data.csv': '1,2' });
    await mkdir(join(root, 'cfs'));
    await symlink(join(root, 'big'), join(root, 'cfs', 'data'));
    await symlink(host, join(root, 'cfs', 'src'));
    const data = join(root, 'cfs', 'data');
    await expect(syncDirectory({ dir: data, label: LABEL, metadata, store, keepLocal: true, stateDir, symlinkRoot: root })).rejects.toMatchObject({
      code: 'SYMLINK_REFUSED',
      message: expect.stringContaining('sync.symlinks: inside'),
    });
    await syncDirectory({ dir: data, label: LABEL, metadata, store, keepLocal: true, stateDir, symlinks: 'inside', symlinkRoot: root });
    expect(uploaded(metadata)).toEqual(['/data.csv']);
    await expect(
      syncDirectory({ dir: join(root, 'cfs', 'src'), label: '/p/src', metadata, store, keepLocal: true, stateDir, symlinks: 'inside', symlinkRoot: root }),
    ).rejects.toBeInstanceOf(SymlinkRefusedError);
    expect(storeHolds(store, SECRET)).toBe(false);
  });

  it('refuses an unknown policy', async () => {
    const { metadata } = await setup();
    await expect(
      planSync({ dir: await tempDir(), label: LABEL, metadata, keepLocal: true, stateDir: false, symlinks: 'always' as never }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
