/**
 * The state of the one node of the test cluster. Taking it down kills every
 * job on it, and other test files (and other test runs) share it: `drainFor`
 * lets only our jobs run on it first, and every test that changes the node's
 * state resumes it in a `finally` (`resumeNode`).
 */
import { execFileSync } from 'node:child_process';

export function slurm(command: string, ...args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const REASON = 'reason=pollinator-test-node-failure';

/**
 * Drains `node` (nothing new starts on it; other jobs wait a moment), then waits until only the jobs
 * `ours` run on it: a node failure must not kill anyone else's job.
 */
export async function drainFor(node: string, ours: string[]): Promise<void> {
  slurm('scontrol', 'update', `nodename=${node}`, 'state=drain', REASON);
  const others = () => slurm('squeue', '-h', '-w', node, '-t', 'RUNNING,COMPLETING', '-o', '%i').split('\n').map((id) => id.trim()).filter((id) => id !== '' && !ours.includes(id));
  for (let attempt = 0; others().length > 0 && attempt < 300; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 200));
  if (others().length > 0) throw new Error(`other jobs (${others().join(', ')}) still run on ${node} after 60 s: the node-failure test would kill them`);
}

/** A node failure: Slurm ends (or requeues) every job on `node` at once. */
export function setNodeDown(node: string): void {
  slurm('scontrol', 'update', `nodename=${node}`, 'state=down', REASON);
}

/** Back to service (ReturnToService=2 does it once slurmd registers again; this is in case it has not). */
export function resumeNode(node: string): void {
  try {
    slurm('scontrol', 'update', `nodename=${node}`, 'state=resume');
  } catch {
    // already back
  }
}

/** The node's state as sinfo says it (`idle`, `mixed`, `down*`, `drained`…). */
export function nodeState(node: string): string {
  return slurm('sinfo', '-h', '-n', node, '-o', '%T').trim();
}
