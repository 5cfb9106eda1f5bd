import { describe, expect, it } from 'vitest';
import { defaultConcurrency } from './embedded-serve';
import { embeddedImageNotice } from './embedded-image-notice';

describe('embeddedImageNotice', () => {
  it('without containers: a warning naming the image and saying it is not used here', () => {
    const notice = embeddedImageNotice('python:3.12-slim', 'process');
    expect(notice?.level).toBe('warn');
    expect(notice?.text).toContain('Image python:3.12-slim (environment.docker) is not used here');
    expect(notice?.text).toContain('without containers');
  });

  it('with Docker or Podman: a note that the job runs in that image', () => {
    expect(embeddedImageNotice('python:3.12-slim', 'docker')).toEqual({
      level: 'info',
      text: 'Image python:3.12-slim (environment.docker): the embedded default runs the job in a Docker container on this machine.',
    });
    expect(embeddedImageNotice('python:3.12-slim', 'podman')?.text).toContain('Podman container');
  });

  it('says nothing when no image is asked for or the runtime is not known', () => {
    expect(embeddedImageNotice('', 'process')).toBeUndefined();
    expect(embeddedImageNotice('python:3.12-slim', undefined)).toBeUndefined();
  });
});

describe('defaultConcurrency', () => {
  it('is half the CPUs, at least 2', () => {
    expect(defaultConcurrency(1)).toBe(2);
    expect(defaultConcurrency(2)).toBe(2);
    expect(defaultConcurrency(5)).toBe(2);
    expect(defaultConcurrency(8)).toBe(4);
    expect(defaultConcurrency(64)).toBe(32);
  });
});
