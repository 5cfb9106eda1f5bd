import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';

// The explanations the CLI gives for errors that are recognised by their
// shape (a Node.js error code, an `exitCode`, the web platform's AbortError),
// not by a Pollinator class. Nothing here imports another package, so they
// still work when the packages themselves cannot be loaded.

/** A property of anything thrown (undefined for primitives). */
export function errorField(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

/** `value` when it is a non-empty string or a number, else `fallback`. */
export function textOf(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : fallback;
}

/** The first line of a message without the `[pollinator] [component] ` prefixes (the CLI says who failed itself). */
export function firstLine(message: string): string {
  return message.replace(/^(\[[^\]]+\]\s*)+/, '').trim().split('\n')[0] ?? '';
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** The Node.js network code (`ECONNREFUSED`, …) of `error` or one of its first five causes. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    const code = errorField(current, 'code');
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = errorField(current, 'cause');
  }
  return undefined;
}

/** The server did not answer (a network code anywhere underneath, or the client's network/timeout error). */
export function connectionLost(error: unknown): CliError {
  const code = networkCode(error);
  const message = messageOf(error);
  return new CliError('Cannot reach the Colonies server', {
    why: code === undefined ? firstLine(message) : `${firstLine(message)} (${code})`,
    fix: 'Check COLONIES_SERVER_HOST, COLONIES_SERVER_PORT and COLONIES_TLS (`pollinator config` shows what is in effect), or unset them to use the embedded default.',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'CONNECTION_LOST',
    cause: error,
  });
}

/** An error that names its own exit code (an integer `exitCode`) keeps it. */
export function hasExitCode(error: unknown): boolean {
  const exitCode = errorField(error, 'exitCode');
  return typeof exitCode === 'number' && Number.isInteger(exitCode);
}

export function withOwnExitCode(error: unknown): CliError {
  return new CliError(firstLine(messageOf(error)), {
    exitCode: errorField(error, 'exitCode') as number,
    code: textOf(errorField(error, 'code'), 'ERROR'),
    cause: error,
  });
}

/**
 * An error of the AWS SDK (S3 blob store): every error it throws carries
 * `$metadata`, network errors too. cfs-sync passes some of them through unwrapped.
 */
export function isAwsServiceError(error: unknown): boolean {
  const metadata = errorField(error, '$metadata');
  return typeof metadata === 'object' && metadata !== null;
}

const FILE_CODES = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENOENT', 'ELOOP', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'EMFILE', 'ENFILE', 'ENAMETOOLONG', 'EEXIST']);
const WRITE_SYSCALLS = /^(write|mkdir|rename|unlink|rmdir|symlink|link|copyfile|utime|chmod|chown|ftruncate|fsync)$/;

/** A Node.js file-system error: an errno code and the path it concerns. */
export function isFileSystemError(error: unknown): boolean {
  const code = errorField(error, 'code');
  return typeof code === 'string' && FILE_CODES.has(code) && typeof errorField(error, 'path') === 'string';
}

/** A file that cannot be read (66, EX_NOINPUT) or written (74, EX_IOERR), named with the reason. */
export function fileProblem(error: unknown): CliError {
  const code = String(errorField(error, 'code'));
  const path = String(errorField(error, 'path'));
  const syscall = textOf(errorField(error, 'syscall'), '');
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CliError(`No space left to write ${path}`, { why: code, fix: 'Free some space on that disk, then run the command again.', exitCode: CliExitCode.SYNC_FAILED, code: 'DISK_FULL', cause: error });
  }
  if (WRITE_SYSCALLS.test(syscall) || code === 'EROFS' || code === 'EEXIST') {
    return new CliError(`Cannot write ${path}`, {
      why: firstLine(messageOf(error)),
      fix: 'Check the permissions of the directory (or what is in the way of that path).',
      exitCode: CliExitCode.SYNC_FAILED,
      code: 'LOCAL_WRITE_FAILED',
      cause: error,
    });
  }
  return new CliError(`Cannot read ${path}`, {
    why: firstLine(messageOf(error)),
    fix: code === 'ENOENT' ? 'Check the path.' : `Make it readable (chmod u+r ${path}) or leave it out of the sync with a .pollinatorignore rule.`,
    exitCode: CliExitCode.NO_INPUT,
    code: 'LOCAL_FILE_UNREADABLE',
    cause: error,
  });
}

/** Node.js could not find a module: a package of pollinator is missing. */
export function isModuleNotFound(error: unknown): boolean {
  return errorField(error, 'code') === 'ERR_MODULE_NOT_FOUND';
}

export function installationIncomplete(error: unknown): CliError {
  return new CliError("pollinator's installation is incomplete", {
    why: firstLine(messageOf(error)),
    fix: 'Reinstall @pollinator/cli; in a checkout of the repository, run `pnpm install && pnpm build` (or run from source with `pnpm pollinator`).',
    exitCode: CliExitCode.INTERNAL,
    code: 'INSTALLATION',
    cause: error,
  });
}

/** The web platform's (and Node.js's) convention for an aborted operation: `name === 'AbortError'`. */
export function isAbortError(error: unknown): boolean {
  return errorField(error, 'name') === 'AbortError';
}

export function interrupted(error: unknown): CliError {
  return new CliError('Interrupted', { exitCode: CliExitCode.CANCELLED, code: 'INTERRUPTED', cause: error });
}

/** Anything else: a bug in pollinator. */
export function unexpected(error: unknown): CliError {
  return new CliError('Unexpected error', {
    why: firstLine(messageOf(error)) || textOf(errorField(error, 'name'), 'unknown error'),
    fix: 'This is probably a bug in pollinator: run again with -v and report the output at https://github.com/pollinator-dev/pollinator/issues.',
    exitCode: CliExitCode.INTERNAL,
    code: 'INTERNAL',
    cause: error,
  });
}
