/**
 * Which real services the Slurm tests can use. `scripts/services/slurm-up.sh`
 * and `singularity-shim-up.sh` export these (through `scripts/test.sh`). A test
 * that needs a missing service skips itself and says why; with
 * `POLLINATOR_REQUIRE_SERVICES=1` (CI) a missing service fails instead.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import type { SlurmBackendOptions } from './slurm-backend-options';

export const slurmAvailable = process.env.POLLINATOR_TEST_SLURM === '1';
export const shimPath = process.env.POLLINATOR_TEST_SINGULARITY ?? '';
export const shimImages = process.env.SINGULARITY_SHIM_IMAGES ?? '';
export const downPartition = process.env.POLLINATOR_SLURM_DOWN_PARTITION ?? 'down';
export const slowTests = process.env.POLLINATOR_SLOW_TESTS === '1';
const required = process.env.POLLINATOR_REQUIRE_SERVICES === '1';

/** Why Slurm tests cannot run ('' when they can). */
export const slurmSkipReason = slurmAvailable ? '' : 'no Slurm: run scripts/services/slurm-up.sh (POLLINATOR_TEST_SLURM=1)';
export const shimSkipReason = slurmSkipReason || (shimPath && shimImages ? '' : 'no Singularity stand-in: run scripts/services/singularity-shim-up.sh (POLLINATOR_TEST_SINGULARITY)');

/** With POLLINATOR_REQUIRE_SERVICES=1, a failing test per missing service. */
export function requireServices(...reasons: string[]): void {
  if (!required) return;
  for (const reason of reasons.filter(Boolean)) {
    it(`required service is available (${reason})`, () => {
      throw new Error(`POLLINATOR_REQUIRE_SERVICES=1 but ${reason}`);
    });
  }
}

/** Backend options for the Singularity stand-in, with a private image cache and argv log. */
export function shimOptions(): SlurmBackendOptions & { shimLog: string } {
  const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-shim-'));
  const shimLog = join(root, 'shim.log');
  return {
    runtime: 'singularity',
    runtimeCommand: shimPath,
    imageDir: join(root, 'images'),
    siteEnv: {
      SINGULARITY_SHIM_IMAGES: shimImages,
      SINGULARITY_SHIM_LOG: shimLog,
      SINGULARITY_SHIM_CACHE: join(root, 'cache'),
    },
    shimLog,
  };
}

/** Reads the shim's argv log: one array per call. */
export function shimCalls(log: string, read: (path: string) => string): string[][] {
  let text = '';
  try {
    text = read(log);
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t').slice(2));
}
