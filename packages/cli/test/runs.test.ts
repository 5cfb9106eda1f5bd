import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, runCli, type CliResult, type Sandbox } from './cli-harness';
import { startDevColony } from './dev-colony';
import { createProject } from './project-fixture';

// Runs as records (issue #14) through the real binary on the embedded
// default: per-run pull, rerun, show, diff, process references, the stale
// clone stop and the root ignore file. Every command is a child process with
// the sandbox's data directory, as a user would type it.

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string, env: Record<string, string | undefined> = {}, timeoutMs = 120_000) =>
  runCli(args, { cwd, env: { ...sandbox.env, ...env }, timeoutMs });

/** The job: copies cfs/data/input.txt into cfs/result/out.txt, prefixed with its own version. */
const jobPy = (version: string) =>
  [
    'import os',
    "d = os.environ['PROJECT_DIR']",
    "os.makedirs(d + '/result', exist_ok=True)",
    "data = open(d + '/data/input.txt').read()",
    `open(d + '/result/out.txt', 'w').write('${version}; data ' + data)`,
    "print('read', data, flush=True)",
    '',
  ].join('\n');

async function recordProject(name: string): Promise<string> {
  const dir = await createProject(sandbox, name, { mainPy: jobPy('src v1') });
  writeFileSync(join(dir, 'cfs', 'data', 'input.txt'), 'one\n');
  return dir;
}

/** The process id `run` printed (stderr: `Submitted process <id>`). */
function submittedId(result: CliResult): string {
  const id = /Submitted process ([0-9a-f]{64})/.exec(result.stderr)?.[1];
  expect(id, result.stderr).toBeDefined();
  return id as string;
}

async function runOk(dir: string, env: Record<string, string | undefined> = {}): Promise<string> {
  const result = await cli(['run'], dir, env);
  expect(result.code, result.stderr).toBe(0);
  return submittedId(result);
}

const out = (dir: string) => readFileSync(join(dir, 'cfs', 'result', 'out.txt'), 'utf8');

