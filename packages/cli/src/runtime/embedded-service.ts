import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { tildify } from '../config/paths';
import { liveAdvertisement, lockHolder, type Advertisement } from './embedded-advertisement';

/**
 * The embedded default's background service: `pollinator dev --service`,
 * started on demand by the first command that needs the embedded default,
 * detached from it (its own session; output to `<embedded dir>/service.log`),
 * reused by every later command, stopping itself when idle. So any number of
 * commands can run at once, and none of them waits for a server or executor
 * of its own to stop when it ends.
 */
export function serviceLogFile(dir: string): string {
  return join(dir, 'service.log');
}

/** How long a command waits for a service it started to be ready (its first start creates the database). */
const READY_TIMEOUT_MS = 60_000;

/**
 * Node's flags with the loaders it was given by name or relative path made
 * absolute: `pnpm pollinator` (running from source) passes `--import tsx`,
 * which Node resolves from the working directory, and the service runs in
 * another one (its data directory).
 */
function absoluteLoaderFlags(execArgv: readonly string[]): string[] {
  const resolveFromHere = createRequire(join(process.cwd(), 'package.json'));
  return execArgv.map((argument, index) => {
    if (execArgv[index - 1] !== '--import' || argument.startsWith('/') || /^[a-z]+:/i.test(argument)) return argument;
    try {
      return pathToFileURL(resolveFromHere.resolve(argument)).href;
    } catch {
      return argument;
    }
  });
}

/** The command line of this very CLI (same node, loader flags and entry), running `dev --service`. */
function serviceCommandLine(context: CommandContext): { command: string; args: string[] } {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot tell how this pollinator was started (no script path in process.argv)');
  const profile = context.options.profile === undefined ? [] : ['--profile', context.options.profile];
  return { command: process.execPath, args: [...absoluteLoaderFlags(process.execArgv), resolve(entry), ...profile, '--cwd', context.cwd, 'dev', '--service'] };
}

function spawnService(context: CommandContext, dir: string): ChildProcess {
  mkdirSync(dir, { recursive: true });
  const log = openSync(serviceLogFile(dir), 'a', 0o600);
  try {
    const { command, args } = serviceCommandLine(context);
    const child = spawn(command, args, { cwd: dir, env: context.env, detached: true, stdio: ['ignore', log, log] });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

function logTail(dir: string, lines = 15): string[] {
  try {
    return readFileSync(serviceLogFile(dir), 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

/**
 * The advertisement of the running service, starting it when nobody serves
 * `dir`. Several commands may start one at the same moment: the first to take
 * `server.lock` serves, the others' services see the lock and leave; every
 * command waits for the one advertisement.
 */
export async function ensureService(context: CommandContext, dir: string): Promise<Advertisement> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let child: ChildProcess | undefined;
  let childExited = false;
  let spawned = 0;
  while (Date.now() < deadline) {
    const advertisement = await liveAdvertisement(dir);
    if (advertisement !== undefined) return advertisement;
    // Nobody serves nor starts serving (or the one that did has stopped): start a service.
    if (lockHolder(dir) === undefined && (child === undefined || childExited)) {
      // A service that keeps exiting before it is ready will not start: say why (its log) instead of trying forever.
      if (spawned >= 3) break;
      if (spawned === 0) context.output.debug(`starting the embedded default's background service (log: ${serviceLogFile(dir)})`);
      spawned += 1;
      childExited = false;
      child = spawnService(context, dir);
      child.once('exit', () => {
        childExited = true;
      });
      child.once('error', () => {
        childExited = true;
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CliError('The embedded default did not start', {
    why: spawned >= 3 && childExited ? 'its background service exited before it was ready' : `its background service was not ready within ${READY_TIMEOUT_MS / 1000} s`,
    fix: `See its log, ${tildify(serviceLogFile(dir), context.env)}; \`pollinator dev\` runs it in the foreground.`,
    details: logTail(dir),
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'EMBEDDED_UNAVAILABLE',
  });
}
