/**
 * The digest of a container job's image, from the engine (`docker` /
 * `podman image inspect`): the registry digest the image was pulled by
 * (`RepoDigests`, what a Kubernetes pod reports too), else the image's own
 * id (an image built or loaded locally has no registry digest). Plain
 * processes run no image: none.
 */
import { execFile } from 'node:child_process';
import type { LocalHandleData } from './local-handle';
import type { LocalSettings } from './local-options';

/** `{{json .RepoDigests}}` and `{{.Id}}`, one line. */
export const INSPECT_FORMAT = '{{json .RepoDigests}} {{.Id}}';
const SHA256 = /^sha256:[0-9a-f]{64}$/;
const HEX = /^[0-9a-f]{64}$/;

/** The digest in an `image inspect --format INSPECT_FORMAT` line; undefined when it holds none. */
export function digestFromInspect(line: string): string | undefined {
  const text = line.trim();
  const split = text.lastIndexOf(' ');
  if (split < 0) return undefined;
  let repoDigests: unknown;
  try {
    repoDigests = JSON.parse(text.slice(0, split));
  } catch {
    repoDigests = null;
  }
  for (const entry of Array.isArray(repoDigests) ? repoDigests : []) {
    const digest = typeof entry === 'string' ? entry.slice(entry.lastIndexOf('@') + 1) : '';
    if (SHA256.test(digest)) return digest;
  }
  // docker prints the id as sha256:<hex>, podman as the bare hex.
  const id = text.slice(split + 1);
  if (SHA256.test(id)) return id;
  return HEX.test(id) ? `sha256:${id}` : undefined;
}

/** Asks the engine for the digest of `image`; undefined without an engine answer. */
export function inspectImageDigest(
  settings: Pick<LocalSettings, 'containerCommand'>,
  data: Pick<LocalHandleData, 'mode'>,
  image: string,
  timeoutMs = 30_000,
): Promise<string | undefined> {
  if (data.mode === 'process' || image === '') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    try {
      execFile(settings.containerCommand || data.mode, ['image', 'inspect', '--format', INSPECT_FORMAT, image], { timeout: timeoutMs }, (error, stdout) => {
        resolve(error ? undefined : digestFromInspect(String(stdout).split('\n')[0] ?? ''));
      });
    } catch {
      resolve(undefined);
    }
  });
}