describe('pull', () => {
  it('only downloads: a local-only result file stays local; outside a project it says so', { timeout: 240_000 }, async () => {
    const dir = await recordProject('pull-only');
    const dev = await startDevColony(sandbox, dir);
    try {
      await runOk(dir);
      writeFileSync(join(dir, 'cfs', 'result', 'local-only.txt'), 'mine\n');
      const pulled = await cli(['pull'], dir);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(readFileSync(join(dir, 'cfs', 'result', 'local-only.txt'), 'utf8')).toBe('mine\n');
      expect(out(dir)).toBe('src v1; data one\n');
      const projectName = /^projectname: (\S+)$/m.exec(readFileSync(join(dir, 'project.yaml'), 'utf8'))?.[1];
      const files = await dev.client.getFiles(`/pollinator/${projectName}/result`);
      expect(files.map((file) => file.name)).toContain('out.txt');
      expect(files.map((file) => file.name)).not.toContain('local-only.txt');
    } finally {
      await dev.stop();
    }

    mkdirSync(join(sandbox.dir, 'elsewhere'));
    const outside = await cli(['pull'], join(sandbox.dir, 'elsewhere'));
    expect(outside.code).toBe(CliExitCode.USAGE);
    expect(outside.stderr).toContain('is not one');
    expect(outside.stderr).toContain('elsewhere');
    expect(outside.stderr).toContain('-C <dir>');
    expect(outside.stderr).not.toContain('ENOENT');
    expect(outside.stderr).not.toContain('is invalid');
  });

  it('a run with no result snapshot falls back to the shared label, with a warning', { timeout: 240_000 }, async () => {
    const dir = await recordProject('pull-fallback');
    const dev = await startDevColony(sandbox, dir);
    try {
      await runOk(dir);
      const projectName = /^projectname: (\S+)$/m.exec(readFileSync(join(dir, 'project.yaml'), 'utf8'))?.[1] ?? '';
      // A process of the project submitted by another tool: no Pollinator record at all.
      const foreignSpec = {
        funcname: 'execute',
        label: projectName,
        conditions: { colonyname: dev.env.COLONIES_COLONY_NAME ?? 'dev', executortype: 'nobody-runs-this' },
        maxexectime: -1,
        maxwaittime: -1,
      };
      const foreign = await dev.client.submit(foreignSpec);
      rmSync(join(dir, 'cfs', 'result', 'out.txt'));
      const pulled = await cli(['pull', foreign.processid], dir);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(out(dir)).toBe('src v1; data one\n');
      // Visible: a warning line, and where the files came from.
      expect(pulled.stderr).toMatch(new RegExp(`! .*${foreign.processid}`));
      expect(pulled.stderr).toContain(`from the shared result label /pollinator/${projectName}/result (this run recorded no result snapshot)`);
      const json = await cli(['pull', foreign.processid, '--json'], dir);
      expect(json.code, json.stderr).toBe(0);
      expect(json.events()).toContainEqual(expect.objectContaining({ type: 'warning', code: 'RESULT_LABEL_FALLBACK' }));
      // The lines pull itself shapes are what the published schema says (schema/events.schema.json).
      const own = json.events().filter((event) => event.type === 'warning' || event.type === 'result.synced');
      expect(own.map(eventProblems).filter((problem) => problem !== '')).toEqual([]);

      // A run of another project is refused; --inputs takes no id.
      const other = await dev.client.submit({ ...foreignSpec, label: 'another-project' });
      const wrong = await cli(['pull', other.processid], dir);
      expect(wrong.code).toBe(CliExitCode.USAGE);
      expect(wrong.stderr).toContain(`Process ${other.processid} belongs to project another-project`);
      const inputsWithId = await cli(['pull', foreign.processid, '--inputs'], dir);
      expect(inputsWithId.code).toBe(CliExitCode.USAGE);
      expect(inputsWithId.stderr).toContain('`pull --inputs` takes no process id');
      expect(json.events()).toContainEqual(expect.objectContaining({ type: 'result.synced', source: expect.objectContaining({ kind: 'label', fallback: true }) }));
    } finally {
      await dev.stop();
    }
  });

  it("pull <id> after three runs returns each run's own files; @last and prefixes name runs", { timeout: 300_000 }, async () => {
    const dir = await recordProject('per-run');
    const first = await runOk(dir);
    writeFileSync(join(dir, 'cfs', 'data', 'input.txt'), 'two\n');
    const second = await runOk(dir);
    writeFileSync(join(dir, 'cfs', 'data', 'input.txt'), 'three\n');
    const third = await runOk(dir);
    expect(out(dir)).toBe('src v1; data three\n');

    const pulledFirst = await cli(['pull', first], dir);
    expect(pulledFirst.code, pulledFirst.stderr).toBe(0);
    expect(out(dir)).toBe('src v1; data one\n');
    expect(pulledFirst.stderr).toContain(`Results of process ${first}`);

    const pulledSecond = await cli(['pull', second.slice(0, 10)], dir);
    expect(pulledSecond.code, pulledSecond.stderr).toBe(0);
    expect(out(dir)).toBe('src v1; data two\n');

    const pulledLast = await cli(['pull'], dir);
    expect(pulledLast.code, pulledLast.stderr).toBe(0);
    expect(out(dir)).toBe('src v1; data three\n');
    expect(pulledLast.stderr).toContain(`Results of process ${third}`);

    await cli(['pull', '@last'], dir);
    expect(out(dir)).toBe('src v1; data three\n');

    const status = await cli(['status', '@last', '--json'], dir);
    expect(status.events()[0]).toMatchObject({ processId: third, state: 'success' });
    const byPrefix = await cli(['status', first.slice(0, 8), '--json'], dir);
    expect(byPrefix.events()[0]).toMatchObject({ processId: first });

    // @last outside a project: says it needs one.
    const outside = await cli(['show', '@last'], sandbox.dir);
    expect(outside.code).toBe(CliExitCode.USAGE);
    expect(outside.stderr).toContain('`@last` needs a project directory');
    // No process with that prefix: says where it looked.
    const unknownPrefix = [...'0123456789abcdef'].map((digit) => digit.repeat(6)).find((prefix) => ![first, second, third].some((id) => id.startsWith(prefix))) ?? '';
    const none = await cli(['show', unknownPrefix], dir);
    expect(none.code).toBe(CliExitCode.USAGE);
    expect(none.stderr).toContain(`No process id starts with ${unknownPrefix}`);
    expect(none.stderr).toContain('embedded default');
    const malformed = await cli(['show', 'xyz'], dir);
    expect(malformed.code).toBe(CliExitCode.USAGE);
    expect(malformed.stderr).toContain('64 hexadecimal digits');
  });
});

