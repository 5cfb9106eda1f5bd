import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKnownVariable, KNOWN_VARIABLE_PREFIXES, KNOWN_VARIABLES, suggestVariable } from './known-variables';

const packagesDir = resolve(import.meta.dirname, '..', '..', '..');

/** Every non-test TypeScript source file of every package. */
function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === '__fixtures__') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.ts$/.test(entry.name) && !/\.test(-helpers)?\.ts$|\.d\.ts$/.test(entry.name)) files.push(path);
  }
  return files;
}

const NAME = '((?:POLLINATOR|COLONIES|AWS_S3|COLONYOS)_[A-Z0-9_]*[A-Z0-9])';

/**
 * How the packages read a variable: `env.NAME`, `env?.NAME`, `env['NAME']`,
 * or a reader helper called with the name (`value('NAME')`, `pick('NAME')`, …).
 * Error codes (`super('COLONIES_RPC_ERROR', …)`) and messages (`issue('NAME', …)`)
 * are not reads.
 */
const READS = [
  new RegExp(`\\benv\\??\\.${NAME}\\b(?!\\s*=[^=])`, 'g'),
  new RegExp(`\\benv\\[\\s*['"\`]${NAME}['"\`]\\s*\\]`, 'g'),
  new RegExp(`\\b(?:value|bool|flag|required|number|oneOf|pick)\\(\\s*['"\`]${NAME}['"\`]`, 'g'),
];

function variablesRead(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const packageName of readdirSync(packagesDir)) {
    for (const file of sourceFiles(join(packagesDir, packageName, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of READS) {
        for (const match of text.matchAll(pattern)) {
          const name = match[1]!;
          found.set(name, [...(found.get(name) ?? []), relative(packagesDir, file)]);
        }
      }
    }
  }
  return found;
}

describe('the known variables', () => {
  it('list every variable any package reads (so `pollinator config` does not call it a typo)', () => {
    const read = variablesRead();
    // The scan sees the readers it should: a sample from several packages.
    for (const name of ['POLLINATOR_CACHE_DIR', 'COLONIES_SERVER_HTTP_PORT', 'AWS_S3_SECRETKEY', 'POLLINATOR_K8S_PVC', 'POLLINATOR_SLURM_QOS', 'POLLINATOR_LOCAL_ISOLATION']) {
      expect(read.has(name), name).toBe(true);
    }
    const missing = [...read.entries()].filter(([name]) => !isKnownVariable(name)).map(([name, files]) => `${name} (read in ${files.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('name each variable once', () => {
    const names = KNOWN_VARIABLES.map((variable) => variable.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('know a family read by prefix', () => {
    expect(KNOWN_VARIABLE_PREFIXES).toContain('POLLINATOR_SLURM_ENV_');
    expect(isKnownVariable('POLLINATOR_SLURM_ENV_APPTAINER_CACHEDIR')).toBe(true);
    expect(isKnownVariable('POLLINATOR_SLURM_ENV_')).toBe(false);
  });
});

describe('suggestVariable', () => {
  it('names the variable a typo was meant to be', () => {
    expect(suggestVariable('COLONIES_SERVR_HOST')).toBe('COLONIES_SERVER_HOST');
    expect(suggestVariable('COLONIES_SERVER_HOTS')).toBe('COLONIES_SERVER_HOST');
    expect(suggestVariable('AWS_S3_SECRET_KEY')).toBe('AWS_S3_SECRETKEY');
    expect(suggestVariable('COLONIES_PRIVKEY')).toBe('COLONIES_PRVKEY');
    expect(suggestVariable('POLLINATOR_CAHCE_DIR')).toBe('POLLINATOR_CACHE_DIR');
  });

  it('suggests nothing for a known name or a different setting', () => {
    expect(suggestVariable('COLONIES_SERVER_HOST')).toBeUndefined();
    expect(suggestVariable('COLONIES_DB_HOST')).toBeUndefined();
    expect(suggestVariable('COLONIES_MONITOR_PORT')).toBeUndefined();
  });
});
