import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunctionSpec, readSlurmPlacement } from './build-function-spec';
import type { FunctionSpec } from './function-spec';
import { parseProject, type Project } from './parse-project';

const GOLDEN = join(import.meta.dirname, '__fixtures__', 'golden');
const SNAPSHOT_ID = '8f3c0e5a9b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e';
const DATA_SNAPSHOT_ID = '1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f3c0e5a9b';
const IDS = { snapshotId: SNAPSHOT_ID, dataSnapshotId: DATA_SNAPSHOT_ID };

function load(text: string): Project {
  const result = parseProject(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.project;
}

/** The deliberate, documented differences from the Go Pollinator's spec. */
function applyDocumentedFixes(goSpec: FunctionSpec, project: Project): FunctionSpec {
  // data: the Go spec syncs it as a dir (remote wins); now it is staged from the run's data snapshot, same place.
  const dataLabel = `/pollinator/${project.projectName}/data`;
  const dataDir = goSpec.fs.dirs?.find((dir) => dir.label === dataLabel);
  expect(dataDir).toMatchObject({ dir: dataLabel, keepfiles: true });
  return {
    ...goSpec,
    maxexectime: goSpec.conditions.walltime,
    label: project.projectName,
    fs: {
      ...goSpec.fs,
      snapshots: [
        ...(goSpec.fs.snapshots ?? []),
        { label: dataLabel, snapshotid: DATA_SNAPSHOT_ID, dir: dataLabel, keepfiles: true, keepsnapshot: true },
      ],
      dirs: (goSpec.fs.dirs ?? []).filter((dir) => dir !== dataDir),
    },
  };
}

describe('buildFunctionSpec golden tests (same spec as the Go Pollinator, with the documented fixes)', () => {
  const cases = readdirSync(GOLDEN, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it('has several golden projects', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases)('%s', (name) => {
    const project = load(readFileSync(join(GOLDEN, name, 'project.yaml'), 'utf8'));
    const goSpec = JSON.parse(readFileSync(join(GOLDEN, name, 'go-spec.json'), 'utf8')) as FunctionSpec;
    const spec = buildFunctionSpec(project, { colonyName: 'dev', ...IDS });
    expect(spec).toEqual(applyDocumentedFixes(goSpec, project));
    // Wire form: plain JSON, nothing undefined, and the fixes hold.
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(spec.maxexectime).toBeGreaterThan(0);
    expect(spec.maxexectime).toBeLessThanOrEqual(spec.conditions.walltime);
  });

  it('never sends maxexectime 0 (the Go Pollinator did for walltime 1)', () => {
    const goSpec = JSON.parse(readFileSync(join(GOLDEN, 'short-walltime', 'go-spec.json'), 'utf8')) as FunctionSpec;
    expect(goSpec.maxexectime).toBe(0);
    const project = load(readFileSync(join(GOLDEN, 'short-walltime', 'project.yaml'), 'utf8'));
    expect(buildFunctionSpec(project, { colonyName: 'dev', ...IDS }).maxexectime).toBe(1);
  });
});

describe('buildFunctionSpec with the optional keys', () => {
  const project = load(`
projectname: extended
conditions:
  executorType: hpc-executor
  cpu: 4000m
  mem: 8Gi
  walltime: 7200
environment:
  docker: ghcr.io/acme/sim:1.2
  cmd: ./run.sh
  env:
    OMP_NUM_THREADS: 4
    MODE: fast
    DEBUG: false
slurm:
  account: proj123
  partition: gpu
  qos: high
retries: 1
result:
  download: on-success
`);
  const spec = buildFunctionSpec(project, { colonyName: 'research', snapshotId: 'snap1', dataSnapshotId: 'data1' });

  it('adds the job environment next to PROJECT_DIR', () => {
    expect(spec.env).toEqual({
      OMP_NUM_THREADS: '4',
      MODE: 'fast',
      DEBUG: 'false',
      PROJECT_DIR: '/cfs/pollinator/extended',
    });
  });

  it('passes the Slurm placement as kwargs and reads it back', () => {
    expect(spec.kwargs).toMatchObject({ 'slurm-account': 'proj123', 'slurm-partition': 'gpu', 'slurm-qos': 'high' });
    expect(readSlurmPlacement(spec)).toEqual({ account: 'proj123', partition: 'gpu', qos: 'high' });
    expect(readSlurmPlacement({ kwargs: { 'slurm-qos': 3 } })).toEqual({});
  });

  it('maps retries, executor type, defaults and the label', () => {
    expect(spec.maxretries).toBe(1);
    expect(spec.conditions.executortype).toBe('hpc-executor');
    expect(spec.conditions.colonyname).toBe('research');
    expect(spec.conditions.nodes).toBe(1);
    expect(spec.conditions.processespernode).toBe(1);
    expect(spec.conditions.executornames).toEqual([]);
    expect(spec.conditions.gpu).toEqual({ name: '', mem: '', count: 0, nodecount: 0 });
    expect(spec.kwargs.args).toEqual([]);
    expect(spec.kwargs['init-cmd']).toBe('');
    expect(spec.label).toBe('extended');
    expect(spec.maxexectime).toBe(7200);
  });

  it('leaves the kwargs of a project without slurm keys as the original', () => {
    const plain = load(readFileSync(join(GOLDEN, 'pollinator-new', 'project.yaml'), 'utf8'));
    const kwargs = buildFunctionSpec(plain, { colonyName: 'dev', snapshotId: 's', dataSnapshotId: 'd' }).kwargs;
    expect(Object.keys(kwargs).sort()).toEqual(['args', 'cmd', 'docker-image', 'init-cmd', 'rebuild-image']);
  });

  it('refuses a hand-made project the executors would reject', () => {
    const bad: Project = {
      ...project,
      conditions: { ...project.conditions, cpu: '2', mem: '1.5Gi', walltime: 0, nodes: 200 },
      retries: 0,
    };
    expect(() => buildFunctionSpec(bad, { colonyName: 'dev', snapshotId: 's', dataSnapshotId: 'd' })).toThrow(
      /nodes must be 1–127, got 200; cpu "2": .*; mem "1\.5Gi": .*; walltime must be at least 1 second.*; retries must be 1–100, got 0/,
    );
  });

  it('refuses a hand-made project with unbounded numbers or line breaks (issue #13, cases 5 and 6)', () => {
    const bad: Project = {
      ...project,
      conditions: { ...project.conditions, walltime: 7.4e9, mem: '99999999999999Gi', gpu: { count: 5000, name: 'a\nb' } },
      environment: { ...project.environment, cmd: 'python3\0', env: { A: 'x\ny' } },
      slurm: { account: 'acct\n#SBATCH --uid=0' },
    };
    expect(() => buildFunctionSpec(bad, { colonyName: 'dev', snapshotId: 's', dataSnapshotId: 'd' })).toThrow(
      /mem "99999999999999Gi": memory is more than 1048576Gi.*walltime is more than 31536000 seconds.*gpu\.count must be 0–1024, got 5000.*gpu\.name contains a NUL character or a line break.*cmd contains.*env\.A contains.*slurm\.account contains/,
    );
  });

  it('passes a source with spaces and shell metacharacters as one plain path (the executor quotes it)', () => {
    const spaced = load(
      readFileSync(join(GOLDEN, 'pollinator-new', 'project.yaml'), 'utf8').replace(/source: .*/, 'source: "my dir/x;echo $(id -u).py"'),
    );
    expect(buildFunctionSpec(spaced, { colonyName: 'dev', snapshotId: 's', dataSnapshotId: 'd' }).kwargs.args).toEqual([
      '/cfs/pollinator/' + spaced.projectName + '/s/src/my dir/x;echo $(id -u).py',
    ]);
  });

  it('requires a colony and a snapshot', () => {
    expect(() => buildFunctionSpec(project, { colonyName: '', snapshotId: 's', dataSnapshotId: 'd' })).toThrow(/colonyName/);
    expect(() => buildFunctionSpec(project, { colonyName: 'dev', snapshotId: '', dataSnapshotId: 'd' })).toThrow(/snapshotId/);
    expect(() => buildFunctionSpec(project, { colonyName: 'dev', snapshotId: 's', dataSnapshotId: '' })).toThrow(/dataSnapshotId/);
  });

  it('stages data from the data snapshot where the job found it before, and syncs only result (issue #14)', () => {
    expect(spec.fs.snapshots).toEqual([
      { label: '/pollinator/extended/src', snapshotid: 'snap1', dir: '/pollinator/extended/snap1/src', keepfiles: true, keepsnapshot: true },
      { label: '/pollinator/extended/data', snapshotid: 'data1', dir: '/pollinator/extended/data', keepfiles: true, keepsnapshot: true },
    ]);
    expect(spec.fs.dirs?.map((dir) => dir.label)).toEqual(['/pollinator/extended/result']);
  });
});
