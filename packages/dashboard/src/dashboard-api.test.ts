/**
 * The dashboard's JSON API against a real dev-server: the test plays the
 * executor (assigns, writes logs, records results) and reads everything back
 * through the dashboard over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogPage, RunResults, RunsListing } from './api-types';
import { readEvents as readEventsAt, startDashboardColony, type DashboardColony } from './dashboard.test-helpers';

let colony: DashboardColony;

/** Server-Sent Events of the dashboard; their bytes join the bodies scanned for private keys. */
const readEvents = (port: number, path: string, headers: Record<string, string>, until: Parameters<typeof readEventsAt>[3]) =>
  readEventsAt(port, path, headers, until, (chunk) => colony.bodies.push(chunk));

beforeAll(async () => {
  colony = await startDashboardColony();
});
afterAll(async () => {
  await colony?.close();
});

async function runs(query: string): Promise<RunsListing> {
  const reply = await colony.call(`/api/runs${query}`);
  expect(reply.status, reply.text).toBe(200);
  return JSON.parse(reply.text) as RunsListing;
}

describe('dashboard API', () => {
  it('lists runs newest first, filtered by state, project, executor and text, with duration, exit code and cause', async () => {
    const running = await colony.submit('alpha', { assign: true });
    const waiting = await colony.submit('beta');
    const all = await runs('');
    const ids = all.runs.map((run) => run.processId);
    expect(ids).toEqual([waiting, running]);
    expect(all.runs.map((run) => run.state)).toEqual(['waiting', 'running']);
    expect(all.runs[1]!.executorName).toBe(colony.server.identities.executor.name);
    expect(all.runs[1]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(all.runs[0]!.durationMs).toBeUndefined();

    await colony.executor.addAttribute({ processId: running, key: 'POLLINATOR_FAILURE_CAUSE', value: 'out-of-memory', type: 1 });
    await colony.executor.addAttribute({ processId: running, key: 'POLLINATOR_FAILURE_DETAIL', value: 'killed: out of memory', type: 1 });
    await colony.executor.closeFailed(running, 'job failed');
    const failed = await runs('?state=failed');
    expect(failed.runs.map((run) => run.processId)).toEqual([running]);
    expect(failed.runs[0]!.exitCode).toBeTypeOf('number');
    expect(failed.runs[0]!.cause?.kind).toBe('out-of-memory');
    expect((await runs('?state=failed,waiting')).runs.map((run) => run.processId)).toEqual([waiting, running]);

    expect((await runs('?project=beta')).runs.map((run) => run.processId)).toEqual([waiting]);
    expect((await runs(`?executor=${colony.server.identities.executor.name}`)).runs.map((run) => run.processId)).toEqual([running]);
    expect((await runs(`?q=${waiting.slice(0, 12)}`)).runs.map((run) => run.processId)).toEqual([waiting]);
    expect((await runs('?q=OUT%20OF%20MEMORY')).runs.map((run) => run.processId)).toEqual([running]);
    // Out of the way of the next tests' assignments.
    await colony.user.cancelProcess(waiting);
    expect((await colony.call('/api/runs?state=sleeping')).status).toBe(400);
  });

  it('shows one run: attributes, spec and state timeline', async () => {
    const processId = await colony.submit('gamma', { assign: true });
    await colony.executor.addAttribute({ processId, key: 'SLURM-JOBID', value: '4242', type: 1 });
    await colony.executor.closeSuccessful(processId);
    const reply = await colony.call(`/api/runs/${processId}`);
    expect(reply.status, reply.text).toBe(200);
    const detail = JSON.parse(reply.text) as { run: { state: string; exitCode: number }; attributes: { key: string; value: string }[]; spec: { label: string }; timeline: { state: string }[] };
    expect(detail.run.state).toBe('success');
    expect(detail.run.exitCode).toBe(0);
    expect(detail.attributes).toContainEqual(expect.objectContaining({ key: 'SLURM-JOBID', value: '4242' }));
    expect(detail.spec.label).toBe('gamma');
    expect(detail.timeline.map((step) => step.state)).toEqual(['waiting', 'running', 'success']);
    const missing = await colony.call(`/api/runs/${'0'.repeat(64)}`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect((await colony.call('/api/runs/not-an-id')).status).toBe(400);
  });

  it('reads a log page by page with the exact cursor', async () => {
    const processId = await colony.submit('logs', { assign: true });
    for (let index = 0; index < 7; index += 1) await colony.executor.addLog(processId, `line ${index}\n`);
    const first = JSON.parse((await colony.call(`/api/runs/${processId}/log?limit=3`)).text) as LogPage;
    expect(first.entries.map((entry) => entry.message)).toEqual(['line 0\n', 'line 1\n', 'line 2\n']);
    expect(first.cursor).toMatch(/^\d+$/);
    const rest = JSON.parse((await colony.call(`/api/runs/${processId}/log?after=${first.cursor}`)).text) as LogPage;
    expect(rest.entries.map((entry) => entry.message)).toEqual(['line 3\n', 'line 4\n', 'line 5\n', 'line 6\n']);
    expect(rest.complete).toBe(false);
    await colony.executor.closeSuccessful(processId);
    const end = JSON.parse((await colony.call(`/api/runs/${processId}/log?after=${rest.cursor}`)).text) as LogPage;
    expect(end).toEqual({ entries: [], cursor: rest.cursor, complete: true });
    expect((await colony.call(`/api/runs/${processId}/log?after=12abc`)).status).toBe(400);
  });

  it('reads a log longer than one server page whole, by page and by stream', async () => {
    const processId = await colony.submit('long-log', { assign: true });
    const lines = Array.from({ length: 620 }, (_, index) => `line ${index}\n`);
    for (const line of lines) await colony.executor.addLog(processId, line);
    await colony.executor.closeSuccessful(processId);
    const whole = JSON.parse((await colony.call(`/api/runs/${processId}/log`)).text) as LogPage;
    expect(whole.entries.map((entry) => entry.message)).toEqual(lines);
    expect(whole.complete).toBe(true);
    const pages: string[] = [];
    let cursor = '';
    for (;;) {
      const page = JSON.parse((await colony.call(`/api/runs/${processId}/log?limit=250&after=${cursor}`)).text) as LogPage;
      pages.push(...page.entries.map((entry) => entry.message));
      cursor = page.cursor;
      if (page.complete) break;
    }
    expect(pages).toEqual(lines);
    const streamed = await readEvents(colony.dashboard.port, `/api/runs/${processId}/log/stream`, { authorization: `Bearer ${colony.dashboard.token}` }, (event) => event.event === 'end');
    expect(streamed.filter((event) => event.event === 'log').map((event) => (event.data as { message: string }).message)).toEqual(lines);
  });

  it('streams a log over Server-Sent Events while the job writes it, then ends with the state', async () => {
    const processId = await colony.submit('stream', { assign: true });
    await colony.executor.addLog(processId, 'before\n');
    const auth = { authorization: `Bearer ${colony.dashboard.token}` };
    let written = false;
    const events = await readEvents(colony.dashboard.port, `/api/runs/${processId}/log/stream`, auth, (event) => {
      if (event.event === 'log' && (event.data as { message: string }).message === 'before\n' && !written) {
        written = true;
        // Written once the stream has shown the first line: the rest arrives live.
        void (async () => {
          await colony.executor.addLog(processId, 'during 1\n');
          await colony.executor.addLog(processId, 'during 2\n');
          await colony.executor.closeSuccessful(processId);
        })();
      }
      return event.event === 'end';
    });
    const logs = events.filter((event) => event.event === 'log');
    expect(logs.map((event) => (event.data as { message: string }).message)).toEqual(['before\n', 'during 1\n', 'during 2\n']);
    expect(logs.every((event) => event.id === (event.data as { cursor: string }).cursor)).toBe(true);
    expect(events.at(-1)).toEqual({ event: 'end', data: { state: 'success', cursor: logs.at(-1)!.id } });
    // Resuming with Last-Event-ID gives only what came after.
    const resumed = await readEvents(colony.dashboard.port, `/api/runs/${processId}/log/stream`, { ...auth, 'last-event-id': logs[0]!.id! }, (event) => event.event === 'end');
    expect(resumed.filter((event) => event.event === 'log').map((event) => (event.data as { message: string }).message)).toEqual(['during 1\n', 'during 2\n']);
  });

  it('cancels a running process (POST) and refuses to cancel an ended one', async () => {
    const processId = await colony.submit('cancel-me', { assign: true });
    const reply = await colony.call(`/api/runs/${processId}/cancel`, { method: 'POST', headers: { origin: `http://127.0.0.1:${colony.dashboard.port}` } });
    expect(reply.status, reply.text).toBe(202);
    const process = await colony.user.getProcess(processId);
    expect(process.state).toBe(4);
    const again = await colony.call(`/api/runs/${processId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).error.code).toBe('DASHBOARD_ALREADY_ENDED');
    expect((await colony.call(`/api/runs/${processId}/cancel`)).status).toBe(405);
  });

  it('lists results and downloads each byte-exact, and all as one tar', async () => {
    const processId = await colony.submit('results', { assign: true });
    const none = JSON.parse((await colony.call(`/api/runs/${processId}/results`)).text) as RunResults;
    expect(none.files).toEqual([]);
    expect(none.note).toMatch(/no results/);
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, index) => (index * 31) % 256));
    await colony.recordResults(processId, 'results', { 'out.bin': binary, 'plots/loss.csv': Buffer.from('step,loss\n1,0.5\n') });
    await colony.executor.closeSuccessful(processId);
    const results = JSON.parse((await colony.call(`/api/runs/${processId}/results`)).text) as RunResults;
    expect(results.files.map((file) => [file.path, file.size])).toEqual([
      ['out.bin', 70_000],
      ['plots/loss.csv', 16],
    ]);
    const download = await colony.call(`/api/runs/${processId}/results/out.bin`);
    expect(download.status).toBe(200);
    expect(download.body.equals(binary)).toBe(true);
    const nested = await colony.call(`/api/runs/${processId}/results/plots/loss.csv`);
    expect(nested.text).toBe('step,loss\n1,0.5\n');
    expect((await colony.call(`/api/runs/${processId}/results/nothing.txt`)).status).toBe(404);

    const tar = (await colony.call(`/api/runs/${processId}/results.tar`)).body;
    expect(tar.subarray(0, 7).toString()).toBe('out.bin');
    expect(tar.subarray(512, 512 + 70_000).equals(binary)).toBe(true);
    const second = 512 + Math.ceil(70_000 / 512) * 512;
    expect(tar.subarray(second, second + 15).toString()).toBe('plots/loss.csv\0');
    expect(tar.subarray(second + 512, second + 512 + 16).toString()).toBe('step,loss\n1,0.5\n');
    expect(tar.length % 512).toBe(0);
  });

  it('lists executors and files (labels, files with revisions, snapshots) without S3 credentials', async () => {
    await colony.user.submit({ funcname: 'execute', label: 'elsewhere', conditions: { executortype: 'slurm-executor' }, maxexectime: 60 });
    await colony.user.submit({ funcname: 'execute', label: 'named', conditions: { executortype: colony.server.identities.executor.type, executornames: ['gpu-7'] }, maxexectime: 60 });
    const executors = JSON.parse((await colony.call('/api/executors')).text) as {
      executors: { name: string; state: string; type: string; runnable: { project: string; canRun: boolean; reason: string }[] }[];
    };
    const bootstrap = executors.executors.find((executor) => executor.name === colony.server.identities.executor.name);
    expect(bootstrap).toEqual(expect.objectContaining({ state: 'approved', type: colony.server.identities.executor.type }));
    expect(bootstrap!.runnable).toContainEqual({ project: 'gamma', canRun: true, reason: '' });
    expect(bootstrap!.runnable).toContainEqual({ project: 'elsewhere', canRun: false, reason: `type ${colony.server.identities.executor.type}, the project asks for slurm-executor` });
    expect(bootstrap!.runnable).toContainEqual({ project: 'named', canRun: false, reason: 'not in executorNames (gpu-7)' });

    const processId = await colony.submit('filed', { assign: true });
    await colony.recordResults(processId, 'filed', { 'a.txt': Buffer.from('one') });
    await colony.recordResults(processId, 'filed', { 'a.txt': Buffer.from('two!') });
    const overview = JSON.parse((await colony.call('/api/files')).text) as { labels: { name: string }[]; snapshots: { name: string; files: number }[] };
    expect(overview.labels.map((label) => label.name)).toContain('/pollinator/filed/result');
    expect(overview.snapshots.filter((snapshot) => snapshot.name.startsWith(`result-${processId}`)).map((snapshot) => snapshot.files)).toEqual([1, 1]);
    const files = await colony.call(`/api/files?label=${encodeURIComponent('/pollinator/filed/result')}`);
    const label = JSON.parse(files.text) as { files: { name: string; size: number; revisions: { size: number }[] }[] };
    expect(label.files).toEqual([expect.objectContaining({ name: 'a.txt', size: 4 })]);
    expect(label.files[0]!.revisions.map((revision) => revision.size)).toEqual([4, 3]);
    expect(files.text).not.toMatch(/s3object|secretkey|accesskey/);
  });

  it('streams process changes for the runs page', async () => {
    const auth = { authorization: `Bearer ${colony.dashboard.token}` };
    let submitted: string | undefined;
    const events = await readEvents(colony.dashboard.port, '/api/events', auth, (event) => {
      if (event.event === 'runs' && submitted === undefined) {
        submitted = 'pending';
        void colony.submit('live').then((id) => (submitted = id));
      }
      return event.event === 'run' && (event.data as { processId: string }).processId === submitted;
    });
    expect(events[0]!.event).toBe('runs');
    expect(events.at(-1)!.data).toEqual(expect.objectContaining({ processId: submitted, state: 'waiting', label: 'live' }));
  });

  it('sends no private key in any response', async () => {
    // Every body of this file's tests (Server-Sent Events included), plus the pages and an error.
    await colony.call('/');
    await colony.call('/api/session');
    await colony.call('/api/nothing');
    const keys = Object.values(colony.server.identities).map((identity) => identity.privateKey);
    expect(colony.bodies.length).toBeGreaterThan(20);
    for (const body of colony.bodies) {
      const text = body.toString('latin1').toLowerCase();
      for (const key of keys) expect(text.includes(key.toLowerCase())).toBe(false);
    }
  });
});
