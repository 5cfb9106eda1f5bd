/**
 * Where a TCP connection reaches a running local job (for a port-forward). A
 * plain process shares this machine's network: loopback. A container has its
 * own: the address the engine gave it on its network (Docker's bridge,
 * `172.17.0.2`), never this machine's loopback, which the job itself cannot
 * reach either — a forward must not reach more than the job can. A container
 * the engine does not show yet (still being created) has no address yet; a
 * running one without an address of its own (`--network none`, rootless
 * Podman's user-mode network) never will: that is an error saying so, which
 * the forward passes on to its user.
 */
import { execFile } from 'node:child_process';
import { BackendError, type JobHandle } from '@pollinator/backend';
import { localHandles } from './local-handle';
import { LOCAL_BACKEND_NAME, type LocalSettings } from './local-options';

/** What a plain process job is reached at. */
export const LOOPBACK = '127.0.0.1';

/** Every network's address of a container, space-separated (`docker` and `podman` alike). */
export const ADDRESS_FORMAT = '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}';

/** The first address in a `container inspect --format ADDRESS_FORMAT` answer; undefined when it has none. */
export function addressFromInspect(output: string): string | undefined {
  for (const word of output.trim().split(/\s+/)) {
    if (/^(\d{1,3}\.){3}\d{1,3}$/.test(word) || /^[0-9a-f]*:[0-9a-f:]+$/i.test(word)) return word;
  }
  return undefined;
}

/** `jobAddress()` of the local backend. */
export async function localJobAddress(handle: JobHandle, settings: Pick<LocalSettings, 'containerCommand'>, timeoutMs = 30_000): Promise<string | undefined> {
  const data = localHandles.read(handle);
  if (data.mode === 'process') return LOOPBACK;
  if (!data.containerName) return undefined;
  const containerName = data.containerName;
  const inspected = await new Promise<string | undefined>((resolve) => {
    try {
      execFile(settings.containerCommand || data.mode, ['container', 'inspect', '--format', ADDRESS_FORMAT, containerName], { timeout: timeoutMs }, (error, stdout) => {
        resolve(error ? undefined : String(stdout));
      });
    } catch {
      resolve(undefined);
    }
  });
  // Not shown by the engine (yet): no address yet.
  if (inspected === undefined) return undefined;
  const address = addressFromInspect(inspected);
  if (address !== undefined) return address;
  throw new BackendError(
    LOCAL_BACKEND_NAME,
    `container ${containerName} has no network address of its own (${data.mode} with --network none, or rootless Podman's user-mode network): a forward cannot reach it; run the executor with rootful ${data.mode} (a bridge network) or the job as a plain process`,
  );
}
