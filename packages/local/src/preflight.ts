/**
 * `preflight()` of the local backend: before the executor registers, checks
 * that the runtime it was configured with is there, so a misconfigured
 * executor exits 78 instead of taking jobs and failing each:
 *
 * - `docker` / `podman` mode: the client is installed and its engine answers;
 * - plain processes with `isolation: 'bwrap'`: bubblewrap is installed and can
 *   create namespaces (with `auto` a missing bwrap is only a warning, and
 *   `rewrite` needs nothing).
 */
import { execFile } from 'node:child_process';
import { BackendError, BackendPreflightError } from '@pollinator/backend';
import { LOCAL_BACKEND_NAME, type LocalSettings } from './local-options';

/** How long the engine may take to answer `version` / `info` (a cold Podman takes a few seconds). */
const ENGINE_TIMEOUT_MS = 20_000;

/** What asks each engine whether it answers (the same probes as `mode: 'auto'`). */
const ENGINE_PROBES: Record<'docker' | 'podman', string[]> = {
  docker: ['version', '--format', '{{.Server.Version}}'],
  podman: ['info', '--format', '{{.Host.Arch}}'],
};

interface ProbeResult {
  missing: boolean;
  ok: boolean;
  output: string;
}

function probe(command: string, args: string[], timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      const output = `${stderr}\n${stdout}`.trim().split('\n').filter(Boolean).slice(0, 2).join(' / ');
      const timedOut = error !== null && (error as { killed?: boolean }).killed === true;
      resolve({ missing: code === 'ENOENT', ok: error === null, output: timedOut ? `no answer within ${timeoutMs / 1000} s` : output || (error?.message ?? '') });
    });
  });
}

async function checkEngine(settings: LocalSettings, timeoutMs: number): Promise<void> {
  const engine = settings.mode === 'podman' ? 'podman' : 'docker';
  const command = settings.containerCommand || engine;
  const result = await probe(command, ENGINE_PROBES[engine], timeoutMs);
  if (result.ok) return;
  const name = engine === 'docker' ? 'Docker' : 'Podman';
  if (result.missing) {
    throw new BackendPreflightError(
      LOCAL_BACKEND_NAME,
      `the ${engine} mode needs the ${engine} client, and ${command} is not installed (not on the PATH)`,
      `Install ${name}, or run jobs as plain processes (mode 'process'; docs/running-an-executor.md).`,
    );
  }
  throw new BackendPreflightError(
    LOCAL_BACKEND_NAME,
    `the ${name} engine does not answer (${command} ${ENGINE_PROBES[engine].join(' ')}): ${result.output}`,
    engine === 'docker'
      ? 'Start the Docker daemon (systemctl start docker) and make sure this user can reach it (the docker group, or DOCKER_HOST), or run jobs as plain processes.'
      : 'Check `podman info` as this user (rootless Podman needs its user namespace setup), or run jobs as plain processes.',
  );
}

/** Throws `BackendPreflightError` (reason and what to do) when the configured runtime cannot run jobs. */
export async function preflightLocal(
  settings: LocalSettings,
  isolation: (() => Promise<'bwrap' | 'rewrite'>) | undefined,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  if (settings.mode !== 'process') return checkEngine(settings, options.timeoutMs ?? ENGINE_TIMEOUT_MS);
  if (isolation === undefined) return;
  try {
    await isolation();
  } catch (error) {
    if (!BackendError.isInstance(error)) throw error;
    throw new BackendPreflightError(
      LOCAL_BACKEND_NAME,
      error.message.replace(/^(\[[^\]]+\]\s*)+/, ''),
      'Install bubblewrap (apt install bubblewrap) and allow unprivileged user namespaces, or set POLLINATOR_LOCAL_ISOLATION=auto to run jobs without isolation (docs/security.md).',
      { cause: error },
    );
  }
}