describe('show, diff, rerun', () => {
  it('rerun reproduces the original inputs byte for byte; show and diff read the records', { timeout: 360_000 }, async () => {
    const dir = await recordProject('records');
    const first = await runOk(dir);
    // The data changes remotely (a second run uploads it) and then locally again; the src too.
    writeFileSync(join(dir, 'cfs', 'data', 'input.txt'), 'two\n');
    writeFileSync(join(dir, 'cfs', 'src', 'main.py'), jobPy('src v2'));
    const second = await runOk(dir);
    writeFileSync(join(dir, 'cfs', 'data', 'input.txt'), 'three, local only\n');
    expect(out(dir)).toBe('src v2; data two\n');

    // From a directory that is no project: results into ./<12 digits>-result/.
    const elsewhere = join(sandbox.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const rerun = await cli(['rerun', first.slice(0, 8)], elsewhere);
    expect(rerun.code, rerun.stderr).toBe(0);
    const rerunId = submittedId(rerun);
    expect(rerunId).not.toBe(first);
    expect(rerun.stdout).toContain('read one');
    expect(readFileSync(join(elsewhere, `${rerunId.slice(0, 12)}-result`, 'out.txt'), 'utf8')).toBe('src v1; data one\n');
    expect(rerun.stderr).toContain('Succeeded');
    console.log(`--- pollinator rerun ${first.slice(0, 8)} ---\n${rerun.stderr}${rerun.stdout}`);

    // In the project's directory: into its cfs/result. With -o: there.
    const inProject = await cli(['rerun', first], dir);
    expect(inProject.code, inProject.stderr).toBe(0);
    expect(out(dir)).toBe('src v1; data one\n');
    const chosen = join(sandbox.dir, 'chosen');
    const withOutput = await cli(['rerun', second, '-o', chosen], elsewhere);
    expect(withOutput.code, withOutput.stderr).toBe(0);
    expect(readFileSync(join(chosen, 'out.txt'), 'utf8')).toBe('src v2; data two\n');
    // The local edit was never uploaded by any of this.
    expect(readFileSync(join(dir, 'cfs', 'data', 'input.txt'), 'utf8')).toBe('three, local only\n');

    const shown = await cli(['show', rerunId, '--json'], elsewhere);
    expect(shown.code, shown.stderr).toBe(0);
    const record = shown.events()[0] as Record<string, unknown>;
    const original = (await cli(['show', first, '--json'], elsewhere)).events()[0] as Record<string, unknown>;
    expect(record).toMatchObject({ type: 'run.record', processId: rerunId, rerunOf: first, state: 'success', exitCode: 0 });
    expect(eventProblems(record)).toBe('');
    expect(record.srcSnapshotId).toBe(original.srcSnapshotId);
    expect(record.dataSnapshotId).toBe(original.dataSnapshotId);
    expect(record.resultSnapshotId).toEqual(expect.any(String));
    expect(record.resultSnapshotId).not.toBe(original.resultSnapshotId);
    // The embedded default runs jobs without containers: the record says the image was asked for, not used.
    expect(record).toMatchObject({ image: expect.any(String), imageUsed: false });
    const human = await cli(['show', rerunId], elsewhere);
    expect(human.stdout).toMatch(/Image\s+\S+ \(asked for, not used: the executor ran the job without containers\)/);
    expect(original.cliVersion).toEqual(expect.any(String));
    const text = await cli(['show', rerunId], elsewhere);
    expect(text.stdout).toMatch(/Rerun of\s+[0-9a-f]{64}/);
    expect(text.stdout).toContain(String(original.srcSnapshotId));

    const diff = await cli(['diff', first, second], dir);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/^src\s+~ main\.py \(219 B → 219 B\)$/m);
    expect(diff.stdout).toMatch(/^data\s+~ input\.txt \(4 B → 4 B\)$/m);
    expect(diff.stdout).toMatch(/^exit code\s+same: 0$/m);
    console.log(`--- pollinator diff ${first.slice(0, 8)} ${second.slice(0, 8)} ---\n${diff.stdout}`);
    const diffJson = await cli(['diff', first, second, '--json'], dir);
    expect(diffJson.code, diffJson.stderr).toBe(0);
    expect(diffJson.events()[0]).toMatchObject({
      type: 'run.diff',
      a: { processId: first },
      b: { processId: second },
      src: { available: true, changed: [expect.objectContaining({ path: 'main.py' })] },
      data: { available: true, changed: [expect.objectContaining({ path: 'input.txt' })] },
    });
    expect(eventProblems(diffJson.events()[0])).toBe('');
    const same = await cli(['diff', first, rerunId], dir);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/^src\s+same \(1 file\)$/m);
    expect(same.stdout).toMatch(/^data\s+same \(2 files\)$/m);
  });

  it('rerun exits with the job\'s exit code, like run', { timeout: 240_000 }, async () => {
    const dir = await createProject(sandbox, 'failing', { mainPy: 'import sys\nprint("failing now", flush=True)\nsys.exit(3)\n' });
    const failed = await cli(['run'], dir);
    expect(failed.code, failed.stderr).toBe(3);
    const rerun = await cli(['rerun', '@last'], dir);
    expect(rerun.code, rerun.stderr).toBe(3);
    expect(rerun.stdout).toContain('failing now');
    expect(rerun.stderr).toContain('Failed with exit code 3');
  });
});

