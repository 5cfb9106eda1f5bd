import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { assertSafeKey, readExactly, type BlobStore, type PutOptions, type PutResult } from './blob-store';
import { BlobNotFoundError } from './errors';
import { translateS3Error, type S3Place } from './s3-errors';
import { putResumable, type MultipartState } from './s3-multipart-put';
import type { S3BlobStoreOptions } from './s3-options';
import { createDirectS3, type DirectS3 } from './s3-direct';
import { getRanges, getRangesDirect } from './s3-ranged-get';
import { errorName, httpStatus, loadS3Sdk, loadS3Upload, withoutNodeVersionWarning, type S3Access } from './s3-sdk';

export { s3OptionsFromEnv, type S3BlobStoreOptions } from './s3-options';

const MiB = 1024 * 1024;

export interface S3BlobStore extends BlobStore {
  /** The underlying SDK client (escape hatch). */
  getInstance(): S3Client;
}

/**
 * S3 blob store (path-style, checksums only when required). The per-object
 * requests (PutObject and GetObject below `multipartThreshold`, HeadObject,
 * DeleteObject, HeadBucket) are signed and sent directly (s3-direct.ts, a
 * tenth of the SDK's CPU per request); multipart uploads, ranged downloads
 * and bucket creation use `@aws-sdk/client-s3`, as does every request when a
 * `client` is injected. Objects below `multipartThreshold` go up in one PutObject; larger
 * ones as multipart uploads with `partConcurrency` parts in flight. With a
 * resume journal the multipart upload id and finished parts are persisted after
 * every part, so an interrupted upload continues instead of starting over;
 * without one, `@aws-sdk/lib-storage` does the multipart upload.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  const tls = options.tls ?? false;
  const hostPort = options.endpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const endpointUrl = /^[a-z]+:\/\//i.test(options.endpoint) ? options.endpoint : `${tls ? 'https' : 'http'}://${options.endpoint}`;
  const partSize = Math.max(5 * MiB, options.partSize ?? 8 * MiB);
  const threshold = Math.max(options.multipartThreshold ?? 16 * MiB, 1);
  const partConcurrency = Math.max(1, options.partConcurrency ?? 4);
  const bucket = options.bucket;
  // Sockets shared by the direct requests and the SDK's (kept alive: a sync makes one request per file).
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 128 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 128, rejectUnauthorized: !options.skipVerify }) };
  // The SDK is loaded (and the client made) on first use, not at import or creation: it costs ~0.5-1 s.
  let created: S3Client | undefined;
  const sdkClient = (): S3Client => (created ??= options.client ?? newS3Client(options, endpointUrl, agents));
  /** The SDK and the client, loading them on the first call. */
  const s3 = () => ({ sdk: loadS3Sdk(), client: sdkClient() });
  const access = (): S3Access => ({ ...s3(), bucket, partSize, partConcurrency });
  // Per-object requests go without the SDK (s3-direct.ts), unless a client was injected (its middleware is wanted).
  const direct: DirectS3 | undefined =
    options.client === undefined
      ? createDirectS3({
          endpointUrl,
          region: options.region ?? 'us-east-1',
          accessKey: options.accessKey,
          secretKey: options.secretKey,
          bucket,
          agent: endpointUrl.startsWith('https:') ? agents.https : agents.http,
        })
      : undefined;
  const place: S3Place = { endpoint: hostPort, bucket };
  /** Refused credentials and an unreachable endpoint say so, naming the endpoint and bucket. */
  const translated = async <T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      return await (signal === undefined ? operation() : abortable(operation(), signal));
    } catch (error) {
      throw translateS3Error(error, place);
    }
  };

  // Closing the store ends requests still waiting on a server that does not answer (the SDK's destroy does not).
  const closing = new AbortController();
  setMaxListeners(0, closing.signal); // one listener per request in flight

  const headBucket = async (): Promise<void> => {
    if (direct) {
      (await direct.send({ method: 'HEAD', signal: closing.signal })).resume();
      return;
    }
    const { sdk, client } = s3();
    await client.send(new sdk.HeadBucketCommand({ Bucket: bucket }), { abortSignal: closing.signal });
  };
  let bucketReady: Promise<void> | undefined;
  const ensureBucket = () =>
    (bucketReady ??= (async () => {
      try {
        await headBucket();
      } catch (error) {
        if (httpStatus(error) !== 404 || options.createBucket === false) throw error;
        const { sdk, client } = s3();
        try {
          await client.send(new sdk.CreateBucketCommand({ Bucket: bucket }), { abortSignal: closing.signal });
        } catch (createError) {
          if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorName(createError))) throw createError;
        }
      }
    })().catch((error: unknown) => {
      bucketReady = undefined;
      throw error;
    }));

  return {
    kind: 's3',
    location: { server: hostPort, tls, region: options.region ?? 'us-east-1', bucket },
    getInstance: sdkClient,
    async put(key, body, putOptions) {
      assertSafeKey(key);
      return translated(async () => {
        await ensureBucket();
        if (putOptions.size < threshold) {
          return direct ? putSmallDirect(direct, key, body, putOptions, closing.signal) : putSmall(access(), key, body, putOptions);
        }
        if (putOptions.resume) return putResumable(access(), key, body, putOptions);
        return putWithLibStorage(access(), key, body, putOptions);
      }, putOptions.signal);
    },
    async get(key, getOptions) {
      assertSafeKey(key);
      return translated(async () => {
        await ensureBucket();
        const size = getOptions?.size;
        if (size !== undefined && size >= threshold) {
          if (direct) return getRangesDirect(direct, bucket, { key, size, partSize, partConcurrency }, getOptions?.signal);
          return getRanges(access(), key, size, getOptions?.signal);
        }
        try {
          if (direct) return await direct.send({ method: 'GET', key, signal: getOptions?.signal ?? closing.signal });
          const { sdk, client } = s3();
          const reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: getOptions?.signal });
          return reply.Body as Readable;
        } catch (error) {
          if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) throw new BlobNotFoundError(key, `S3 (${bucket})`);
          throw error;
        }
      }, getOptions?.signal);
    },
    async head(key) {
      assertSafeKey(key);
      return translated(async () => {
        await ensureBucket();
        try {
          if (direct) {
            const reply = await direct.send({ method: 'HEAD', key, signal: closing.signal });
            reply.resume();
            return { size: Number(reply.headers['content-length'] ?? 0) };
          }
          const { sdk, client } = s3();
          const reply = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
          return { size: reply.ContentLength ?? 0 };
        } catch (error) {
          if (errorName(error) === 'NotFound' || httpStatus(error) === 404) return undefined;
          throw error;
        }
      });
    },
    async delete(key) {
      assertSafeKey(key);
      await translated(async () => {
        await ensureBucket();
        if (direct) {
          (await direct.send({ method: 'DELETE', key, signal: closing.signal })).resume();
          return;
        }
        const { sdk, client } = s3();
        await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
      });
    },
    async abandon(key, resumeState) {
      const { sdk, client } = s3();
      assertSafeKey(key);
      const state = resumeState as Partial<MultipartState> | undefined;
      if (state?.key !== key || typeof state.uploadId !== 'string') return;
      try {
        // Parts of an unfinished multipart upload are stored (and billed) until it is aborted.
        await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: state.uploadId }));
      } catch (error) {
        if (errorName(error) !== 'NoSuchUpload' && httpStatus(error) !== 404) throw error;
      }
    },
    async close() {
      closing.abort();
      if (!options.client) {
        created?.destroy();
        agents.http.destroy();
        agents.https.destroy();
      }
    },
  };
}

