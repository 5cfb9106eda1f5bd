import { describe, expect, it } from 'vitest';
import { digestFromInspect } from './image-digest';

const REPO = 'ab'.repeat(32);
const ID = 'cd'.repeat(32);

describe('digestFromInspect', () => {
  it.each([
    [`["python@sha256:${REPO}"] sha256:${ID}`, `sha256:${REPO}`],
    [`["docker.io/library/python@sha256:${REPO}","mirror/python@sha256:${ID}"] sha256:${ID}`, `sha256:${REPO}`],
    [`[] sha256:${ID}`, `sha256:${ID}`],
    [`null ${ID}`, `sha256:${ID}`],
    [`["odd-entry"] not-an-id`, undefined],
    ['', undefined],
  ])('%j → %j', (line, digest) => {
    expect(digestFromInspect(line)).toBe(digest);
  });
});
