import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountAncestors, rewritePaths } from './kubelet';

const root = mkdtempSync(join(tmpdir(), 'pollinator-fake-kubelet-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('mountAncestors', () => {
  it('makes the directories above subPath mounts in the pod root, with a link per mount, whatever the host has', () => {
    const claim = join(root, 'claim');
    mkdirSync(join(claim, 'fs-1', 'pollinator', 'p', 'data'), { recursive: true });
    const mounts = [
      { mountPath: '/cfs/pollinator/p/data', hostPath: join(claim, 'fs-1', 'pollinator', 'p', 'data'), subPath: 'fs-1/pollinator/p/data' },
      { mountPath: '/cfs/pollinator/p/result', hostPath: join(claim, 'fs-1', 'pollinator', 'p', 'result'), subPath: 'fs-1/pollinator/p/result' },
      { mountPath: '/etc/config', hostPath: join(root, 'config') },
    ];
    const rootfs = join(root, 'rootfs');
    const ancestors = mountAncestors(mounts, rootfs);
    expect(ancestors).toEqual([{ mountPath: '/cfs', hostPath: join(rootfs, 'cfs') }]);
    expect(lstatSync(join(rootfs, 'cfs', 'pollinator', 'p')).isDirectory()).toBe(true);
    expect(readlinkSync(join(rootfs, 'cfs', 'pollinator', 'p', 'data'))).toBe(mounts[0]!.hostPath);
    const paths = [...mounts, ...ancestors].sort((a, b) => b.mountPath.length - a.mountPath.length);
    // $PROJECT_DIR (above the mounts) lands in the pod root; the mounts go straight to the claim.
    expect(rewritePaths('/cfs/pollinator/p', paths)).toBe(join(rootfs, 'cfs', 'pollinator', 'p'));
    expect(rewritePaths('cat /cfs/pollinator/p/data/x.csv', paths)).toBe(`cat ${mounts[0]!.hostPath}/x.csv`);
    expect(rewritePaths('cat /etc/os-release', paths)).toBe('cat /etc/os-release');
  });
});
