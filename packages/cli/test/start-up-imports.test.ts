// What the one-request commands load when they start (issue #20): their
// static imports, followed through the workspace packages' sources, must not
// reach the run and executor machinery or the heavy dependencies. A static
// import of any of them would cost `pollinator status` tens to hundreds of
// milliseconds again; a dynamic `import()` (loaded only when used) is fine.
// No timing here: the graph is the property (bench/whole-process-startup.ts
// measures the time).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './cli-harness';

/** Bare specifiers a one-request command must not load at start-up. */
const HEAVY = [
  /^@pollinator\/cfs-sync/,
  /^@pollinator\/spec-builder$/,
  /^@pollinator\/dev-server/,
  /^@pollinator\/port-forward/,
  /^@pollinator\/core$/,
  /^@aws-sdk\//,
  /^@noble\/curves/,
  /^ws$/,
  /^yaml$/,
  /^zod/,
  /^ssh2$/,
];

/** The static, non-type-only module specifiers of a TypeScript file. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly) continue;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly);
      if (!onlyTypes) specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined && !statement.isTypeOnly) {
      const clause = statement.exportClause;
      if (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly)) continue;
      specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return specifiers;
}

/** A workspace package's source file for `@pollinator/<name>[/<subpath>]` (its `@pollinator/source` export). */
function workspaceSource(specifier: string): string | undefined {
  const match = /^@pollinator\/([^/]+)(\/.*)?$/.exec(specifier);
  if (!match) return undefined;
  const packageDir = join(repoRoot, 'packages', match[1]!);
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    exports: Record<string, { '@pollinator/source'?: string }>;
  };
  const target = manifest.exports[`.${match[2] ?? ''}`]?.['@pollinator/source'];
  return target === undefined ? undefined : join(packageDir, target);
}

function relativeSource(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) if (existsSync(candidate)) return candidate;
  throw new Error(`cannot resolve ${specifier} from ${from}`);
}

/** Every bare specifier reached from `entry` by static imports, with the file that imports it. */
function reachedPackages(entry: string): Map<string, string> {
  const seen = new Set<string>();
  const reached = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) {
        visit(relativeSource(file, specifier));
        continue;
      }
      if (specifier.startsWith('node:')) continue;
      if (!reached.has(specifier)) reached.set(specifier, file.replace(`${repoRoot}/`, ''));
      const workspaceFile = workspaceSource(specifier);
      if (workspaceFile !== undefined) visit(workspaceFile);
    }
  };
  visit(entry);
  return reached;
}

describe('start-up imports of the one-request commands', () => {
  for (const command of ['status', 'ps', 'logs', 'cancel', 'show', 'version']) {
    it(`${command} loads nothing heavy before it runs`, () => {
      const reached = reachedPackages(join(repoRoot, 'packages', 'cli', 'src', 'commands', `${command}.ts`));
      const heavy = [...reached].filter(([specifier]) => HEAVY.some((pattern) => pattern.test(specifier)));
      expect(heavy.map(([specifier, importer]) => `${specifier} (imported by ${importer})`)).toEqual([]);
    });
  }

  it('the walk sees through the workspace packages (status reaches the client and the light core entry)', () => {
    const reached = reachedPackages(join(repoRoot, 'packages', 'cli', 'src', 'commands', 'status.ts'));
    expect([...reached.keys()]).toEqual(expect.arrayContaining(['@pollinator/colonies-client', '@pollinator/core/process-summary', '@noble/secp256k1']));
  });

  it('would notice a heavy import: the whole of @pollinator/core reaches cfs-sync and spec-builder', () => {
    const reached = reachedPackages(join(repoRoot, 'packages', 'core', 'src', 'index.ts'));
    expect([...reached.keys()]).toEqual(expect.arrayContaining(['@pollinator/cfs-sync', '@pollinator/spec-builder']));
  });
});
