import { readdirSync, existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One vitest project per package, each running its co-located `*.test.ts`
// straight from TypeScript source: the `@pollinator/source` export condition
// points workspace imports at `src/`, so no build is needed before testing.
const packageNames = readdirSync('packages').filter((name) => existsSync(`packages/${name}/package.json`));

export default defineConfig({
  ssr: { resolve: { conditions: ['@pollinator/source'] } },
  test: {
    // Slow tests (real Slurm time limits, big transfers) opt in with POLLINATOR_SLOW_TESTS=1.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    clearMocks: true,
    restoreMocks: true,
    // Most test time is waiting (child processes, sockets, jobs), so files run
    // three at a time even on two CPUs (vitest's default there is one).
    maxWorkers: 3,
    projects: packageNames.map((name) => ({
      extends: true,
      test: {
        name,
        root: `packages/${name}`,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        // The Slurm tests share one real cluster of one node and some of them
        // drain it, set it down or fill it: they run one file at a time, after the rest.
        ...(name === 'slurm' ? { maxWorkers: 1, sequence: { groupOrder: 1 } } : {}),
      },
    })),
  },
});