/** One PutObject with the whole body in memory (objects below the multipart threshold), without the SDK. */
async function putSmallDirect(direct: DirectS3, key: string, body: Readable, putOptions: PutOptions, closing: AbortSignal): Promise<PutResult> {
  const data = await readExactly(body, putOptions.size, key);
  const reply: IncomingMessage = await direct.send({ method: 'PUT', key, body: data, contentType: 'application/octet-stream', signal: putOptions.signal ?? closing });
  reply.resume();
  putOptions.onBytes?.(data.length);
  return { resumedBytes: 0 };
}

/** One PutObject with the whole body in memory (objects below the multipart threshold), through an injected SDK client. */
async function putSmall(access: S3Access, key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
  const { sdk, client, bucket } = access;
  const data = await readExactly(body, putOptions.size, key);
  await client.send(
    new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentLength: data.length, ContentType: 'application/octet-stream' }),
    { abortSignal: putOptions.signal },
  );
  putOptions.onBytes?.(data.length);
  return { resumedBytes: 0 };
}

/** A multipart upload by `@aws-sdk/lib-storage` (large objects without a resume journal). */
async function putWithLibStorage(access: S3Access, key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
  const { client, bucket, partSize, partConcurrency } = access;
  const { Upload } = loadS3Upload();
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' },
    partSize,
    queueSize: partConcurrency,
    leavePartsOnError: false,
    abortController: putOptions.signal ? abortControllerFor(putOptions.signal) : undefined,
  });
  let reported = 0;
  upload.on('httpUploadProgress', (progress) => {
    const loaded = progress.loaded ?? 0;
    if (loaded > reported) {
      putOptions.onBytes?.(loaded - reported);
      reported = loaded;
    }
  });
  await upload.done();
  if (reported < putOptions.size) putOptions.onBytes?.(putOptions.size - reported);
  return { resumedBytes: 0 };
}

function newS3Client(options: S3BlobStoreOptions, endpointUrl: string, agents: { http: HttpAgent; https: HttpsAgent }): S3Client {
  const { S3Client: Client } = loadS3Sdk();
  return withoutNodeVersionWarning(() => new Client({
    endpoint: endpointUrl,
    region: options.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKey, secretAccessKey: options.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { httpAgent: agents.http, httpsAgent: agents.https },
  }));
}

/**
 * `promise`, or an AbortError as soon as `signal` aborts. Requests that take
 * no signal (the bucket check every first call waits for) would otherwise
 * keep an interrupted command waiting on a server that does not answer; the
 * request itself ends when the store is closed.
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = (): Error => Object.assign(new Error('the S3 request was aborted', { cause: signal.reason }), { name: 'AbortError' });
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => undefined);
      reject(aborted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the SDK's failure on as it is
        reject(error);
      },
    );
  });
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller;
}
