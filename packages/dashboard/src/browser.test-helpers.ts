// Debian's Chromium for the dashboard's end-to-end tests (installed by
// scripts/services/chromium-up.sh; never downloaded), and the built web app.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.POLLINATOR_TEST_CHROMIUM ?? '/usr/bin/chromium';
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Builds dist/web when it is missing or older than its sources (a stale app would test old code). */
export function ensureWebBuilt(): void {
  const built = join(packageDir, 'dist', 'web', 'index.html');
  const sources = [join(packageDir, 'web', 'index.html'), ...readdirSync(join(packageDir, 'web', 'src')).map((name) => join(packageDir, 'web', 'src', name))];
  if (existsSync(built) && sources.every((source) => statSync(source).mtimeMs <= statSync(built).mtimeMs)) return;
  execFileSync('pnpm', ['run', 'build:web'], { cwd: packageDir, stdio: 'inherit' });
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/services/chromium-up.sh as root (it installs Debian's chromium), or set POLLINATOR_TEST_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
