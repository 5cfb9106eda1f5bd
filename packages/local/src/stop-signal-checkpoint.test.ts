/**
 * The checkpoint-and-resume example of docs/project-yaml.md (`stopSignal`),
 * run as it is written with real processes on the local backend: the first
 * attempt gets SIGUSR1 before its time limit, saves `result/checkpoint.json`
 * and is ended at the limit; the second attempt resumes from it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ignoreStopSignal, type JobStopSignal } from '@pollinator/backend';
import { readAllLogs, testJobRequest, waitForFinalStatus } from '@pollinator/backend/test';
import { createLocalBackend } from './local-backend';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'project-yaml.md'), 'utf8');
const example = /```python\n(# cfs\/src\/train\.py[\s\S]*?)```/.exec(DOC)?.[1];

const pythonMissing = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
})();

const root = mkdtempSync(join(tmpdir(), 'pollinator-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(pythonMissing)('the checkpoint-and-resume example (docs/project-yaml.md)', () => {
  const stopSignal: JobStopSignal = { signal: 'SIGUSR1', beforeSeconds: 3 };
  const projectDir = join(root, 'project');
  mkdirSync(join(projectDir, 'result'), { recursive: true });
  const script = join(root, 'train.py');

  async function attempt(number: number): Promise<{ state: string; text: string; step: number }> {
    const backend = createLocalBackend({ mode: 'process', isolation: 'rewrite', stopGraceSeconds: 1, onWarning: () => undefined });
    const workDir = mkdtempSync(join(root, `attempt-${number}-`));
    const handle = await backend.start(
      testJobRequest(ignoreStopSignal(`python3 -u ${script}`, stopSignal), workDir, {
        env: { PROJECT_DIR: projectDir },
        resources: { walltimeSeconds: 5 },
        stopSignal,
      }),
    );
    const status = await waitForFinalStatus(backend, handle, 30_000);
    const { text } = await readAllLogs(backend, handle, '', 10_000);
    const checkpoint = JSON.parse(readFileSync(join(projectDir, 'result', 'checkpoint.json'), 'utf8')) as { step: number };
    return { state: status.state, text, step: checkpoint.step };
  }

  it('saves a checkpoint on the stop signal, and the next attempt resumes from it', { timeout: 60_000 }, async () => {
    expect(example).toBeDefined();
    writeFileSync(script, example!);
    const first = await attempt(1);
    expect(first.text).toMatch(/stopped at step \d+: checkpoint saved/);
    expect(first.state).toBe('failed');
    expect(first.step).toBeGreaterThan(0);

    const second = await attempt(2);
    expect(second.text).toContain(`resuming at step ${first.step}`);
    expect(second.step).toBeGreaterThan(first.step);
  });
});
