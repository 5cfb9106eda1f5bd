import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadS3Sdk, loadS3Upload } from './s3-sdk';
import { assertSafeKey, type BlobStore, type PutOptions, type PutResult } from './blob-store';
import { BlobNotFoundError, CfsError, throwIfAborted } from './errors';

const MiB = 1024 * 1024;

export interface S3BlobStoreOptions {
  /** `host:port` as in the Go client's `AWS_S3_ENDPOINT` (a `http(s)://` URL is accepted too). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Default `us-east-1`. */
  region?: string;
  /** HTTPS to S3 (`AWS_S3_TLS`). Default false. */
  tls?: boolean;
  /** Accept any TLS certificate (`AWS_S3_SKIPVERIFY`). Default false. */
  skipVerify?: boolean;
  /** Objects of at least this size go up as multipart uploads. Default 16 MiB. */
  multipartThreshold?: number;
  /** Part size of multipart uploads (S3 minimum 5 MiB). Default 8 MiB. */
  partSize?: number;
  /** Parts in flight per multipart upload. Default 4. */
  partConcurrency?: number;
  /** Create the bucket on first use when it does not exist (as the Go client does). Default true. */
  createBucket?: boolean;
  /** Inject a client (tests, custom middleware). */
  client?: S3Client;
}

export interface S3BlobStore extends BlobStore {
  /** The underlying SDK client (escape hatch). */
  getInstance(): S3Client;
}

interface MultipartState {
  key: string;
  uploadId: string;
  partSize: number;
  parts: { PartNumber: number; ETag: string }[];
}

/**
 * Reads the Go CFS client's variables: `AWS_S3_ENDPOINT` (`host:port`, no
 * scheme), `AWS_S3_ACCESSKEY`, `AWS_S3_SECRETKEY`, `AWS_S3_REGION`,
 * `AWS_S3_BUCKET`, `AWS_S3_TLS`, `AWS_S3_SKIPVERIFY`. Returns `undefined` when
 * `AWS_S3_ENDPOINT` is unset; a missing companion variable is an error naming it.
 */
