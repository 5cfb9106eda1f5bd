import type { S3BlobStoreOptions } from './s3-blob-store';

/**
 * S3 settings for the tests, from the variables scripts/services/ceph-rgw-up.sh
 * writes. Absent → the S3 suites skip themselves (visibly, the reason is in the
 * suite name), except with POLLINATOR_REQUIRE_SERVICES=1, where they fail.
 */
export function s3TestOptions(): S3BlobStoreOptions | undefined {
  const env = process.env;
  if (!env.POLLINATOR_TEST_S3_ENDPOINT) {
    if (env.POLLINATOR_REQUIRE_SERVICES === '1') {
      throw new Error(
        'POLLINATOR_REQUIRE_SERVICES=1 but POLLINATOR_TEST_S3_ENDPOINT is not set: scripts/services/ceph-rgw-up.sh did not run or failed',
      );
    }
    return undefined;
  }
  return {
    endpoint: env.POLLINATOR_TEST_S3_ENDPOINT,
    accessKey: env.POLLINATOR_TEST_S3_ACCESS_KEY ?? '',
    secretKey: env.POLLINATOR_TEST_S3_SECRET_KEY ?? '',
    bucket: env.POLLINATOR_TEST_S3_BUCKET ?? 'pollinator-test',
    region: env.POLLINATOR_TEST_S3_REGION ?? 'us-east-1',
  };
}

export const S3_SKIP_REASON = process.env.POLLINATOR_TEST_S3_ENDPOINT
  ? ''
  : ' (skipped: POLLINATOR_TEST_S3_ENDPOINT not set; run scripts/services/ceph-rgw-up.sh)';
