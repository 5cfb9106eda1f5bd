/**
 * The digest of the image a Job's pods ran, from their container statuses:
 * the kubelet reports `imageID` as `docker.io/library/python@sha256:<hex>`
 * (containerd), `docker-pullable://python@sha256:<hex>` (dockershim) or
 * `sha256:<hex>` (an image only present locally). Pure, for unit tests.
 */
import type { V1Pod } from '@kubernetes/client-node';

const DIGEST = /(?:^|@)(sha256:[0-9a-f]{64})$/;

/** `sha256:<hex>` from an `imageID`, or undefined when it holds none (empty before the pull). */
export function digestOfImageId(imageId: string | undefined): string | undefined {
  return imageId ? DIGEST.exec(imageId)?.[1] : undefined;
}

/** The first digest any container of the pods reports (every task of a Job runs the same image). */
export function imageDigestOfPods(pods: readonly V1Pod[]): string | undefined {
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      const digest = digestOfImageId(status.imageID);
      if (digest) return digest;
    }
  }
  return undefined;
}
