// `pollinator-dev-server`: runs the dev-server in the foreground.
//   --port <n>         (default 50080)      --host <addr> (default 127.0.0.1)
//   --data-dir <dir>   (default ./.pollinator/dev-server)
//   --write-env <path> write COLONIES_* variables (and POLLINATOR_BLOB_DIR) for the bootstrap
//                      user, usable as is by pollinator and the Go colonies CLI (not --env-file:
//                      Node 20 takes that flag for itself wherever it appears)
//   --allow-remote     allow binding a non-loopback address
//   --log <level>      silent | error | warn | info | debug (default info)
//   --durability <process|fsync>
//   --max-body-bytes <n>   largest request body (default 20971520 = 20 MiB; larger: 413)
//   --body-timeout-ms <n>  time to send a request body (default 30000; then 408)
// Prints one JSON line {"url", "dataDir", "blobDir"} on stdout once listening.
import { parseArgs } from 'node:util';
import type { LogLevel } from './logger';
import { startDevServer } from './dev-server';
import type { Durability } from './store';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '50080' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string', default: '.pollinator/dev-server' },
    'write-env': { type: 'string' },
    'allow-remote': { type: 'boolean', default: false },
    log: { type: 'string', default: 'info' },
    durability: { type: 'string', default: 'process' },
    'max-body-bytes': { type: 'string' },
    'body-timeout-ms': { type: 'string' },
  },
});

/** A whole-number flag, or undefined when it was not given (startDevServer checks the range). */
function integerFlag(name: string): number | undefined {
  const text = values[name as keyof typeof values] as string | undefined;
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) {
    process.stderr.write(`pollinator-dev-server: --${name} must be a whole number, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return Number(text);
}

const server = await startDevServer({
  port: Number(values.port),
  host: values.host,
  dataDir: values['data-dir'],
  envFile: values['write-env'],
  allowRemote: values['allow-remote'],
  logLevel: values.log as LogLevel,
  durability: values.durability as Durability,
  maxBodyBytes: integerFlag('max-body-bytes'),
  bodyTimeoutMs: integerFlag('body-timeout-ms'),
});
process.stdout.write(`${JSON.stringify({ url: server.url, dataDir: server.dataDir, blobDir: server.blobDir })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
