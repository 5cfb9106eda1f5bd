// The prebuilt single-page app: files of `dist/web/`, index.html for every
// other page path (the app routes on the client), and a page that says how
// to build it when it was not built.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notFound } from './dashboard-errors';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Where the built app is: `dist/web` beside `src/` (from source) or `web/` beside the built `dist/index.js`. */
export function defaultWebDir(): string {
  const candidates = [fileURLToPath(new URL('../dist/web', import.meta.url)), fileURLToPath(new URL('./web', import.meta.url))];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pollinator dashboard: not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto">
<h1>The dashboard's web app is not built</h1>
<p>The API works (for example <a href="/api/runs">/api/runs</a>), but the page itself is missing from
<code>packages/dashboard/dist/web/</code>. Build it with <code>pnpm --filter @pollinator/dashboard build</code>
and reload this page.</p>
</body></html>
`;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
};

/** Serves `pathname` from `webDir` (never outside it). */
export async function serveStatic(response: ServerResponse, webDir: string, pathname: string, method: string): Promise<void> {
  const index = join(webDir, 'index.html');
  if (!existsSync(index)) {
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(method === 'HEAD' ? undefined : NOT_BUILT);
    return;
  }
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '');
  } catch {
    throw notFound(`the page ${pathname}`);
  }
  const file = join(webDir, relative);
  const inside = file === webDir || file.startsWith(webDir.endsWith(sep) ? webDir : webDir + sep);
  let target = index;
  if (inside && relative !== '' && (await stat(file).then((info) => info.isFile(), () => false))) target = file;
  else if (extname(relative) !== '') throw notFound(`the file ${pathname}`);
  const body = await readFile(target);
  const immutable = target !== index && relative.startsWith('assets/');
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  response.end(method === 'HEAD' ? undefined : body);
}
