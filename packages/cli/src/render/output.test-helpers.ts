import { PassThrough } from 'node:stream';
import { Output } from './output';

/** An `Output` without colours or a terminal whose stdout and stderr are kept as text. */
export function captureOutput(options: { json?: boolean } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const output = new Output({
    json: options.json ?? false,
    color: false,
    env: { CI: '1' },
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
  });
  return { output, text: () => ({ stdout: out, stderr: err }) };
}
