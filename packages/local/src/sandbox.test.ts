/**
 * The bubblewrap sandbox (issue #13 case 7): the host is seen read-only, the
 * executor's protected paths not at all, /tmp and /dev are the sandbox's own,
 * and only the job's mounts and work directory are writable. The argument
 * tests run everywhere; the real-job tests need bubblewrap.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapArguments, bwrapUsable, rewritePaths, SANDBOX_WORK_DIR, type SandboxLayout } from './sandbox';

const bwrapMissing = !(await bwrapUsable());
if (bwrapMissing && process.env.POLLINATOR_REQUIRE_SERVICES === '1') {
  throw new Error('bubblewrap (bwrap) is required with POLLINATOR_REQUIRE_SERVICES=1: apt-get install bubblewrap');
}

let root: string;
let layout: SandboxLayout;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-sandbox-'));
  mkdirSync(join(root, 'fs', 'proj', 'src'), { recursive: true });
  mkdirSync(join(root, 'fs', 'other', 'data'), { recursive: true });
  writeFileSync(join(root, 'fs', 'other', 'data', 'theirs.txt'), 'other project\n');
  mkdirSync(join(root, 'state', 'jobs', 'p1', 'run'), { recursive: true });
  writeFileSync(join(root, 'state', 'executor-state.json'), '{"privateKey":"SECRET"}\n');
  mkdirSync(join(root, 'dev-server'), { recursive: true });
  writeFileSync(join(root, 'dev-server', 'identities.json'), '{"executor":"SECRET"}\n');
  mkdirSync(join(root, 'host-ro'), { recursive: true });
  layout = {
    mounts: [{ hostPath: join(root, 'fs', 'proj', 'src'), containerPath: '/cfs/proj/src' }],
    workDir: join(root, 'state', 'jobs', 'p1', 'run'),
    protectedPaths: [join(root, 'state'), join(root, 'fs'), join(root, 'dev-server', 'identities.json')],
  };
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The arguments of each occurrence of `option` (the `count` values after it). */
function occurrences(args: string[], option: string, count: number): string[][] {
  const found: string[][] = [];
  args.forEach((arg, index) => {
    if (arg === option) found.push(args.slice(index + 1, index + 1 + count));
  });
  return found;
}

