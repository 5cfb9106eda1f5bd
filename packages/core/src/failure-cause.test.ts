import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ChecksumMismatchError, createLocalBlobStore, createS3BlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, loadColoniesConfig } from '@pollinator/colonies-client';
import { generatePrivateKey } from '@pollinator/crypto';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes';
import { describeFailure } from './failure-cause';

/** What a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let server: DevServer;
let dir: string;

beforeAll(async () => {
  server = await startDevServer({});
  dir = await mkdtemp(join(tmpdir(), 'failure-cause-'));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('describeFailure, with real errors from the client', () => {
  it('a Colonies 403 during the upload (the key is not a member of the colony) is NOT_A_MEMBER, 77, with a fix about membership', async () => {
    const stranger = createColoniesClient({ url: server.url, privateKey: generatePrivateKey(), colonyName: server.identities.colony.name });
    const error = await rejection(stranger.getFiles('/src'));
    const cause = describeFailure(error, 'upload', 'uploading cfs/src');
    expect(cause.code).toBe('NOT_A_MEMBER');
    expect(cause.exitCode).toBe(ExitCode.SUBMISSION_REJECTED);
    expect(cause.message).toMatch(/^Uploading cfs\/src failed: the Colonies server refused .*403/);
    expect(cause.fix).toContain('COLONIES_PRVKEY is not a member of COLONIES_COLONY_NAME');
    expect(cause.fix).not.toMatch(/AWS_S3/);
  });

  it('an unreachable Colonies server during the upload is SERVER_UNREACHABLE, 75', async () => {
    const port = await closedPort();
    const client = createColoniesClient({ url: `http://127.0.0.1:${port}`, privateKey: generatePrivateKey(), colonyName: 'dev', retry: false });
    const error = await rejection(client.getFiles('/src'));
    const cause = describeFailure(error, 'upload', 'uploading cfs/src');
    expect(cause).toMatchObject({ code: 'SERVER_UNREACHABLE', exitCode: ExitCode.CONNECTION_LOST });
    expect(cause.message).toContain('cannot reach the Colonies server');
    expect(cause.fix).toContain('COLONIES_SERVER_HOST');
  });

  it('an aborted call is INTERRUPTED, 130, and says where the results are after a download', async () => {
    const controller = new AbortController();
    controller.abort(new Error('Interrupted by SIGINT'));
    const client = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
    const error = await rejection(client.getFiles('/result', { signal: controller.signal }));
    const cause = describeFailure(error, 'download', 'downloading cfs/result');
    expect(cause).toMatchObject({ code: 'INTERRUPTED', exitCode: ExitCode.CANCELLED, message: 'Downloading cfs/result was interrupted' });
    expect(cause.fix).toContain('pollinator pull');
    expect(describeFailure(error, 'upload', 'uploading cfs/src').fix).toContain('Nothing was submitted');
  });

  it('another refusal of the server during the upload stays SYNC_FAILED, 74, without telling to try again', async () => {
    const client = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
    const error = await rejection(client.getFile({ colonyName: server.identities.colony.name, fileId: 'f'.repeat(64) }));
    const cause = describeFailure(error, 'upload', 'uploading cfs/src');
    expect(cause).toMatchObject({ code: 'SYNC_FAILED', exitCode: ExitCode.SYNC_FAILED });
    expect(`${cause.message} ${cause.fix ?? ''}`).not.toMatch(/try again|run again in a moment/i);
  });

  it('the same refusal while submitting is SUBMISSION_REJECTED, 77', async () => {
    const client = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
    const error = await rejection(client.getFile({ colonyName: server.identities.colony.name, fileId: 'f'.repeat(64) }));
    expect(describeFailure(error, 'submit', 'submitting').exitCode).toBe(ExitCode.SUBMISSION_REJECTED);
  });

  it('an invalid COLONIES_* configuration is CONFIG, 78', () => {
    let error: unknown;
    try {
      loadColoniesConfig({ COLONIES_SERVER_HOST: 'localhost' });
    } catch (thrown) {
      error = thrown;
    }
    expect(describeFailure(error, 'upload', 'uploading cfs/src')).toMatchObject({ code: 'CONFIG', exitCode: 78 });
  });
});

describe('describeFailure, with real errors from the file system and the blob store', () => {
  it('a local file that cannot be read is LOCAL_FILE_UNREADABLE, 66, naming the file', async () => {
    const loop = join(dir, 'loop');
    await symlink(loop, loop);
    const error = await rejection(readFile(loop));
    const cause = describeFailure(error, 'upload', 'uploading cfs/src');
    expect(cause).toMatchObject({ code: 'LOCAL_FILE_UNREADABLE', exitCode: ExitCode.NO_INPUT });
    expect(cause.message).toContain(`cannot read ${loop} (ELOOP)`);
    expect(cause.fix).toContain('.pollinatorignore');
  });

  it('a missing blob during a download is REMOTE_DAMAGED, 74, and says retrying will not help', async () => {
    const store = createLocalBlobStore({ dir: join(dir, 'blobs') });
    const error = await rejection(store.get('0123456789abcdef'));
    const cause = describeFailure(error, 'download', 'downloading cfs/result');
    expect(cause).toMatchObject({ code: 'REMOTE_DAMAGED', exitCode: ExitCode.SYNC_FAILED });
    expect(cause.fix).toContain('running again will not help');
    const mismatch = describeFailure(new ChecksumMismatchError('a.txt', 'aa', 'bb'), 'download', 'downloading cfs/result');
    expect(mismatch.code).toBe('REMOTE_DAMAGED');
  });

  it('an S3 endpoint nobody listens on is S3_UNREACHABLE, 75, naming the endpoint (not the Colonies server)', async () => {
    const port = await closedPort();
    const store = createS3BlobStore({ endpoint: `127.0.0.1:${port}`, accessKey: 'a', secretKey: 'b', bucket: 'some-bucket' });
    try {
      const error = await rejection(store.put('0123456789abcdef', Readable.from([Buffer.from('x')]), { size: 1 }));
      const cause = describeFailure(error, 'upload', 'uploading cfs/data');
      expect(cause).toMatchObject({ code: 'S3_UNREACHABLE', exitCode: ExitCode.CONNECTION_LOST });
      expect(cause.message).toContain(`S3 at 127.0.0.1:${port}`);
      expect(cause.message).not.toContain('Colonies');
      expect(cause.fix).toContain('AWS_S3_ENDPOINT');
    } finally {
      await store.close?.();
    }
  });

  it('a network error without a class says which address it could not reach', async () => {
    const port = await closedPort();
    const error = await rejection(fetch(`http://127.0.0.1:${port}/`));
    const cause = describeFailure(error, 'download', 'downloading cfs/result');
    expect(cause).toMatchObject({ code: 'UNREACHABLE', exitCode: ExitCode.CONNECTION_LOST });
    expect(cause.message).toContain(`127.0.0.1:${port}`);
  });

  it('anything else is the step\'s own code', () => {
    expect(describeFailure(new Error('boom'), 'upload', 'uploading cfs/src')).toMatchObject({ code: 'SYNC_FAILED', exitCode: 74, message: 'Uploading cfs/src failed: boom' });
    expect(describeFailure(new Error('boom'), 'follow', 'following')).toMatchObject({ code: 'CONNECTION_LOST', exitCode: 75 });
  });
});

// The S3 service of the test setup (scripts/services/ceph-rgw-up.sh writes these variables).
const s3 = process.env.POLLINATOR_TEST_S3_ENDPOINT
  ? {
      endpoint: process.env.POLLINATOR_TEST_S3_ENDPOINT,
      accessKey: process.env.POLLINATOR_TEST_S3_ACCESS_KEY ?? '',
      secretKey: process.env.POLLINATOR_TEST_S3_SECRET_KEY ?? '',
      bucket: process.env.POLLINATOR_TEST_S3_BUCKET ?? 'pollinator-test',
    }
  : undefined;

describe.skipIf(!s3)(`describeFailure against Ceph RGW${s3 ? '' : ' (skipped: POLLINATOR_TEST_S3_ENDPOINT not set; run scripts/services/ceph-rgw-up.sh)'}`, () => {
  it('a wrong S3 secret is S3_CREDENTIALS, 77, naming the endpoint and bucket', async () => {
    const store = createS3BlobStore({ ...s3!, secretKey: 'not-the-secret' });
    try {
      const error = await rejection(store.put('0123456789abcdef', Readable.from([Buffer.from('x')]), { size: 1 }));
      const cause = describeFailure(error, 'upload', 'uploading cfs/src');
      expect(cause).toMatchObject({ code: 'S3_CREDENTIALS', exitCode: ExitCode.SUBMISSION_REJECTED });
      expect(cause.message).toBe(`Uploading cfs/src failed: S3 at ${s3!.endpoint} refused the credentials for bucket ${s3!.bucket} (HTTP 403)`);
      expect(cause.fix).toContain('AWS_S3_SECRETKEY');
    } finally {
      await store.close?.();
    }
  });
});
