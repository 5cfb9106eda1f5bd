import { describe, expect, it } from 'vitest';
import { confinedCfsPath, isAncestorPath, SpecFieldError, stagedDirectories } from './staging-paths';

describe('confinedCfsPath', () => {
  it('accepts a normal absolute path with enough components', () => {
    expect(confinedCfsPath('/pollinator/p/data', 'f', 2)).toBe('/pollinator/p/data');
    expect(confinedCfsPath('/x', 'f', 1)).toBe('/x');
  });

  it.each([
    ['/', /is the root/],
    ['/pollinator', /too close to the root/],
    ['/a/../b', /not a normal path/],
    ['/a/./b', /not a normal path/],
    ['/a//b', /not a normal path/],
    ['/a/b/', /not a normal path/],
    ['/a/b\0c', /control character/],
    ['/a/b\u2028', /control character/],
    ['/a\\b/c', /backslash/],
    ['a/b', /absolute/],
    [42, /must be a string/],
  ])('refuses %j naming the field', (value, problem) => {
    let error: unknown;
    try {
      confinedCfsPath(value, 'fs.dirs[3].dir', 2);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SpecFieldError);
    expect((error as SpecFieldError).field).toBe('fs.dirs[3].dir');
    expect((error as SpecFieldError).code).toBe('INVALID_SPEC_FIELD');
    expect((error as Error).message).toMatch(/^fs\.dirs\[3\]\.dir /);
    expect((error as Error).message).toMatch(problem);
  });
});

describe('stagedDirectories', () => {
  it('lists snapshots then dirs with host and container paths, {processid} substituted', () => {
    const dirs = stagedDirectories(
      {
        fs: {
          mount: '/cfs',
          snapshots: [{ snapshotid: 's1', label: '/pollinator/p/src', dir: '/pollinator/p/s1/src', keepfiles: true, keepsnapshot: true }],
          dirs: [
            { label: '/pollinator/p/result', dir: '/pollinator/p/{processid}/result', keepfiles: false },
            { label: '', dir: '/pollinator/p/ignored', keepfiles: false },
          ],
        },
      },
      '/srv/fs/',
      'PID',
    );
    expect(dirs.map(({ field, hostPath, containerPath, label }) => ({ field, hostPath, containerPath, label }))).toEqual([
      { field: 'fs.snapshots[0].dir', hostPath: '/srv/fs/pollinator/p/s1/src', containerPath: '/cfs/pollinator/p/s1/src', label: '/pollinator/p/src' },
      { field: 'fs.dirs[0].dir', hostPath: '/srv/fs/pollinator/p/PID/result', containerPath: '/cfs/pollinator/p/PID/result', label: '/pollinator/p/result' },
    ]);
  });

  it('is empty without fs or mount, and refuses a bad mount', () => {
    expect(stagedDirectories({}, '/srv/fs', 'PID')).toEqual([]);
    expect(stagedDirectories({ fs: { mount: '', dirs: [{ label: '/', dir: '/', keepfiles: false }] } }, '/srv/fs', 'PID')).toEqual([]);
    expect(() => stagedDirectories({ fs: { mount: '/cfs/../etc', dirs: [] } }, '/srv/fs', 'PID')).toThrow(/^fs\.mount /);
  });
});

describe('isAncestorPath', () => {
  it('is true only for strict ancestors by whole components', () => {
    expect(isAncestorPath('/srv/fs/a', '/srv/fs/a/b')).toBe(true);
    expect(isAncestorPath('/srv/fs/a', '/srv/fs/a')).toBe(false);
    expect(isAncestorPath('/srv/fs/a', '/srv/fs/ab')).toBe(false);
  });
});
