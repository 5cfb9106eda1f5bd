import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

const created: string[] = [];
afterAll(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'cfs-sync-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Writes `files` (relative POSIX path → content) under `root`. */
export async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, ...rel.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/** Every file under `root` (relative POSIX path → content as utf8), markers included. */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string, rel: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(join(dir, entry.name), childRel);
      else out[childRel] = await readFile(join(dir, entry.name), 'utf8');
    }
  };
  await visit(root, '');
  return out;
}

/** path → mtime/size/ino of every entry, to prove that nothing was written. */
export async function fingerprint(root: string): Promise<string> {
  const lines: string[] = [];
  const visit = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      const info = await stat(path, { bigint: true });
      lines.push(`${path} ${info.size} ${info.mtimeNs} ${info.ctimeNs} ${info.ino}`);
      if (entry.isDirectory()) await visit(path);
    }
  };
  await visit(root);
  return lines.join('\n');
}

export function withoutMarkers(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([path]) => !path.endsWith('.cfs')));
}
