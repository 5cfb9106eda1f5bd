/**
 * How the backend starts the job supervisor (supervisor/main.ts) with
 * `node`: from `dist/supervisor/main.js` when this package is built, and from
 * the TypeScript source through the tsx loader when it runs from source (the
 * tests, `pnpm pollinator`), so the supervisor is one type-checked module in
 * both cases.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The arguments of `node` that run the supervisor, before its configuration
 * path. `moduleUrl` is where this module was loaded from (tests pass others).
 */
export function supervisorArguments(moduleUrl: string = import.meta.url): string[] {
  if (!moduleUrl.endsWith('.ts')) return [fileURLToPath(new URL('./supervisor/main.js', moduleUrl))];
  // From source: the same loader and export condition the sources were loaded with.
  const loader = pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href;
  return ['--conditions=@pollinator/source', '--import', loader, fileURLToPath(new URL('./supervisor/main.ts', moduleUrl))];
}
