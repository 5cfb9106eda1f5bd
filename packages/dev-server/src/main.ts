// `pollinator-dev-server`: runs the dev-server in the foreground.
//   --port <n>         (default 50080)      --host <addr> (default 127.0.0.1)
//   --data-dir <dir>   (default ./.pollinator/dev-server)
//   --write-env <path> write COLONIES_* variables for the bootstrap user (not --env-file:
//                      Node 20 takes that flag for itself wherever it appears)
//   --allow-remote     allow binding a non-loopback address
//   --log <level>      silent | error | warn | info | debug (default info)
//   --durability <process|fsync>
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
  },
});

const server = await startDevServer({
  port: Number(values.port),
  host: values.host,
  dataDir: values['data-dir'],
  envFile: values['write-env'],
  allowRemote: values['allow-remote'],
  logLevel: values.log as LogLevel,
  durability: values.durability as Durability,
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