describe('bwrapArguments', () => {
  it('binds the host read-only, never read-write', () => {
    const args = bwrapArguments(layout);
    const writable = occurrences(args, '--bind', 2).map(([, target]) => target);
    expect(writable.sort()).toEqual(['/cfs/proj/src', SANDBOX_WORK_DIR].sort());
    expect(occurrences(args, '--bind', 2)).toContainEqual([layout.workDir, SANDBOX_WORK_DIR]);
    // The rebuilt root is read-only too, after everything is bound into it.
    expect(occurrences(args, '--remount-ro', 1)).toEqual([['/']]);
    expect(args.indexOf('--remount-ro')).toBeGreaterThan(args.lastIndexOf('--bind'));
    expect(occurrences(args, '--dev-bind', 2)).toEqual([]);
    expect(occurrences(args, '--ro-bind-try', 2)).toContainEqual(['/usr', '/usr']);
  });

  it('gives the job its own /tmp and a minimal /dev, and drops every capability', () => {
    const args = bwrapArguments(layout);
    expect(occurrences(args, '--tmpfs', 1)).toContainEqual(['/tmp']);
    expect(occurrences(args, '--dev', 1)).toEqual([['/dev']]);
    expect(occurrences(args, '--proc', 1)).toEqual([['/proc']]);
    expect(args).toEqual(expect.arrayContaining(['--unshare-pid', '--die-with-parent']));
    expect(occurrences(args, '--cap-drop', 1)).toEqual([['ALL']]);
    expect(occurrences(args, '--chdir', 1)).toEqual([[SANDBOX_WORK_DIR]]);
    // Nothing of the host's /tmp is bound: the job's own directories only.
    const fromHostTmp = occurrences(args, '--ro-bind-try', 2).filter(([source]) => source!.startsWith('/tmp/'));
    expect(fromHostTmp).toEqual([]);
  });

  it('binds no protected path, nor anything inside one', () => {
    const home = mkdtempSync(join(root, 'home-'));
    mkdirSync(join(home, '.pyenv'));
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, 'notes.txt'), 'x');
    // A home directory outside /tmp, as on a real machine: its other entries stay visible.
    const args = bwrapArguments({ ...layout, protectedPaths: [...layout.protectedPaths, join(home, '.ssh')] });
    const sources = occurrences(args, '--ro-bind-try', 2).map(([source]) => source!);
    for (const path of [...layout.protectedPaths, join(home, '.ssh')]) {
      expect(sources.filter((source) => source === path || source.startsWith(`${path}/`))).toEqual([]);
    }
  });

  it("never shows the executor user's credentials (~/.ssh, ~/.aws, …), but the rest of its home directory", () => {
    // Outside /tmp, whose host entries the sandbox never binds anyway.
    const home = mkdtempSync(join('/var/tmp', 'pollinator-sandbox-home-'));
    const savedHome = process.env.HOME;
    try {
      mkdirSync(join(home, '.ssh'));
      writeFileSync(join(home, '.ssh', 'id_ed25519'), 'KEY');
      mkdirSync(join(home, '.aws'));
      mkdirSync(join(home, '.pyenv'));
      process.env.HOME = home;
      const sources = occurrences(bwrapArguments(layout), '--ro-bind-try', 2).map(([source]) => source!);
      expect(sources).toContain(join(home, '.pyenv'));
      expect(sources.filter((source) => source.startsWith(join(home, '.ssh')) || source.startsWith(join(home, '.aws')))).toEqual([]);
      expect(sources).not.toContain(home);
    } finally {
      process.env.HOME = savedHome;
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('rebuilds the ancestors of a protected path outside /tmp from their other entries', () => {
    // /etc/hostname is a protected file here: /etc is recreated and its other entries bound one by one.
    const args = bwrapArguments({ ...layout, protectedPaths: ['/etc/hostname'] });
    const sources = occurrences(args, '--ro-bind-try', 2).map(([source]) => source!);
    expect(sources).not.toContain('/etc');
    expect(sources).not.toContain('/etc/hostname');
    expect(occurrences(args, '--dir', 1)).toContainEqual(['/etc']);
    expect(sources.some((source) => source.startsWith('/etc/'))).toBe(true);
  });

  it('hides a protected path reached through a host symlink on the way to a mount point', () => {
    const base = mkdtempSync(join('/var/tmp', 'pollinator-sandbox-link-'));
    try {
      mkdirSync(join(base, 'real', 'secret'), { recursive: true });
      mkdirSync(join(base, 'real', 'public'));
      symlinkSync(join(base, 'real'), join(base, 'link'));
      const args = bwrapArguments({
        ...layout,
        mounts: [{ hostPath: join(root, 'fs', 'proj', 'src'), containerPath: join(base, 'link', 'mounted') }],
        protectedPaths: [join(base, 'real', 'secret')],
      });
      const sources = occurrences(args, '--ro-bind-try', 2).map(([source]) => source!);
      expect(sources).toContain(join(base, 'link', 'public'));
      expect(sources.filter((source) => source.includes('secret'))).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('hides a protected path that lies inside a mounted directory where the job sees it', () => {
    const mounted = join(root, 'fs', 'proj', 'src');
    mkdirSync(join(mounted, 'keys'), { recursive: true });
    writeFileSync(join(mounted, 'token'), 'x');
    const args = bwrapArguments({ ...layout, protectedPaths: [join(mounted, 'keys'), join(mounted, 'token')] });
    expect(occurrences(args, '--tmpfs', 1)).toContainEqual(['/cfs/proj/src/keys']);
    expect(occurrences(args, '--ro-bind', 2)).toContainEqual(['/dev/null', '/cfs/proj/src/token']);
    // After the mount itself, or the mount would cover them again.
    expect(args.lastIndexOf('/cfs/proj/src/keys')).toBeGreaterThan(args.indexOf('/cfs/proj/src'));
  });

  it('refuses mount points in /proc or /dev, at /, and a protected /', () => {
    const at = (containerPath: string) => ({ ...layout, mounts: [{ hostPath: join(root, 'fs'), containerPath }] });
    expect(() => bwrapArguments(at('/'))).toThrow(/below \//);
    expect(() => bwrapArguments(at('relative'))).toThrow(/absolute/);
    expect(() => bwrapArguments(at('/proc/x'))).toThrow(/\/proc or \/dev/);
    expect(() => bwrapArguments(at('/dev/x'))).toThrow(/\/proc or \/dev/);
    expect(() => bwrapArguments({ ...layout, protectedPaths: ['/'] })).toThrow(/protected path is \//);
  });
});

function runInSandbox(sandbox: SandboxLayout, script: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bwrap', [...bwrapArguments(sandbox), '--', '/bin/sh', '-c', script], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe.skipIf(bwrapMissing)('a job in the bubblewrap sandbox', () => {
  it('cannot read a protected file, list the staging root or read another project', async () => {
    const result = await runInSandbox(
      layout,
      [
        `cat ${join(root, 'state', 'executor-state.json')} && echo LEAKED-STATE`,
        `cat ${join(root, 'dev-server', 'identities.json')} && echo LEAKED-IDENTITIES`,
        `cat ${join(root, 'fs', 'other', 'data', 'theirs.txt')} && echo LEAKED-OTHER`,
        `ls ${join(root, 'fs')} && echo LISTED-FS`,
        'echo done',
      ].join('; '),
    );
    expect(result.output).toContain('done');
    expect(result.output).not.toMatch(/SECRET|LEAKED|LISTED|other project/);
  });

  it('cannot write to the host, but writes to its mount and its work directory', async () => {
    const hostTarget = join(root, 'host-ro', 'planted');
    const result = await runInSandbox(
      layout,
      [
        `touch /etc/pollinator-hostile && echo WROTE-ETC`,
        `touch ${hostTarget} && echo WROTE-HOST`,
        'echo mine > /cfs/proj/src/result.txt && echo WROTE-MOUNT',
        'echo mine > ./in-work-dir && echo WROTE-WORK',
        'echo scratch > /tmp/scratch && echo WROTE-TMP',
        'mount -o remount,rw / 2>/dev/null && echo REMOUNTED',
        'touch /made-at-root && echo WROTE-ROOT',
      ].join('; '),
    );
    expect(result.output).not.toMatch(/WROTE-ETC|WROTE-HOST|REMOUNTED|WROTE-ROOT/);
    expect(result.output).toMatch(/WROTE-MOUNT[\s\S]*WROTE-WORK[\s\S]*WROTE-TMP/);
    expect(existsSync('/etc/pollinator-hostile')).toBe(false);
    expect(existsSync(hostTarget)).toBe(false);
    expect(readFileSync(join(root, 'fs', 'proj', 'src', 'result.txt'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(layout.workDir, 'in-work-dir'), 'utf8')).toBe('mine\n');
  });

  it('cannot reach a protected path through a symlink it finds or makes', async () => {
    // A link on the host that points into the state directory leads nowhere in the sandbox.
    const link = join(root, 'fs', 'proj', 'src', 'to-state');
    symlinkSync(join(root, 'state'), link);
    const result = await runInSandbox(
      layout,
      [
        'cat /cfs/proj/src/to-state/executor-state.json && echo LEAKED-LINK',
        `ln -s ${join(root, 'state', 'executor-state.json')} /cfs/proj/src/made && cat /cfs/proj/src/made && echo LEAKED-MADE`,
        'echo done',
      ].join('; '),
    );
    expect(result.output).toContain('done');
    expect(result.output).not.toMatch(/SECRET|LEAKED/);
  });

  it('still runs Python from the read-only host view', async () => {
    const result = await runInSandbox(layout, 'python3 -c "print(6 * 7)"');
    expect(result).toEqual({ code: 0, output: '42\n' });
  });
});

describe('bwrapUsable', () => {
  it('probes asynchronously, once per binary path', async () => {
    const first = bwrapUsable('/nonexistent/bwrap');
    expect(first).toBeInstanceOf(Promise);
    expect(bwrapUsable('/nonexistent/bwrap')).toBe(first);
    expect(await first).toBe(false);
  });
});

describe('rewritePaths', () => {
  it('rewrites container paths at path boundaries only', () => {
    const mounts = [{ hostPath: '/srv/fs/p/src', containerPath: '/cfs/p/src' }];
    expect(rewritePaths('python3 /cfs/p/src/main.py /cfs/p/srcx', mounts)).toBe('python3 /srv/fs/p/src/main.py /srv/fs/p/srcx');
    expect(rewritePaths('/cfsx/p/src', mounts)).toBe('/cfsx/p/src');
  });

  it('rewrites the ancestors a mount shares with its host path, so $PROJECT_DIR/result works with one mount per directory', () => {
    const mounts = [
      { hostPath: '/srv/fs/pollinator/p/result', containerPath: '/cfs/pollinator/p/result' },
      { hostPath: '/srv/fs/pollinator/p/src', containerPath: '/cfs/pollinator/p/src' },
    ];
    expect(rewritePaths('/cfs/pollinator/p', mounts)).toBe('/srv/fs/pollinator/p');
    expect(rewritePaths('cd /cfs/pollinator/p/result', mounts)).toBe('cd /srv/fs/pollinator/p/result');
    // Where the names part, the mapping stops: /cfs itself is not an ancestor both share.
    const renamed = [{ hostPath: '/srv/staging/p-result', containerPath: '/cfs/pollinator/p/result' }];
    expect(rewritePaths('/cfs/pollinator/p', renamed)).toBe('/cfs/pollinator/p');
  });
});
