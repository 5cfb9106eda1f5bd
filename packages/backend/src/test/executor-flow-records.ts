/**
 * The executor-flow cases of "every run is a record" (issue #14), run for
 * every backend by `testExecutorFlow`: each run's process points to a
 * snapshot holding exactly that run's results (success and failure alike),
 * names the image it ran (and its digest where the backend resolves one), and
 * a run sees exactly its data snapshot — nothing an earlier run staged.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Process } from '@pollinator/colonies-client';
import type { RunningExecutor } from '@pollinator/core';
import type { FlowColony } from './flow-colony';

/** What the executor-flow suite shares with these cases. */
export interface FlowRecordHarness {
  flow(): FlowColony;
  root(): string;
  caseDirs(): { fsDir: string; stateDir: string; project: string };
  startExecutor(dirs: { fsDir: string; stateDir: string; project: string }): Promise<RunningExecutor>;
  shellProject(dir: string, script: string): Promise<void>;
  caseTimeoutMs: number;
  jobTimeoutMs: number;
  /**
   * What the backend records as `POLLINATOR_IMAGE_DIGEST`: a pattern it must
   * match, `'none'` when it records none; omitted: not checked.
   */
  imageDigest?: RegExp | 'none';
}

/** Every file below `dir`, relative path → contents. */
function treeOf(dir: string, prefix = ''): Record<string, string> {
  const tree: Record<string, string> = {};
  for (const name of readdirSync(join(dir, prefix))) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    if (statSync(join(dir, rel)).isDirectory()) Object.assign(tree, treeOf(dir, rel));
    else tree[rel] = readFileSync(join(dir, rel), 'utf8');
  }
  return tree;
}

function attributesOf(process: Process): Record<string, string> {
  return Object.fromEntries(process.attributes.map((attribute) => [attribute.key, attribute.value]));
}

/** The process's output, in order. */
async function outputOf(flow: FlowColony, processId: string): Promise<string> {
  return (await flow.user.getLogs({ processId, count: 500 })).map((log) => log.message).join('');
}

/** Runs the project as `pollinator run` does, with its own sync state (so the project can be run again after an edit). */
function runProject(harness: FlowRecordHarness, dir: string) {
  return harness.flow().packages.core.runProject({
    dir,
    client: harness.flow().user,
    blobStore: harness.flow().store,
    stateDir: join(dir, '.sync-state'),
    pollIntervalMs: 100,
    follow: true,
  }).result;
}

export function registerRunRecordCases(harness: FlowRecordHarness): void {
  it(
    "records each run's result snapshot, holding exactly that run's results, and the image it ran",
    async () => {
      const flow = harness.flow();
      const { RunRecordKey } = flow.packages.core;
      const { cfsMetadataFromClient, materializeSnapshot } = flow.packages.cfsSync;
      const dirs = harness.caseDirs();
      await harness.shellProject(dirs.project, '');
      await harness.startExecutor(dirs);
      const runs = [
        { script: 'echo run-1 > "$PROJECT_DIR/result/out.txt"\n', state: 'success', out: 'run-1\n' },
        { script: 'echo run-2 > "$PROJECT_DIR/result/out.txt"\n', state: 'success', out: 'run-2\n' },
        { script: 'echo run-3 > "$PROJECT_DIR/result/out.txt"\nexit 3\n', state: 'failed', out: 'run-3\n' },
      ];
      const processIds: string[] = [];
      for (const run of runs) {
        writeFileSync(join(dirs.project, 'cfs', 'src', 'job.sh'), run.script);
        const result = await runProject(harness, dirs.project);
        expect(result.state).toBe(run.state);
        processIds.push(result.processId!);
      }
      const metadata = cfsMetadataFromClient(flow.user);
      for (const [index, processId] of processIds.entries()) {
        const process = await flow.user.getProcess(processId);
        const attributes = attributesOf(process);
        const snapshotId = attributes[RunRecordKey.resultSnapshot];
        expect(snapshotId, `run ${index + 1} has no ${RunRecordKey.resultSnapshot}`).toBeDefined();
        const snapshot = await metadata.getSnapshot({ snapshotId: snapshotId! });
        expect(snapshot.name).toBe(processId);
        const dir = mkdtempSync(join(harness.root(), 'result-snapshot-'));
        await materializeSnapshot({ metadata, store: flow.store, snapshot: { snapshotId: snapshotId! }, dir });
        expect(treeOf(dir), `run ${index + 1}`).toEqual({ 'out.txt': runs[index]!.out });
        const image = process.spec.kwargs['docker-image'];
        if (typeof image === 'string' && image !== '') expect(attributes[RunRecordKey.image]).toBe(image);
        const digest = attributes[RunRecordKey.imageDigest];
        if (harness.imageDigest === 'none') expect(digest).toBeUndefined();
        else if (harness.imageDigest) expect(digest).toMatch(harness.imageDigest);
      }
    },
    harness.caseTimeoutMs,
  );

  it(
    'stages the data snapshot exactly: run 2 with data {a} does not see the b of run 1 with data {a, b}',
    async () => {
      const flow = harness.flow();
      const { cfsMetadataFromClient, createSnapshot, syncDirectory } = flow.packages.cfsSync;
      const dirs = harness.caseDirs();
      await harness.shellProject(dirs.project, 'echo "data: $(ls "$PROJECT_DIR/data" | tr "\\n" " ")"\necho "a: $(cat "$PROJECT_DIR/data/a")"\n');
      writeFileSync(join(dirs.project, 'cfs', 'data', 'a'), 'a, v1\n');
      writeFileSync(join(dirs.project, 'cfs', 'data', 'b'), 'b, v1\n');
      await harness.startExecutor(dirs);
      const first = await runProject(harness, dirs.project);
      expect(first.state).toBe('success');
      expect(await outputOf(flow, first.processId!)).toContain('data: a b hello.txt \na: a, v1\n');

      // Run 2: the same spec, with a data snapshot holding only a (changed).
      const spec = (await flow.user.getProcess(first.processId!)).spec;
      const dataDir = `/pollinator/${spec.label}/data`;
      const upload = mkdtempSync(join(harness.root(), 'data-v2-'));
      writeFileSync(join(upload, 'a'), 'a, v2\n');
      const metadata = cfsMetadataFromClient(flow.user);
      const label = `${dataDir}-v2-${Date.now()}`;
      await syncDirectory({ dir: upload, label, keepLocal: true, metadata, store: flow.store, stateDir: false });
      const snapshot = await createSnapshot({ metadata, store: flow.store, label });
      const dataMount = { label, snapshotid: snapshot.snapshotid, dir: dataDir, keepfiles: true, keepsnapshot: true };
      const fs = {
        ...spec.fs,
        snapshots: [...(spec.fs.snapshots ?? []).filter((mount) => mount.dir !== dataDir), dataMount],
        dirs: (spec.fs.dirs ?? []).filter((entry) => entry.dir !== dataDir),
      };
      const submitted = await flow.user.submit({ ...spec, fs });
      const second = await flow.user.waitForProcess(submitted.processid, [2, 3, 4], { timeoutMs: harness.jobTimeoutMs });
      expect(second.state, second.errors.join('; ')).toBe(2);
      expect(await outputOf(flow, second.processid)).toContain('data: a \na: a, v2\n');
    },
    harness.caseTimeoutMs,
  );
}
