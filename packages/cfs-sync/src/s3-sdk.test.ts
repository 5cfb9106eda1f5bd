import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('the AWS SDK is loaded lazily', () => {
  it('not by importing the package nor by creating an S3 store, only by using one', async () => {
    const script = fileURLToPath(new URL('./__fixtures__/aws-sdk-loading-child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@pollinator/source', '--import', 'tsx', script], {
      timeout: 60_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ afterImport: false, afterCreate: false, afterUse: true, client: 'S3Client' });
  });
});
