/**
 * `jobAddress` of the local backend: loopback for a plain process, the
 * engine's address of the container otherwise (the fake docker client answers
 * loopback: its "containers" run on this machine), none for a container the
 * engine does not know.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, JobHandle, JobRequest } from '@pollinator/backend';
import { testJobRequest } from '@pollinator/backend/test';
import { addressFromInspect, ADDRESS_FORMAT, localJobAddress } from './job-address';
import { createLocalBackend } from './local-backend';

const fakeDocker = fileURLToPath(new URL('./__fixtures__/fake-docker.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'pollinator-local-address-'));
let savedDockerConfig: string | undefined;
beforeAll(() => {
  savedDockerConfig = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = join(root, 'docker');
});
afterAll(() => {
  if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = savedDockerConfig;
  rmSync(root, { recursive: true, force: true });
});

function job(): JobRequest {
  return testJobRequest('sleep 30', mkdtempSync(join(root, 'job-')), { image: 'busybox' });
}

async function addressWhileRunning(backend: Backend): Promise<string | undefined> {
  let handle: JobHandle | undefined;
  try {
    handle = await backend.start(job());
    const started = handle;
    await expect.poll(async () => (await backend.status(started)).state, { timeout: 20_000, interval: 100 }).toBe('running');
    return await backend.jobAddress!(started);
  } finally {
    if (handle) await backend.cancel(handle);
  }
}

describe('local jobAddress', () => {
  it('is loopback for a plain process', async () => {
    expect(await addressWhileRunning(createLocalBackend({ mode: 'process', isolation: 'rewrite', stopGraceSeconds: 1 }))).toBe('127.0.0.1');
  });

  it("is the engine's address of the container in docker mode", async () => {
    expect(await addressWhileRunning(createLocalBackend({ mode: 'docker', containerCommand: fakeDocker, stopGraceSeconds: 1 }))).toBe('127.0.0.1');
  });

  it('is none for a container the engine does not know (never loopback in its place)', async () => {
    const handle: JobHandle = {
      backend: 'local',
      processId: 'f'.repeat(64),
      id: '1',
      data: { workDir: root, mode: 'docker', startTicks: null, containerName: 'pollinator-gone' },
    };
    expect(await localJobAddress(handle, { containerCommand: fakeDocker })).toBeUndefined();
  });

  it('is an error naming the container and what to do for a running container without an address of its own', async () => {
    const backend = createLocalBackend({ mode: 'podman', containerCommand: fakeDocker, stopGraceSeconds: 1 });
    process.env.FAKE_DOCKER_NO_ADDRESS = '1';
    try {
      await expect(addressWhileRunning(backend)).rejects.toThrow(/container pollinator-[0-9a-f]+-\S* has no network address of its own .*a forward cannot reach it; run the executor with rootful podman/);
    } finally {
      delete process.env.FAKE_DOCKER_NO_ADDRESS;
    }
  });

  it("reads the first address of the container's networks", () => {
    expect(ADDRESS_FORMAT).toContain('.NetworkSettings.Networks');
    expect(addressFromInspect('172.17.0.2 \n')).toBe('172.17.0.2');
    expect(addressFromInspect(' 10.88.0.5 172.18.0.3 ')).toBe('10.88.0.5');
    expect(addressFromInspect('fd00::5 ')).toBe('fd00::5');
    // --network none, rootless user-mode networking: no address of its own.
    expect(addressFromInspect(' \n')).toBeUndefined();
    expect(addressFromInspect('<no value> ')).toBeUndefined();
  });
});
