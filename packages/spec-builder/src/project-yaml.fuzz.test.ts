import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildFunctionSpec } from './build-function-spec';
import { parseProject } from './parse-project';
import { formatProjectIssue } from './project-issues';
import { projectYamlTemplate } from './scaffold';

// Issue #13: whatever project.yaml holds, loading ends in a project (exit 0)
// or in located problems (exit 65), never in a throw (exit 70) or a hang, and
// whatever the schema accepts builds a spec. Fixed seeds keep CI reproducible;
// a failure prints the seed and the shrunk counterexample.

const GOLDEN = join(import.meta.dirname, '__fixtures__', 'golden');
const DOCS = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'project-yaml.md'), 'utf8');
const SAMPLES = [
  ...readdirSync(GOLDEN, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => readFileSync(join(GOLDEN, entry.name, 'project.yaml'), 'utf8')),
  projectYamlTemplate({ projectName: 'fuzz' }),
  ...[...DOCS.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? ''),
];

/** Per document: generous for a loaded CI machine; the worst 256 KiB file takes well under a second. */
const TIME_BOUND_MS = 2_000;
const ISSUE_CODES = new Set(['yaml', 'unknown_key', 'missing_key', 'invalid_value', 'missing_file', 'limit', 'truncated', 'warning']);

/** The property every input must satisfy. */
function loadsWithinBounds(text: string): void {
  const started = performance.now();
  const result = parseProject(text);
  const elapsed = performance.now() - started;
  expect(elapsed, `took ${Math.round(elapsed)} ms`).toBeLessThan(TIME_BOUND_MS);
  if (result.ok) {
    // Whatever the schema accepts, the executors accept: building the spec checks the same rules again.
    expect(() => buildFunctionSpec(result.project, { colonyName: 'dev', snapshotId: 's', dataSnapshotId: 'd' })).not.toThrow();
    return;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  expect(result.issues.length).toBeLessThanOrEqual(51);
  for (const issue of result.issues) {
    expect(Number.isInteger(issue.line) && issue.line >= 1, formatProjectIssue(issue)).toBe(true);
    expect(Number.isInteger(issue.column) && issue.column >= 1, formatProjectIssue(issue)).toBe(true);
    expect(ISSUE_CODES.has(issue.code)).toBe(true);
    expect(issue.message).not.toMatch(/bug in Pollinator/);
    // One line per problem on the terminal, whatever the file holds.
    expect(formatProjectIssue(issue)).not.toMatch(/[\0\n\r\u0085\u2028\u2029]/);
  }
}

/** Characters that mean something to YAML, plus the ones that must never reach a shell. */
const SIGNIFICANT = fc.constantFrom(
  ...': -[]{},&*!|>\'"#%@`?\n\t\r\0\u2028\u0085\uFEFF\\',
  'a',
  'Z',
  '0',
  '9',
  '.',
  'é',
  '🐝',
);

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'value'; at: number; value: string };

const VALUES = [
  '7400000000',
  '99999999999999Gi',
  '1e400',
  '-1',
  '0',
  '0x10',
  '.inf',
  '~',
  '*nope',
  '&a [*a]',
  '!!binary aGVsbG8=',
  '!!str 1',
  '"a\\nb"',
  '"\\0"',
  '[[[[[[[[',
  '{a: 1, a: 1}',
  '|\n  x\n  y',
  `"${'x'.repeat(70_000)}"`,
  '9'.repeat(400),
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: SIGNIFICANT, minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
    times: fc.integer({ min: 2, max: 20_000 }),
  }),
  fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: fc.constantFrom(...VALUES) }),
);

function applyMutation(text: string, change: Mutation): string {
  const at = text.length === 0 ? 0 : change.at % text.length;
  switch (change.kind) {
    case 'insert':
      return text.slice(0, at) + change.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + change.length);
    case 'repeat': {
      const piece = text.slice(at, at + change.length);
      return text.slice(0, at) + piece.repeat(Math.min(change.times, Math.floor(40_000 / Math.max(1, piece.length)))) + text.slice(at);
    }
    case 'value': {
      // Replace the value after the n-th ": " (keeps the document mostly valid, so the schema is exercised).
      const colons = [...text.matchAll(/: /g)];
      const colon = colons[change.at % Math.max(1, colons.length)];
      if (colon?.index === undefined) return text + change.value;
      const start = colon.index + 2;
      const end = text.indexOf('\n', start);
      return text.slice(0, start) + change.value + (end === -1 ? '' : text.slice(end));
    }
  }
}

// Each property runs a few hundred documents: allow for a loaded CI machine.
describe('project.yaml fuzz (fast-check)', { timeout: 90_000 }, () => {
  it('the samples themselves load', () => {
    expect(SAMPLES.length).toBeGreaterThanOrEqual(6);
    for (const sample of SAMPLES) expect(parseProject(sample).ok).toBe(true);
  });

  it('mutated samples end in a project or located problems, within the bound', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, changes) => {
        loadsWithinBounds(changes.reduce(applyMutation, sample));
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it('random YAML documents end in a project or located problems, within the bound', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        loadsWithinBounds(stringify(value));
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it('random documents shaped like a project end in a project or located problems', () => {
    const scalar = fc.oneof(
      fc.string({ unit: SIGNIFICANT, maxLength: 20 }),
      fc.string({ maxLength: 20 }),
      fc.double(),
      fc.integer(),
      fc.bigInt(),
      fc.boolean(),
      fc.constant(null),
    );
    const project = fc.record(
      {
        projectname: scalar,
        conditions: fc.record(
          {
            nodes: scalar,
            processesPerNode: scalar,
            cpu: fc.oneof(scalar, fc.nat().map((n) => `${n}m`)),
            mem: fc.oneof(scalar, fc.nat().map((n) => `${n}Gi`)),
            walltime: fc.oneof(scalar, fc.nat({ max: 2 ** 40 })),
            executorNames: fc.array(scalar, { maxLength: 3 }),
            gpu: fc.record({ count: scalar, name: scalar }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
        environment: fc.record(
          {
            docker: scalar,
            cmd: scalar,
            'init-cmd': scalar,
            source: scalar,
            env: fc.dictionary(fc.string({ unit: SIGNIFICANT, maxLength: 8 }), scalar, { maxKeys: 4 }),
          },
          { requiredKeys: [] },
        ),
        slurm: fc.record({ account: scalar, partition: scalar, qos: scalar }, { requiredKeys: [] }),
        retries: scalar,
        sync: fc.record({ symlinks: fc.oneof(scalar, fc.constantFrom('skip', 'inside', 'follow')) }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(project, (value) => {
        loadsWithinBounds(stringify(value));
      }),
      { seed: 13, numRuns: 400 },
    );
  });

  it('random text ends in a project or located problems', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: SIGNIFICANT, maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        loadsWithinBounds(text);
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});
