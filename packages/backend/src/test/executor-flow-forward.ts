/**
 * The executor-flow case of the keyless forward (issue #16), run for every
 * backend by `testExecutorFlow`: a project with `tunnel: {port}` runs a job
 * that serves HTTP on that port where the job runs (the node, the pod, this
 * machine); `openForward` from the submitter reaches it through the colony,
 * at the address the backend's `jobAddress` gives; the job's end ends the
 * forward. The whole chain: project.yaml → spec channels → executor relay →
 * backend address → the job's socket.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { ExecutorEvent, RunningExecutor } from '@pollinator/core';
import type { FlowColony } from './flow-colony';

/** What the executor-flow suite shares with this case. */
export interface FlowForwardHarness {
  flow(): FlowColony;
  caseDirs(): { fsDir: string; stateDir: string; project: string };
  startExecutor(dirs: { fsDir: string; stateDir: string; project: string }, events: ExecutorEvent[]): Promise<RunningExecutor>;
  shellProject(dir: string, script: string): Promise<void>;
  /** Submits the project (not followed); its process id. */
  submit(dir: string): Promise<string>;
  caseTimeoutMs: number;
  jobTimeoutMs: number;
}

/** Registers the forward case in the current executor-flow describe block. */
export function registerForwardCases(harness: FlowForwardHarness): void {
  /** A project serving the sample project's data/hello.txt where its job runs, on the port its tunnel names; submitted. */
  async function servingJob(dirs: { project: string }): Promise<{ processId: string; port: number }> {
    const flow = harness.flow();
    // A port unlikely to be taken, on whatever machine runs the job.
    const port = 20_000 + (randomBytes(2).readUInt16BE(0) % 20_000);
    await harness.shellProject(dirs.project, 'echo serving\nexec python3 -m http.server "$POLLINATOR_FORWARD_PORTS" --bind 0.0.0.0 --directory "$PROJECT_DIR/data"\n');
    appendFileSync(join(dirs.project, 'project.yaml'), `tunnel:\n  port: ${port}\n`);
    const processId = await harness.submit(dirs.project);
    expect((await flow.user.getProcess(processId)).spec.env[flow.packages.specBuilder.FORWARD_PORTS_ENV]).toBe(String(port));
    return { processId, port };
  }

  /** Opens a forward as the submitter and waits until hello.txt comes through it (the job needs a moment to listen). */
  async function forwardAndFetch(processId: string, port: number) {
    const flow = harness.flow();
    const listener = await flow.packages.portForward.openForward({ client: flow.user, processId, remotePort: port, localPort: 0 });
    // Until the job listens, a connection is refused by the job (not by the forward): ask again.
    const fetchHello = () => fetch(`http://127.0.0.1:${listener.port}/hello.txt`, { signal: AbortSignal.timeout(10_000) }).then((response) => response.text(), () => '');
    try {
      await expect.poll(fetchHello, { timeout: harness.jobTimeoutMs, interval: 250 }).toBe('Hello world!\n');
    } catch (error) {
      await listener.close();
      throw error;
    }
    return listener;
  }

  const relayedLines = (events: ExecutorEvent[], processId: string, port: number) =>
    events.flatMap((event) => (event.type === 'forward' && event.processId === processId && new RegExp(`^connection \\d+ relayed to \\S+:${port}$`).test(event.message) ? [event.message] : []));

  it(
    "forwards the job's port to the submitter through the colony, and ends the forward with the job",
    async () => {
      const flow = harness.flow();
      const dirs = harness.caseDirs();
      const events: ExecutorEvent[] = [];
      await harness.startExecutor(dirs, events);
      const { processId, port } = await servingJob(dirs);
      const listener = await forwardAndFetch(processId, port);
      try {
        expect(relayedLines(events, processId, port).length).toBeGreaterThan(0);
        await flow.user.cancelProcess(processId);
        const end = await listener.ended;
        expect(['process-ended', 'closed'], JSON.stringify(end)).toContain(end.kind);
      } finally {
        await listener.close();
      }
    },
    harness.caseTimeoutMs,
  );

  it(
    'forwards again after the executor detached from the running job and a restarted one re-attached',
    async () => {
      const flow = harness.flow();
      const dirs = harness.caseDirs();
      const first = await harness.startExecutor(dirs, []);
      const { processId, port } = await servingJob(dirs);
      await (await forwardAndFetch(processId, port)).close();
      await first.stop('detach');
      const events: ExecutorEvent[] = [];
      await harness.startExecutor(dirs, events);
      expect(events.some((event) => event.type === 'job.reattached' && event.processId === processId)).toBe(true);
      const listener = await forwardAndFetch(processId, port);
      try {
        expect(relayedLines(events, processId, port).length).toBeGreaterThan(0);
      } finally {
        await listener.close();
        await flow.user.cancelProcess(processId).catch(() => undefined);
      }
    },
    harness.caseTimeoutMs,
  );
}
