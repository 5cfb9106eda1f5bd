/**
 * The executor-flow suite run against the smallest real backend: jobs as
 * plain `sh` processes of this machine (no isolation, no log files: enough to
 * hold the suite itself to its cases; each backend package runs it for real).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BackendError } from '../backend-error';
import type { Backend, JobHandle, JobMount, JobStatus, LogChunk } from '../backend';
import { delay } from '../delay';
import { testExecutorFlow } from './executor-flow';

interface ShellJob {
  child: ChildProcess;
  output: string;
  status: JobStatus;
}

/**
 * `text` with the job's paths (`/cfs/…`) rewritten to where they are staged:
 * no mount namespace here. Each mount is `<fsDir><dir>` → `<fs.mount><dir>`,
 * so stripping their common `<dir>` gives the two roots.
 */
function onHost(text: string, mounts: readonly JobMount[]): string {
  const mount = mounts[0];
  if (!mount) return text;
  let common = 0;
  while (
    common < Math.min(mount.hostPath.length, mount.containerPath.length) &&
    mount.hostPath.at(-1 - common) === mount.containerPath.at(-1 - common)
  ) {
    common += 1;
  }
  const suffix = mount.containerPath.slice(mount.containerPath.length - common);
  const dirStart = suffix.indexOf('/');
  const containerRoot = mount.containerPath.slice(0, mount.containerPath.length - common + Math.max(0, dirStart));
  const hostRoot = mount.hostPath.slice(0, mount.hostPath.length - common + Math.max(0, dirStart));
  return text.replaceAll(`${containerRoot}/`, `${hostRoot}/`);
}

/** Jobs as child processes of the test; a restarted executor re-attaches to them in the same process. */
const jobs = new Map<string, ShellJob>();

function createShellBackend(): Backend {
  const jobOf = (handle: JobHandle): ShellJob => {
    const job = jobs.get(handle.id);
    if (!job) throw new BackendError('shell', `unknown job ${handle.id}`);
    return job;
  };
  return {
    name: 'shell',
    async start(request) {
      const env = Object.fromEntries(Object.entries(request.env).map(([key, value]) => [key, onHost(value, request.mounts)]));
      const cwd = request.mounts[0]?.hostPath ?? request.workDir;
      const child = spawn('/bin/sh', ['-c', onHost(request.command, request.mounts)], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, detached: true });
      const job: ShellJob = { child, output: '', status: { state: 'running', nodes: ['here'] } };
      child.stdout.on('data', (data: Buffer) => (job.output += data.toString()));
      child.stderr.on('data', (data: Buffer) => (job.output += data.toString()));
      child.on('close', (code, signal) => {
        if (job.status.state !== 'running') return;
        job.status =
          code === 0 ? { state: 'succeeded', exitCode: 0 } : { state: 'failed', exitCode: code, reason: signal ? `killed by ${signal}` : `exit code ${code}` };
      });
      const id = String(child.pid);
      jobs.set(id, job);
      return { backend: 'shell', processId: request.processId, id, data: {} };
    },
    // Jobs are child processes of this test: a forward reaches them on loopback.
    async jobAddress() {
      return '127.0.0.1';
    },
    async status(handle) {
      return jobOf(handle).status;
    },
    async *logs(handle, from, signal): AsyncIterable<LogChunk> {
      const job = jobOf(handle);
      let offset = from === '' ? 0 : Number(from);
      while (!signal?.aborted) {
        const final = job.status.state !== 'running';
        if (job.output.length > offset) {
          const text = job.output.slice(offset);
          offset = job.output.length;
          yield { text, cursor: String(offset) };
        }
        if (final) return;
        await delay(50, signal);
      }
    },
    async cancel(handle) {
      const job = jobOf(handle);
      if (job.status.state !== 'running') return;
      job.status = { state: 'cancelled', reason: 'cancelled' };
      process.kill(-job.child.pid!, 'SIGKILL');
    },
    async reattach(saved) {
      return jobs.has(saved.id) ? saved : undefined;
    },
  };
}

testExecutorFlow('a shell backend', createShellBackend, { timeLimit: true });
