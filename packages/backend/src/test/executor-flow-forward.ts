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
  it(
    "forwards the job's port to the submitter through the colony, and ends the forward with the job",
    async () => {
      const flow = harness.flow();
      const dirs = harness.caseDirs();
      // A port unlikely to be taken, on whatever machine runs the job.
      const port = 20_000 + (randomBytes(2).readUInt16BE(0) % 20_000);
      // The sample project's data/hello.txt, served where the job runs, on the port the spec lists.
      await harness.shellProject(dirs.project, 'echo serving\nexec python3 -m http.server "$POLLINATOR_FORWARD_PORTS" --bind 0.0.0.0 --directory "$PROJECT_DIR/data"\n');
      appendFileSync(join(dirs.project, 'project.yaml'), `tunnel:\n  port: ${port}\n`);
      const events: ExecutorEvent[] = [];
      await harness.startExecutor(dirs, events);
      const processId = await harness.submit(dirs.project);
      const spec = (await flow.user.getProcess(processId)).spec;
      expect(spec.env[flow.packages.specBuilder.FORWARD_PORTS_ENV]).toBe(String(port));

      const listener = await flow.packages.portForward.openForward({ client: flow.user, processId, remotePort: port, localPort: 0 });
      try {
        // Until the job listens, a connection is refused by the job (not by the forward): ask again.
        const fetchHello = () => fetch(`http://127.0.0.1:${listener.port}/hello.txt`, { signal: AbortSignal.timeout(10_000) }).then((response) => response.text(), () => '');
        await expect.poll(fetchHello, { timeout: harness.jobTimeoutMs, interval: 250 }).toBe('Hello world!\n');
        const relayed = events.flatMap((event) => (event.type === 'forward' && event.processId === processId ? [event.message] : []));
        expect(relayed.some((line) => new RegExp(`^connection \\d+ relayed to \\S+:${port}$`).test(line)), relayed.join('\n')).toBe(true);

        await flow.user.cancelProcess(processId);
        const end = await listener.ended;
        expect(['process-ended', 'closed'], JSON.stringify(end)).toContain(end.kind);
      } finally {
        await listener.close();
      }
    },
    harness.caseTimeoutMs,
  );
}