export function s3OptionsFromEnv(env: Record<string, string | undefined> = process.env): S3BlobStoreOptions | undefined {
  const endpoint = env.AWS_S3_ENDPOINT;
  if (!endpoint) return undefined;
  const required = (name: string, hint: string): string => {
    const value = env[name];
    if (!value) throw new CfsError('INVALID_CONFIG', `AWS_S3_ENDPOINT is set but ${name} is missing (${hint})`);
    return value;
  };
  const flag = (name: string): boolean => {
    const value = env[name];
    if (value === undefined || value === '') return false;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new CfsError('INVALID_CONFIG', `${name} must be "true" or "false", got ${JSON.stringify(value)}`);
  };
  if (/^[a-z]+:\/\//i.test(endpoint) === false && !/^[^/:]+(:\d+)?$/.test(endpoint)) {
    throw new CfsError('INVALID_CONFIG', `AWS_S3_ENDPOINT must look like host:port (for example 127.0.0.1:9000), got ${JSON.stringify(endpoint)}`);
  }
  return {
    endpoint,
    accessKey: required('AWS_S3_ACCESSKEY', 'the S3 access key'),
    secretKey: required('AWS_S3_SECRETKEY', 'the S3 secret key'),
    bucket: required('AWS_S3_BUCKET', 'the bucket name, created when missing'),
    region: env.AWS_S3_REGION || 'us-east-1',
    tls: flag('AWS_S3_TLS'),
    skipVerify: flag('AWS_S3_SKIPVERIFY'),
  };
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}
function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * S3 blob store (`@aws-sdk/client-s3`, path-style, checksums only when
 * required). Objects below `multipartThreshold` go up in one PutObject; larger
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
  // The SDK is loaded (and the client made) on first use, not at import or creation: it costs ~0.5-1 s.
  let created: S3Client | undefined;
  const sdkClient = (): S3Client => (created ??= options.client ?? newS3Client(options, endpointUrl));
  /** The SDK and the client, loading them on the first call. */
  const s3 = () => ({ sdk: loadS3Sdk(), client: sdkClient() });

  let bucketReady: Promise<void> | undefined;
  const ensureBucket = () =>
    (bucketReady ??= (async () => {
      const { sdk, client } = s3();
      try {
        await client.send(new sdk.HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if (httpStatus(error) !== 404 || options.createBucket === false) throw error;
        try {
          await client.send(new sdk.CreateBucketCommand({ Bucket: bucket }));
        } catch (createError) {
          if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorName(createError))) throw createError;
        }
      }
    })().catch((error: unknown) => {
      bucketReady = undefined;
      throw error;
    }));

  async function putSmall(key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
    const { sdk, client } = s3();
    const chunks: Buffer[] = [];
    let seen = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      seen += chunk.length;
    }
    if (seen !== putOptions.size) throw new Error(`[pollinator] [cfs-sync] expected ${putOptions.size} bytes, got ${seen}`);
    await client.send(
      new sdk.PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
        ContentLength: seen,
        ContentType: 'application/octet-stream',
      }),
      { abortSignal: putOptions.signal },
    );
    putOptions.onBytes?.(seen);
    return { resumedBytes: 0 };
  }

  async function putWithLibStorage(key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
    const { Upload } = loadS3Upload();
    const upload = new Upload({
      client: sdkClient(),
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

  async function putResumable(key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
    const { sdk, client } = s3();
    const journal = putOptions.resume!;
    const signal = putOptions.signal;
    let state = (await journal.load()) as MultipartState | undefined;
    if (state && (state.key !== key || state.partSize !== partSize)) state = undefined;
    if (state) {
      // The upload may have been aborted or expired server-side: trust only what S3 still lists.
      try {
        const listed = new Map<number, string>();
        let marker: string | undefined;
        do {
          const page = await client.send(
            new sdk.ListPartsCommand({ Bucket: bucket, Key: key, UploadId: state.uploadId, PartNumberMarker: marker }),
            { abortSignal: signal },
          );
          for (const part of page.Parts ?? []) if (part.PartNumber && part.ETag) listed.set(part.PartNumber, part.ETag);
          marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
        } while (marker);
        state.parts = state.parts.filter((part) => listed.get(part.PartNumber) === part.ETag);
      } catch (error) {
        if (errorName(error) !== 'NoSuchUpload' && httpStatus(error) !== 404) throw error;
        state = undefined;
      }
    }
    if (!state) {
      const created = await client.send(
        new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/octet-stream' }),
        { abortSignal: signal },
      );
      state = { key, uploadId: created.UploadId!, partSize, parts: [] };
      await journal.save(state);
    }
    const current = state;
    const done = new Map(current.parts.map((part) => [part.PartNumber, part.ETag]));
    let resumedBytes = 0;
    let saving: Promise<void> = Promise.resolve();
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;

    const sendPart = (partNumber: number, data: Buffer) => {
      const task = (async () => {
        const reply = await client.send(
          new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId: current.uploadId, PartNumber: partNumber, Body: data, ContentLength: data.length }),
          { abortSignal: signal },
        );
        current.parts.push({ PartNumber: partNumber, ETag: reply.ETag! });
        putOptions.onBytes?.(data.length);
        saving = saving.then(() => journal.save({ ...current, parts: [...current.parts] }));
        await saving;
      })().catch((error: unknown) => {
        failure ??= error;
      });
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    };

    let partNumber = 1;
    let buffer = Buffer.allocUnsafe(Math.min(partSize, putOptions.size));
    let filled = 0;
    let seen = 0;
    const flush = async () => {
      const data = buffer.subarray(0, filled);
      if (done.has(partNumber)) {
        resumedBytes += data.length;
        putOptions.onBytes?.(data.length);
      } else {
        while (inFlight.size >= partConcurrency) await Promise.race(inFlight);
        if (failure) throw failure as Error;
        sendPart(partNumber, data);
      }
      partNumber += 1;
      buffer = Buffer.allocUnsafe(Math.max(0, Math.min(partSize, putOptions.size - seen)));
      filled = 0;
    };
    try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      throwIfAborted(signal);
      if (failure) throw failure as Error;
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(chunk.length - offset, buffer.length - filled);
        if (take <= 0) throw new Error(`[pollinator] [cfs-sync] more than ${putOptions.size} bytes for ${key}`);
        chunk.copy(buffer, filled, offset, offset + take);
        filled += take;
        offset += take;
        seen += take;
        if (filled === buffer.length) await flush();
      }
    }
    if (filled > 0) await flush();
    } finally {
      // Let parts already in flight finish and be journaled, so a retry resumes after them.
      await Promise.allSettled([...inFlight]);
      await saving.catch(() => undefined);
    }
    if (failure) throw failure as Error;
    if (seen !== putOptions.size) throw new Error(`[pollinator] [cfs-sync] expected ${putOptions.size} bytes for ${key}, got ${seen}`);
    const parts = [...current.parts].sort((a, b) => a.PartNumber - b.PartNumber);
    await client.send(
      new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: current.uploadId, MultipartUpload: { Parts: parts } }),
      { abortSignal: signal },
    );
    await journal.clear();
    return { resumedBytes };
  }

  /**
   * A large object as `partConcurrency` parallel ranged GETs of `partSize`,
   * yielded in order (memory: about partConcurrency + 1 parts).
   */
  async function getRanges(key: string, size: number, signal: AbortSignal | undefined): Promise<Readable> {
    const { sdk, client } = s3();
    const fetchRange = async (start: number): Promise<Buffer> => {
      const end = Math.min(size, start + partSize) - 1;
      let reply;
      try {
        reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }), { abortSignal: signal });
      } catch (error) {
        if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) throw new BlobNotFoundError(key, `S3 (${bucket})`);
        throw error;
      }
      const bytes = await reply.Body!.transformToByteArray();
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // no second copy
      if (buffer.length !== end - start + 1) throw new Error(`[pollinator] [cfs-sync] short range read of ${key} at ${start}`);
      return buffer;
    };
    const starts: number[] = [];
    for (let start = 0; start < size; start += partSize) starts.push(start);
    const pending: Promise<Buffer>[] = [];
    let next = 0;
    const fill = () => {
      while (pending.length < partConcurrency && next < starts.length) {
        const promise = fetchRange(starts[next++]!);
        promise.catch(() => undefined); // surfaced when awaited in order
        pending.push(promise);
      }
    };
    fill();
    // The first range proves the object exists before the stream is handed out.
    await pending[0];
    return Readable.from(
      (async function* () {
        while (pending.length > 0) {
          const part = await pending.shift()!;
          fill();
          yield part;
        }
      })(),
      { objectMode: false },
    );
  }

  return {
    kind: 's3',
    location: { server: hostPort, tls, region: options.region ?? 'us-east-1', bucket },
    getInstance: sdkClient,
    async put(key, body, putOptions) {
      assertSafeKey(key);
      await ensureBucket();
      if (putOptions.size < threshold) return putSmall(key, body, putOptions);
      if (putOptions.resume) return putResumable(key, body, putOptions);
      return putWithLibStorage(key, body, putOptions);
    },
    async get(key, getOptions) {
      const { sdk, client } = s3();
      assertSafeKey(key);
      await ensureBucket();
      const size = getOptions?.size;
      if (size !== undefined && size >= threshold) return getRanges(key, size, getOptions?.signal);
      try {
        const reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: getOptions?.signal });
        return reply.Body as Readable;
      } catch (error) {
        if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) throw new BlobNotFoundError(key, `S3 (${bucket})`);
        throw error;
      }
    },
    async head(key) {
      const { sdk, client } = s3();
      assertSafeKey(key);
      await ensureBucket();
      try {
        const reply = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: reply.ContentLength ?? 0 };
      } catch (error) {
        if (errorName(error) === 'NotFound' || httpStatus(error) === 404) return undefined;
        throw error;
      }
    },
    async delete(key) {
      const { sdk, client } = s3();
      assertSafeKey(key);
      await ensureBucket();
      await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
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
      if (!options.client) created?.destroy();
    },
  };
}

function newS3Client(options: S3BlobStoreOptions, endpointUrl: string): S3Client {
  return new (loadS3Sdk().S3Client)({
    endpoint: endpointUrl,
    region: options.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKey, secretAccessKey: options.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 128 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 128, rejectUnauthorized: !options.skipVerify }),
    },
  });
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller;
}
