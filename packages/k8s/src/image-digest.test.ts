import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { digestOfImageId, imageDigestOfPods } from './image-digest';

const HEX = 'a1'.repeat(32);

describe('image digest from container statuses', () => {
  it.each([
    [`docker.io/library/python@sha256:${HEX}`, `sha256:${HEX}`],
    [`docker-pullable://python@sha256:${HEX}`, `sha256:${HEX}`],
    [`sha256:${HEX}`, `sha256:${HEX}`],
    ['', undefined],
    [undefined, undefined],
    ['docker.io/library/python:3.12', undefined],
    [`sha256:${HEX.slice(2)}`, undefined],
  ])('%j → %j', (imageId, digest) => {
    expect(digestOfImageId(imageId)).toBe(digest);
  });

  it('takes the first container that reports one', () => {
    const pod = (imageID: string): V1Pod => ({ status: { containerStatuses: [{ name: 'task-0', image: 'python', imageID, ready: true, restartCount: 0 }] } });
    expect(imageDigestOfPods([pod(''), pod(`python@sha256:${HEX}`)])).toBe(`sha256:${HEX}`);
    expect(imageDigestOfPods([pod('')])).toBeUndefined();
    expect(imageDigestOfPods([])).toBeUndefined();
  });
});
