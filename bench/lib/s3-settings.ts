/**
 * The S3 the benchmarks use (the repository's Ceph RGW, POLLINATOR_TEST_S3_*
 * from scripts/services/ceph-rgw-up.sh) and the AWS_S3_* variables that
 * point a `pollinator` process at it: one home for both, so every whole-
 * process benchmark configures the CLI the same way.
 */

export interface S3Settings {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

/** The test S3 from the environment with `bucket` (each benchmark uses a bucket of its own), or undefined when none is running. */
export function s3SettingsFromEnv(bucket: string, env: NodeJS.ProcessEnv = process.env): S3Settings | undefined {
  const endpoint = env.POLLINATOR_TEST_S3_ENDPOINT ?? env.AWS_S3_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  return {
    endpoint,
    accessKey: env.POLLINATOR_TEST_S3_ACCESS_KEY ?? env.AWS_S3_ACCESSKEY ?? '',
    secretKey: env.POLLINATOR_TEST_S3_SECRET_KEY ?? env.AWS_S3_SECRETKEY ?? '',
    bucket,
    region: env.POLLINATOR_TEST_S3_REGION ?? env.AWS_S3_REGION ?? 'us-east-1',
  };
}

/** The AWS_S3_* variables a `pollinator` process reads for `s3` (plain HTTP, as the test Ceph serves). */
export function s3Environment(s3: S3Settings): NodeJS.ProcessEnv {
  return {
    AWS_S3_ENDPOINT: s3.endpoint,
    AWS_S3_ACCESSKEY: s3.accessKey,
    AWS_S3_SECRETKEY: s3.secretKey,
    AWS_S3_BUCKET: s3.bucket,
    AWS_S3_REGION: s3.region,
    AWS_S3_TLS: 'false',
  };
}
