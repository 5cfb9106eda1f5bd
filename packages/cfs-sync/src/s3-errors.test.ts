import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CfsError } from './errors';
import { createS3BlobStore } from './s3-blob-store';
import { S3AccessDeniedError, S3UnreachableError } from './s3-errors';
import { s3TestOptions, S3_SKIP_REASON } from './s3-test-env.test-helpers';

const options = s3TestOptions();
const KEY = '0123456789abcdef0123456789abcdef';

/** A port nothing listens on: bound, read, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!options)(`S3 errors against Ceph RGW${S3_SKIP_REASON}`, () => {
  it.each(['head', 'get', 'put', 'delete'] as const)('a wrong secret key: %s says S3 refused the credentials, naming endpoint and bucket', async (operation) => {
    const store = createS3BlobStore({ ...options!, secretKey: 'not-the-secret' });
    try {
      const attempt =
        operation === 'head'
          ? store.head(KEY)
          : operation === 'get'
            ? store.get(KEY)
            : operation === 'put'
              ? store.put(KEY, Readable.from([Buffer.from('x')]), { size: 1 })
              : store.delete(KEY);
      const error = await attempt.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(S3AccessDeniedError.isInstance(error)).toBe(true);
      expect(CfsError.isInstance(error) && error.code).toBe('S3_ACCESS_DENIED');
      const denied = error as S3AccessDeniedError;
      expect(denied.endpoint).toBe(options!.endpoint);
      expect(denied.bucket).toBe(options!.bucket);
      expect(denied.status).toBe(403);
      expect(denied.message).toContain(`S3 at ${options!.endpoint} refused the credentials for bucket ${options!.bucket}`);
      expect(denied.message).not.toContain('UnknownError');
      expect(denied.message).not.toContain('not-the-secret');
    } finally {
      await store.close?.();
    }
  });

  it('an unknown access key is refused the same way', async () => {
    const store = createS3BlobStore({ ...options!, accessKey: 'no-such-access-key' });
    try {
      const error = await store.head(KEY).catch((thrown: unknown) => thrown);
      expect(S3AccessDeniedError.isInstance(error)).toBe(true);
    } finally {
      await store.close?.();
    }
  });
});

describe('S3 errors without a server', () => {
  it('an endpoint nobody listens on is "cannot reach S3 at <endpoint>"', async () => {
    const port = await closedPort();
    const store = createS3BlobStore({ endpoint: `127.0.0.1:${port}`, accessKey: 'a', secretKey: 'b', bucket: 'some-bucket' });
    try {
      const error = await store.head(KEY).catch((thrown: unknown) => thrown);
      expect(S3UnreachableError.isInstance(error)).toBe(true);
      const unreachable = error as S3UnreachableError;
      expect(unreachable.code).toBe('S3_UNREACHABLE');
      expect(unreachable.networkCode).toBe('ECONNREFUSED');
      expect(unreachable.message).toContain(`cannot reach S3 at 127.0.0.1:${port} (bucket some-bucket)`);
    } finally {
      await store.close?.();
    }
  });

  it("making an S3 client prints no AWS SDK Node.js-version warning and leaves the environment as it was", () => {
    // A child process: the SDK warns at most once per process.
    const script = [
      "const { createS3BlobStore } = await import('@pollinator/cfs-sync');",
      "const store = createS3BlobStore({ endpoint: '127.0.0.1:1', accessKey: 'a', secretKey: 'b', bucket: 'x' });",
      'store.getInstance();',
      "process.stdout.write(String(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED));",
    ].join('\n');
    const child = spawnSync(process.execPath, ['--conditions=@pollinator/source', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: import.meta.dirname,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined, NODE_OPTIONS: undefined },
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK/);
    expect(child.stdout).toBe('undefined');
  });
});
