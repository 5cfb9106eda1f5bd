import type { S3Client } from '@aws-sdk/client-s3';
import { CfsError } from './errors';

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
