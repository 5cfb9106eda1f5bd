import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from 'tsup';

/**
 * The one build configuration every package reuses: ESM only, `.d.ts` next to
 * the JavaScript, Node 20 syntax. A package's own `tsup.config.ts` calls this and
 * only adds entries. The package version is injected as `__PACKAGE_VERSION__`
 * so no code reads package.json at run time.
 */
export function createTsupConfig(overrides: Options = {}): Options {
  const packageJson = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    tsconfig: 'tsconfig.build.json',
    define: { __PACKAGE_VERSION__: JSON.stringify(packageJson.version) },
    ...overrides,
  };
}
