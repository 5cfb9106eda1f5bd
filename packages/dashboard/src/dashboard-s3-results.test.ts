/**
 * The dashboard's results against a colony whose blobs are in real S3 (Ceph
 * RGW from scripts/services/ceph-rgw-up.sh): the blob store is made from the
 * AWS_S3_* variables as `pollinator ui` makes it, the results are written to
 * S3 as the executor writes them, and the listing, one file byte for byte and
 * the .tar come back through the dashboard. Not skipped without S3: CI always
 * starts Ceph, so missing variables are a broken setup and fail here.
 */
import { createS3BlobStore, s3OptionsFromEnv, type BlobStore } from '@pollinator/cfs-sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from './api-types';
import { startDashboardColony, type DashboardColony } from './dashboard.test-helpers';

/** The services' test variables (.services.env) as the AWS_S3_* variables `pollinator ui` reads. */
function s3Env(): Record<string, string> {
  const env = process.env;
  const missing = ['POLLINATOR_TEST_S3_ENDPOINT', 'POLLINATOR_TEST_S3_ACCESS_KEY', 'POLLINATOR_TEST_S3_SECRET_KEY', 'POLLINATOR_TEST_S3_BUCKET'].filter(
    (name) => !env[name],
  );
  if (missing.length > 0) {
    throw new Error(
      `the dashboard's S3 results test needs Ceph S3, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: ` +
        'run scripts/services/ceph-rgw-up.sh, then `set -a; source .services.env; set +a` before vitest (scripts/test.sh does both)',
    );
  }
  return {
    AWS_S3_ENDPOINT: env.POLLINATOR_TEST_S3_ENDPOINT!,
    AWS_S3_ACCESSKEY: env.POLLINATOR_TEST_S3_ACCESS_KEY!,
    AWS_S3_SECRETKEY: env.POLLINATOR_TEST_S3_SECRET_KEY!,
    AWS_S3_BUCKET: env.POLLINATOR_TEST_S3_BUCKET!,
    AWS_S3_REGION: env.POLLINATOR_TEST_S3_REGION || 'us-east-1',
    AWS_S3_TLS: 'false',
  };
}

let store: BlobStore;
let colony: DashboardColony;

beforeAll(async () => {
  const options = s3OptionsFromEnv(s3Env());
  if (options === undefined) throw new Error('s3OptionsFromEnv read no S3 settings from AWS_S3_ENDPOINT');
  store = createS3BlobStore(options);
  colony = await startDashboardColony({ blobStore: store });
});
afterAll(async () => {
  await colony?.close();
  await store?.close?.();
});

describe('dashboard results with the blobs in real S3', () => {
  it('lists the results and downloads one byte for byte and all as one tar', async () => {
    expect(store.kind).toBe('s3');
    const processId = await colony.submit('s3-results', { assign: true });
    // Over 5 MiB: S3's multipart path on upload, a long streamed body on download.
    const binary = Buffer.alloc(6 * 1024 * 1024 + 123);
    for (let index = 0; index < binary.length; index += 1) binary[index] = (index * 131 + (index >> 12)) % 256;
    const csv = Buffer.from('step,loss\n1,0.5\n2,0.25\n');
    await colony.recordResults(processId, 's3-results', { 'model.bin': binary, 'plots/loss.csv': csv });
    await colony.executor.closeSuccessful(processId);

    const listing = await colony.call(`/api/runs/${processId}/results`);
    expect(listing.status, listing.text).toBe(200);
    const results = JSON.parse(listing.text) as RunResults;
    expect(results.snapshotId).toEqual(expect.any(String));
    expect(results.files.map((file) => [file.path, file.size])).toEqual([
      ['model.bin', binary.length],
      ['plots/loss.csv', csv.length],
    ]);
    // The file records point into S3, and their S3 references stay on the server.
    const record = await colony.user.getFile({ label: '/pollinator/s3-results/result', name: 'model.bin' });
    expect(record.ref.s3object.bucket).toBe(store.location.bucket);
    expect(record.ref.s3object.server).toBe(store.location.server);
    expect(listing.text).not.toMatch(/s3object|secretkey|accesskey/i);

    const download = await colony.call(`/api/runs/${processId}/results/model.bin`);
    expect(download.status).toBe(200);
    expect(download.headers['content-length']).toBe(String(binary.length));
    expect(Buffer.compare(download.body, binary)).toBe(0);
    expect((await colony.call(`/api/runs/${processId}/results/plots/loss.csv`)).body.equals(csv)).toBe(true);

    const tar = (await colony.call(`/api/runs/${processId}/results.tar`)).body;
    expect(tar.subarray(0, 10).toString()).toBe('model.bin\0');
    expect(Buffer.compare(tar.subarray(512, 512 + binary.length), binary)).toBe(0);
    const second = 512 + Math.ceil(binary.length / 512) * 512;
    expect(tar.subarray(second, second + 15).toString()).toBe('plots/loss.csv\0');
    expect(tar.subarray(second + 512, second + 512 + csv.length).equals(csv)).toBe(true);
    expect(tar.length).toBe(second + 512 + 512 + 1024);
  });
});