describe('two clones of one project', () => {
  it('a newer remote data file stops run and plan with 73 naming it; --force proceeds; the root .pollinatorignore keeps secret.env out', { timeout: 360_000 }, async () => {
    const cloneA = await recordProject('shared');
    writeFileSync(join(cloneA, '.pollinatorignore'), 'secret.env\n');
    writeFileSync(join(cloneA, 'cfs', 'data', 'secret.env'), 'TOKEN=do-not-upload\n');
    writeFileSync(join(cloneA, 'cfs', 'src', 'secret.env'), 'TOKEN=do-not-upload\n');
    const envA = { POLLINATOR_CACHE_DIR: join(sandbox.dir, 'cache-a') };
    const envB = { POLLINATOR_CACHE_DIR: join(sandbox.dir, 'cache-b') };

    const plan = await cli(['plan', '--json'], cloneA, envA);
    expect(plan.code, plan.stderr).toBe(0);
    const entries = plan.events().filter((event) => event.type === 'sync.plan').flatMap((event) => (event.entries ?? []) as Array<{ path: string; action: string; reason: string }>);
    expect(entries.filter((entry) => entry.path === 'secret.env').map((entry) => entry.action)).toEqual(['ignored', 'ignored']);
    expect(entries.find((entry) => entry.path === 'secret.env')?.reason).toContain('.pollinatorignore');

    await runOk(cloneA, envA);
    const cloneB = join(sandbox.dir, 'shared-b');
    cpSync(cloneA, cloneB, { recursive: true });
    rmSync(join(cloneB, 'cfs', 'result'), { recursive: true, force: true });
    mkdirSync(join(cloneB, 'cfs', 'result'));
    await runOk(cloneB, envB);

    writeFileSync(join(cloneA, 'cfs', 'data', 'input.txt'), 'newer, from A\n');
    await runOk(cloneA, envA);

    for (const command of [['run'], ['plan']]) {
      const stopped = await cli(command, cloneB, envB);
      expect(stopped.code, `${command[0]}: ${stopped.stderr}`).toBe(CliExitCode.REMOTE_CHANGED);
      expect(stopped.stderr).toContain('input.txt');
      // Which copy is which, and when the remote one was uploaded.
      expect(stopped.stderr).toMatch(/cfs\/data\/input\.txt \(yours 4 B; the remote one 14 B, uploaded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)/);
      expect(stopped.stderr).toContain('--force');
    }
    const forcedPlan = await cli(['plan', '--force'], cloneB, envB);
    expect(forcedPlan.code, forcedPlan.stderr).toBe(0);
    // Planned as `run --force` does it: an upload over the newer remote copy, counted as one.
    expect(forcedPlan.stdout).toMatch(/↑ upload .* input\.txt .*forced, the local version is uploaded over it/);
    expect(forcedPlan.stdout).toMatch(/cfs\/data[\s\S]*total: 1 file to upload/);
    expect(forcedPlan.stdout).not.toContain('remote-changed');
    const forced = await cli(['run', '--force'], cloneB, envB);
    expect(forced.code, forced.stderr).toBe(0);
    expect(out(cloneB)).toBe('src v1; data one\n');

    // The secret never reached CFS: a third clone pulling the inputs does not get it.
    const cloneC = join(sandbox.dir, 'shared-c');
    mkdirSync(cloneC);
    cpSync(join(cloneA, 'project.yaml'), join(cloneC, 'project.yaml'));
    const inputs = await cli(['pull', '--inputs'], cloneC, { POLLINATOR_CACHE_DIR: join(sandbox.dir, 'cache-c') });
    expect(inputs.code, inputs.stderr).toBe(0);
    expect(readFileSync(join(cloneC, 'cfs', 'data', 'input.txt'), 'utf8')).toBe('one\n');
    expect(existsSync(join(cloneC, 'cfs', 'src', 'main.py'))).toBe(true);
    expect(existsSync(join(cloneC, 'cfs', 'data', 'secret.env'))).toBe(false);
    expect(existsSync(join(cloneC, 'cfs', 'src', 'secret.env'))).toBe(false);
  });
});
