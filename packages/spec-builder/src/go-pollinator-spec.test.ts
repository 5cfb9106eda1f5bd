import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunctionSpec } from './build-function-spec';
import { FORWARD_PORTS_ENV } from './forward-channels';
import { parseProject, type Project } from './parse-project';

/**
 * The spec we build for the original Go Pollinator's own `new-project.yaml`,
 * compared field by field with the spec the original submitted for it
 * (`new-project.funcspec.json`, captured on the wire in front of a real
 * v1.9.12 server; the whole exchange is `new-project.submit.json`). Every
 * difference is in DELIBERATE_DIFFERENCES with the reason; any other
 * difference, or a listed one that no longer occurs, fails the test.
 * docs/project-yaml.md ("Projects written by the original Pollinator") has the
 * same table for users.
 */
const fixtureDir = join(import.meta.dirname, '__fixtures__', 'go-pollinator');
const fixture = (name: string) => readFileSync(join(fixtureDir, name), 'utf8');

interface SubmitExchange {
  colony: string;
  request: { payloadText: string; payloadJson: { spec: Record<string, unknown>; msgtype: string } };
}
const exchange = JSON.parse(fixture('new-project.submit.json')) as SubmitExchange;
const goSpecText = fixture('new-project.funcspec.json');
const goSpec = JSON.parse(goSpecText) as Record<string, unknown>;

/** The inputs the original used: its colony and the id of the src snapshot it created (from the capture). */
const COLONY = exchange.colony;
const SRC_SNAPSHOT_ID = (goSpec as { fs: { snapshots: Array<{ snapshotid: string }> } }).fs.snapshots[0]!.snapshotid;
/** The original took no snapshot of the data label; ours does (any id: it only has to appear where expected). */
const DATA_SNAPSHOT_ID = 'd'.repeat(64);
const PROJECT_NAME = '0a583b8d1d38242a856483b8b613a2528a114101ffb8c2782e7fe5047dbbab3f';
const root = `/pollinator/${PROJECT_NAME}`;

/** A field one side does not have. */
const ABSENT = '(absent)';

interface Difference {
  /** Path in the spec, `a.b[1].c`; a whole subtree when one side lacks it. */
  field: string;
  go: unknown;
  ours: unknown;
}

/** Each deliberate difference from the original's spec, and why it is a fix. */
const DELIBERATE_DIFFERENCES: Array<Difference & { why: string }> = [
  {
    field: 'maxexectime',
    go: 599,
    ours: 600,
    why: 'walltime − 1 gave the job less than the walltime it asked for, and 0 for walltime 1 (the server fails such a process at once); the executors reject anything above the walltime, so exactly the walltime',
  },
  {
    field: 'label',
    go: 'test_label',
    ours: PROJECT_NAME,
    why: 'the constant "test_label" on every process; the project name lets `ps` list a project\'s runs',
  },
  {
    field: 'fs.snapshots[1]',
    go: ABSENT,
    ours: { label: `${root}/data`, snapshotid: DATA_SNAPSHOT_ID, dir: `${root}/data`, keepfiles: true, keepsnapshot: true },
    why: 'data is staged from a snapshot of the data label taken at submit, at the same place ($PROJECT_DIR/data): the process names exactly the data the job saw, so rerun gets the same bytes and diff can compare runs',
  },
  {
    field: 'fs.dirs[1]',
    go: {
      label: `${root}/data`,
      dir: `${root}/data`,
      keepfiles: true,
      onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: false } },
    },
    ours: ABSENT,
    why: 'replaced by the data snapshot above: a synced dir gave the job whatever the label held when the executor staged it, not what was uploaded for this run',
  },
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field-by-field differences; a key or element only one side has is one difference (its whole subtree). */
function differences(go: unknown, ours: unknown, path = ''): Difference[] {
  if (Array.isArray(go) && Array.isArray(ours)) {
    return Array.from({ length: Math.max(go.length, ours.length) }, (_, index) =>
      differences(index < go.length ? go[index] : ABSENT, index < ours.length ? ours[index] : ABSENT, `${path}[${index}]`),
    ).flat();
  }
  if (isRecord(go) && isRecord(ours)) {
    const keys = [...new Set([...Object.keys(go), ...Object.keys(ours)])];
    return keys.flatMap((key) =>
      differences(key in go ? go[key] : ABSENT, key in ours ? ours[key] : ABSENT, path === '' ? key : `${path}.${key}`),
    );
  }
  return JSON.stringify(go) === JSON.stringify(ours) ? [] : [{ field: path, go, ours }];
}

function loadFixture(name: string): Project {
  const result = parseProject(fixture(name), { file: name });
  if (!result.ok) throw new Error(result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n'));
  return result.project;
}

describe('the spec we build for a project the Go Pollinator wrote, against the spec it submitted', () => {
  it('uses the captured spec and its inputs (funcspec.json is the spec inside the captured request)', () => {
    expect(exchange.request.payloadJson.msgtype).toBe('submitfuncspecmsg');
    expect(goSpec).toEqual(exchange.request.payloadJson.spec);
    expect(exchange.request.payloadText).toContain(goSpecText.trim());
    expect(COLONY).toBe('lab');
    expect(SRC_SNAPSHOT_ID).toMatch(/^[0-9a-f]{64}$/);
    expect(loadFixture('new-project.yaml').projectName).toBe(PROJECT_NAME);
  });

  it('differs only where a documented fix says so', () => {
    const ours = buildFunctionSpec(loadFixture('new-project.yaml'), {
      colonyName: COLONY,
      snapshotId: SRC_SNAPSHOT_ID,
      dataSnapshotId: DATA_SNAPSHOT_ID,
    });
    // Compared in wire form (what JSON.stringify sends), as the server sees it.
    const found = differences(goSpec, JSON.parse(JSON.stringify(ours)));
    const documented = DELIBERATE_DIFFERENCES.map(({ field, go, ours: value }) => ({ field, go, ours: value }));
    expect(found).toEqual(documented);
  });

  it('documents each difference with a reason', () => {
    for (const difference of DELIBERATE_DIFFERENCES) expect(difference.why.length, difference.field).toBeGreaterThan(40);
  });

  it('sends no channels for an SSH tunnel, as the original sent none (its tunnel never reached the server)', () => {
    const project = loadFixture('jupyter_with_tunnel.project.yaml');
    expect(project.tunnel?.mode).toBe('ssh');
    const spec = buildFunctionSpec(project, { colonyName: COLONY, snapshotId: SRC_SNAPSHOT_ID, dataSnapshotId: DATA_SNAPSHOT_ID });
    expect(spec).not.toHaveProperty('channels');
    expect(spec.env).not.toHaveProperty(FORWARD_PORTS_ENV);
    expect(spec.kwargs.args).toEqual([]);
  });
});

describe('the field-by-field comparison', () => {
  it('reports a changed value, a missing key and an extra element, each once', () => {
    expect(differences({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 2, b: { c: [1, 2, 3] } })).toEqual([
      { field: 'a', go: 1, ours: 2 },
      { field: 'b.c[2]', go: ABSENT, ours: 3 },
      { field: 'd', go: 'x', ours: ABSENT },
    ]);
  });
});
