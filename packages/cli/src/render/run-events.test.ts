import { describe, expect, it } from 'vitest';
import { captureOutput } from './output.test-helpers';
import { RunRenderer } from './run-events';

describe('RunRenderer: sync.symlinks', () => {
  it('prints one warning line on stderr per skipped symlink, with the reason and how to opt in', async () => {
    const { output, text } = captureOutput();
    const renderer = new RunRenderer(output);
    renderer.handle({
      type: 'sync.symlinks',
      target: 'src',
      dir: '/p/cfs/src',
      policy: 'skip',
      skipped: [
        {
          path: 'lib',
          target: '/etc',
          why: 'symbolic links are skipped by default',
          reason: 'symbolic link to /etc: not uploaded (to upload what it points to, set sync.symlinks: inside in project.yaml …)',
        },
        { path: 'x.py', target: '../x.py', why: 'broken symbolic link', reason: 'broken symbolic link to ../x.py' },
      ],
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(text().stdout).toBe('');
    expect(text().stderr.split('\n').filter(Boolean)).toEqual([
      '! cfs/src/lib: symbolic link to /etc: not uploaded (to upload what it points to, set sync.symlinks: inside in project.yaml …)',
      '! cfs/src/x.py: broken symbolic link to ../x.py',
    ]);
  });
});
