import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from './output';
import { RunRenderer } from './run-events';

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const output = new Output({
    color: false,
    env: { CI: '1' },
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
  });
  return { output, text: () => ({ stdout: out, stderr: err }) };
}

describe('RunRenderer: sync.symlinks', () => {
  it('prints one warning line on stderr per skipped symlink, with the reason and how to opt in', async () => {
    const { output, text } = capture();
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
