import type { ExecutorEvent } from '@pollinator/core';
import { describe, expect, it } from 'vitest';
import { createExecutorEventRenderer, type ExecutorEventVerbosity } from './executor-events';
import { captureOutput } from './output.test-helpers';

const EVENTS: ExecutorEvent[] = [
  { type: 'registered', executorName: 'laptop-local', executorId: 'e1', selfRegistered: true },
  { type: 'assigned', processId: 'p1', funcname: 'execute' },
  { type: 'job.started', processId: 'p1', handle: { backend: 'local', processId: 'p1', id: '42', data: {} } },
  { type: 'job.reattached', processId: 'p2', handle: { backend: 'local', processId: 'p2', id: '43', data: {} } },
  { type: 'job.finished', processId: 'p1', status: { state: 'succeeded', exitCode: 0 } },
  { type: 'process.closed', processId: 'p1', success: true, exitCode: 0 },
  { type: 'process.closed', processId: 'p2', success: false, error: 'out of memory' },
  { type: 'process.abandoned', processId: 'p3', reason: 'its spec cannot be read' },
  { type: 'forward', processId: 'p4', message: 'connection 1 relayed to 127.0.0.1:8888' },
  { type: 'warning', message: 'the local backend does not isolate jobs' },
  { type: 'shutdown', mode: 'finish' },
];

async function render(verbosity: ExecutorEventVerbosity, json = false) {
  const { output, text } = captureOutput({ json });
  const renderer = createExecutorEventRenderer(output, { verbosity, now: () => new Date(2026, 0, 2, 3, 4, 5) });
  for (const event of EVENTS) renderer(event);
  await new Promise((resolve) => setImmediate(resolve));
  return text();
}

describe('createExecutorEventRenderer', () => {
  it('full (executor start): registration, function names and backend jobs too', async () => {
    const { stdout, stderr } = await render('full');
    expect(stdout + stderr).not.toContain('shutdown');
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      '03:04:05 registered as laptop-local (self-registered)',
      '03:04:05 assigned p1 (execute)',
      '03:04:05 started p1 as local job 42',
      '03:04:05 re-attached to p2',
      '03:04:05 succeeded p1 (exit 0)',
      '03:04:05 failed p2: out of memory',
      '03:04:05 abandoned p3: its spec cannot be read',
      '03:04:05 forward p4: connection 1 relayed to 127.0.0.1:8888',
      '! the local backend does not isolate jobs',
    ]);
  });

  it('brief (dev): only what a user waits for', async () => {
    const { stderr } = await render('brief');
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      '03:04:05 assigned p1',
      '03:04:05 re-attached to p2',
      '03:04:05 succeeded p1 (exit 0)',
      '03:04:05 failed p2: out of memory',
      '03:04:05 abandoned p3: its spec cannot be read',
      '! the local backend does not isolate jobs',
    ]);
  });

  it.each<ExecutorEventVerbosity>(['brief', 'full'])('%s with --json: every event as executor.<type> on stdout', async (verbosity) => {
    const { stdout } = await render(verbosity, true);
    const types = stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toEqual(EVENTS.map((event) => `executor.${event.type}`));
  });
});
