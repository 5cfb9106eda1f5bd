/**
 * Commands of the docker / podman client that the backend runs itself (the
 * supervisor runs `stop` / `kill` while it lives): asynchronous, so a slow
 * engine never blocks the executor's event loop, and best effort.
 */
import { execFile } from 'node:child_process';
import type { LocalHandleData } from './local-handle';
import type { LocalSettings } from './local-options';

/** Runs `<client> <args…>` and resolves when it ends, fails or times out; never rejects. */
export function runContainerClient(
  settings: Pick<LocalSettings, 'containerCommand'>,
  data: Pick<LocalHandleData, 'mode'>,
  args: string[],
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    try {
      execFile(settings.containerCommand || data.mode, args, { timeout: timeoutMs }, () => resolve());
    } catch {
      resolve();
    }
  });
}
