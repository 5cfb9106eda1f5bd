import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackend, waitForFinalStatus, readAllLogs } from '@pollinator/backend/test';
import { containerRunArguments } from './container-args';
import { createLocalBackend } from './local-backend';

// No container engine runs on the test machines (a docker client only), so
// the container mode is tested against a fake `docker` client that records
// its argv and runs the command on this machine (see __fixtures__/fake-docker.mjs).
const fakeDocker = fileURLToPath(new URL('./__fixtures__/fake-docker.mjs', import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), 'pollinator-fake-docker-'));
let savedDockerConfig: string | undefined;

beforeAll(() => {
  savedDockerConfig = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = stateDir;
});
afterAll(() => {
  if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = savedDockerConfig;
});

testBackend(
  'local, docker mode (fake docker client)',
  () => createLocalBackend({ mode: 'docker', containerCommand: fakeDocker, stopGraceSeconds: 2 }),
  { containers: true, rewritesMountPaths: true },
);

describe('docker / podman command line', () => {
  const job = {
    processId: 'a'.repeat(64),
    image: 'python:3.12-slim',
    rebuildImage: true,
    initCommand: '',
    command: 'python3 /cfs/src/main.py',
    env: { PROJECT_DIR: '/cfs/pollinator/p', COLONIES_PROCESS_ID: 'a'.repeat(64) },
    resources: {
      nodes: 1,
      processesPerNode: 2,
      cpuMillicores: 500,
      memoryBytes: 1024 * 1024 * 1024,
      gpu: { count: 1, name: '' },
      walltimeSeconds: 60,
    },
    mounts: [{ hostPath: '/srv/fs', containerPath: '/cfs' }],
    protectedPaths: ['/srv/state'],
    placement: {},
    workDir: '/tmp/w',
  };

  it('binds the mount, passes env by name only, and sets resource limits', () => {
    expect(containerRunArguments(job, 'pollinator-x', 'python3 /cfs/src/main.py')).toEqual([
      'run',
      '--name',
      'pollinator-x',
      '--label',
      `pollinator.process-id=${'a'.repeat(64)}`,
      '--init',
      '--rm',
      '--pull=always',
      '--volume',
      '/srv/fs:/cfs',
      '--env',
      'COLONIES_PROCESS_ID',
      '--env',
      'PROJECT_DIR',
      '--cpus',
      '1',
      '--memory',
      '1073741824b',
      '--gpus',
      '1',
      '--entrypoint',
      'sh',
      'python:3.12-slim',
      '-c',
      'python3 /cfs/src/main.py',
    ]);
  });

  it('runs the client with that command line, and stops the container on cancel', async () => {
    const backend = createLocalBackend({ mode: 'docker', containerCommand: fakeDocker, stopGraceSeconds: 1 });
    const root = mkdtempSync(join(tmpdir(), 'pollinator-docker-job-'));
    const handle = await backend.start({
      ...job,
      rebuildImage: false,
      command: 'echo "in container $PROJECT_DIR"; sleep 30',
      mounts: [{ hostPath: join(root, 'fs'), containerPath: '/cfs' }],
      workDir: join(root, 'work'),
    });
    for await (const chunk of backend.logs(handle, '')) {
      if (chunk.text.includes('in container')) break;
    }
    await backend.cancel(handle);
    expect(await waitForFinalStatus(backend, handle, 10_000)).toMatchObject({ state: 'cancelled' });
    const calls = readFileSync(join(stateDir, 'argv.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[]);
    const run = calls.find((argv) => argv[0] === 'run' && argv.includes('echo "in container $PROJECT_DIR"; sleep 30'));
    expect(run).toBeDefined();
    const name = run![run!.indexOf('--name') + 1]!;
    expect(run).toContain(`${join(root, 'fs')}:/cfs`);
    expect(run!.join(' ')).not.toContain('/cfs/pollinator/p'); // env values never on the command line
    expect(calls).toContainEqual(['stop', '--time', '1', name]);
    expect((await backend.attributes!(handle))['CONTAINER-NAME']).toBe(name);
    const { text } = await readAllLogs(backend, handle, '', 5000);
    expect(text).toContain('in container');
  });

  it('drives podman with the same command line', async () => {
    const backend = createLocalBackend({ mode: 'podman', containerCommand: fakeDocker, stopGraceSeconds: 1 });
    expect(backend.mode).toBe('podman');
    const root = mkdtempSync(join(tmpdir(), 'pollinator-podman-job-'));
    const handle = await backend.start({
      ...job,
      rebuildImage: false,
      command: 'echo "from podman"',
      mounts: [{ hostPath: join(root, 'fs'), containerPath: '/cfs' }],
      workDir: join(root, 'work'),
    });
    expect(await waitForFinalStatus(backend, handle, 10_000)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect((await readAllLogs(backend, handle, '', 5000)).text).toBe('from podman\n');
    await backend.cleanup!(handle);
    const calls = readFileSync(join(stateDir, 'argv.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]);
    const name = handle.data.containerName as string;
    expect(calls).toContainEqual(['rm', '--force', name]);
  });

  it("reports the image's digest from the engine (image inspect), none for a plain process", async () => {
    const backend = createLocalBackend({ mode: 'docker', containerCommand: fakeDocker, stopGraceSeconds: 1 });
    const root = mkdtempSync(join(tmpdir(), 'pollinator-docker-digest-'));
    const handle = await backend.start({ ...job, rebuildImage: false, command: 'true', mounts: [{ hostPath: join(root, 'fs'), containerPath: '/cfs' }], workDir: join(root, 'work') });
    expect(await waitForFinalStatus(backend, handle, 10_000)).toMatchObject({ state: 'succeeded' });
    // The fake engine's RepoDigests entry for python:3.12-slim.
    const expected = `sha256:${createHash('sha256').update('repo:python:3.12-slim').digest('hex')}`;
    expect(await backend.imageDigest!(handle)).toBe(expected);
    const calls = readFileSync(join(stateDir, 'argv.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]);
    expect(calls).toContainEqual(['image', 'inspect', '--format', '{{json .RepoDigests}} {{.Id}}', 'python:3.12-slim']);

    const plain = createLocalBackend({ mode: 'process', isolation: 'rewrite', stopGraceSeconds: 1 });
    const plainHandle = await plain.start({ ...job, command: 'true', mounts: [{ hostPath: join(root, 'fs2'), containerPath: '/cfs' }], workDir: join(root, 'work2') });
    expect(await waitForFinalStatus(plain, plainHandle, 10_000)).toMatchObject({ state: 'succeeded' });
    expect(await plain.imageDigest!(plainHandle)).toBeUndefined();
  });
});
