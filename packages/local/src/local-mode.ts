/**
 * Which way the local backend runs jobs, and what `mode: 'auto'` finds on
 * this machine.
 */
import { execFileSync } from 'node:child_process';

/** How a job runs: a plain process on this machine, or a Docker / Podman container. */
export type LocalMode = 'process' | 'docker' | 'podman';

function commandAnswers(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * What `mode: 'auto'` picks on this machine: `docker` when a Docker engine
 * answers, else `podman` when Podman works, else `process`. Synchronous on
 * purpose: `createLocalBackend()` is synchronous and its `mode` is known at
 * once (it runs once, before any job; the probes are bounded to 5 s each).
 */
export function detectLocalMode(): LocalMode {
  if (commandAnswers('docker', ['version', '--format', '{{.Server.Version}}'])) return 'docker';
  if (commandAnswers('podman', ['info', '--format', '{{.Host.Arch}}'])) return 'podman';
  return 'process';
}
