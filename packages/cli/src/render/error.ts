import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import type { Output } from './output';

/** A project.yaml problem as `@pollinator/spec-builder` reports it (structural copy). */
interface ProjectIssueLike {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
  found?: string;
  allowed?: string;
  suggestion?: string;
}

function hasMarker(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && Symbol.for(`pollinator.error.${name}`) in error;
}

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : fallback;
}

function stripPrefix(message: string): string {
  // Library messages start with `[pollinator] [component] `: the CLI says who failed itself.
  return message.replace(/^(\[[^\]]+\]\s*)+/, '').trim();
}

function firstLine(message: string): string {
  return stripPrefix(message).split('\n')[0] ?? '';
}

function formatIssue(issue: ProjectIssueLike): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  let text = `${where} ${issue.path === '' ? '(file)' : issue.path}: ${issue.message}`;
  if (issue.found !== undefined) text += `; found ${issue.found}`;
  if (issue.allowed !== undefined) text += `; allowed: ${issue.allowed}`;
  if (issue.suggestion !== undefined && !issue.message.includes(issue.suggestion)) {
    text += ` (did you mean "${issue.suggestion}"?)`;
  }
  return text;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    const code = field(current, 'code');
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = field(current, 'cause');
  }
  return undefined;
}

/**
 * Turns anything thrown into a `CliError` with what failed, why, and what to
 * do. Library errors are recognised by their `Symbol.for('pollinator.error.*')`
 * markers (so two installed copies still match) and by shape.
 */
export function toCliError(error: unknown): CliError {
  if (CliError.isInstance(error)) return error;

  const name = field(error, 'name');
  const message = error instanceof Error ? error.message : String(error);

  if (hasMarker(error, 'ProjectConfigError') || name === 'ProjectConfigError') {
    const issues = (field(error, 'issues') as ProjectIssueLike[] | undefined) ?? [];
    const only = issues.length === 1 ? issues[0] : undefined;
    if (only !== undefined && (only as { code?: string }).code === 'missing_file') {
      return new CliError('No project here', {
        why: only.message,
        fix: 'Run the command in a project directory, or pass -C <dir>.',
        exitCode: CliExitCode.INVALID_PROJECT,
        code: 'INVALID_PROJECT',
        cause: error,
      });
    }
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    return new CliError(`project.yaml is invalid (${count})`, {
      why: 'nothing was uploaded or submitted',
      fix: 'Fix the file and run the command again; the reference is in docs/project-yaml.md.',
      details: issues.map(formatIssue),
      exitCode: CliExitCode.INVALID_PROJECT,
      code: 'INVALID_PROJECT',
      cause: error,
    });
  }

  const clientCode = field(error, 'code');
  if (clientCode === 'COLONIES_CONFIG_ERROR') {
    const issues = (field(error, 'issues') as Array<{ message: string }> | undefined) ?? [];
    return new CliError('The colony configuration is invalid', {
      why: issues.length === 1 ? issues[0]?.message : `${issues.length} problems`,
      fix: 'Fix the COLONIES_* variables (in the environment or the profile; `pollinator config` shows them).',
      details: issues.length > 1 ? issues.map((issue) => issue.message) : [],
      exitCode: CliExitCode.CONFIG,
      code: 'CONFIG',
      cause: error,
    });
  }
  const net = networkCode(error) ?? (clientCode === 'COLONIES_NETWORK_ERROR' || clientCode === 'COLONIES_TIMEOUT' ? 'no answer' : undefined);
  if (net !== undefined) {
    return new CliError('Cannot reach the Colonies server', {
      why: net === 'no answer' ? firstLine(message) : `${firstLine(message)} (${net})`,
      fix: 'Check COLONIES_SERVER_HOST, COLONIES_SERVER_PORT and COLONIES_TLS (`pollinator config` shows what is in effect), or unset them to use the embedded default.',
      exitCode: CliExitCode.CONNECTION_LOST,
      code: 'CONNECTION_LOST',
      cause: error,
    });
  }

  if (hasMarker(error, 'ColoniesError') || name === 'ColoniesError') {
    const status = field(error, 'status');
    const forbidden = status === 403 || /not (a )?member|access denied|forbidden|unauthori[sz]ed/i.test(message);
    return new CliError('The Colonies server refused the request', {
      why: firstLine(message) + (typeof status === 'number' ? ` (HTTP ${status})` : ''),
      fix: forbidden
        ? 'Check that COLONIES_PRVKEY belongs to a member of COLONIES_COLONY_NAME (`pollinator config`).'
        : 'Run again with -v for the full exchange.',
      exitCode: CliExitCode.SUBMISSION_REJECTED,
      code: 'COLONIES_ERROR',
      cause: error,
    });
  }

  if (hasMarker(error, 'BackendError') || name === 'BackendError') {
    return new CliError(`The ${text(field(error, 'backend'), 'executor')} backend failed`, {
      why: firstLine(message),
      exitCode: CliExitCode.EXECUTOR_LOST,
      code: 'BACKEND_ERROR',
      cause: error,
    });
  }

  const exitCode = field(error, 'exitCode');
  if (typeof exitCode === 'number' && Number.isInteger(exitCode)) {
    return new CliError(firstLine(message), { exitCode, code: text(field(error, 'code'), 'ERROR'), cause: error });
  }

  if (clientCode === 'COLONIES_BAD_REPLY') {
    return new CliError('The server did not answer like a Colonies server', {
      why: firstLine(message),
      fix: 'Check COLONIES_SERVER_HOST, COLONIES_SERVER_PORT and COLONIES_TLS: they may point at another service or a proxy (`pollinator config`).',
      exitCode: CliExitCode.CONNECTION_LOST,
      code: 'CONNECTION_LOST',
      cause: error,
    });
  }

  const cfsError = typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[Symbol.for('pollinator.cfs-sync.error')] === true;
  if (cfsError && clientCode === 'INVALID_CONFIG') {
    return new CliError('The S3 configuration is invalid', {
      why: firstLine(message),
      fix: 'Fix the AWS_S3_* variables (`pollinator config` shows them).',
      exitCode: CliExitCode.CONFIG,
      code: 'CONFIG',
      cause: error,
    });
  }
  if (cfsError || /sync|upload|download|blob|s3/i.test(text(name, ''))) {
    return new CliError('Syncing files with CFS failed', {
      why: firstLine(message),
      fix: 'Nothing half-written was kept; run the command again. With S3, check the AWS_S3_* variables (`pollinator config`).',
      exitCode: CliExitCode.SYNC_FAILED,
      code: 'SYNC_FAILED',
      cause: error,
    });
  }

  if (clientCode === 'ERR_MODULE_NOT_FOUND') {
    return new CliError("pollinator's installation is incomplete", {
      why: firstLine(message),
      fix: 'Reinstall @pollinator/cli; in a checkout of the repository, run `pnpm install && pnpm build` (or run from source with `pnpm pollinator`).',
      exitCode: CliExitCode.INTERNAL,
      code: 'INSTALLATION',
      cause: error,
    });
  }

  if (name === 'AbortError') {
    return new CliError('Interrupted', { exitCode: CliExitCode.CANCELLED, code: 'INTERRUPTED', cause: error });
  }

  return new CliError('Unexpected error', {
    why: firstLine(message) || text(name, 'unknown error'),
    fix: 'This is probably a bug in pollinator: run again with -v and report the output at https://github.com/pollinator-dev/pollinator/issues.',
    exitCode: CliExitCode.INTERNAL,
    code: 'INTERNAL',
    cause: error,
  });
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  return /[.!?]\)?$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** The error paragraph (without colours): `what: why. fix` plus detail lines. */
export function formatErrorParagraph(error: CliError): string {
  let text = error.message;
  text = error.why === undefined ? sentence(text) : `${text}: ${sentence(error.why)}`;
  if (error.fix !== undefined) text += ` ${sentence(error.fix)}`;
  return text;
}

/** Prints an error: one paragraph on stderr (plus details; the stack with -v); an `error` event with --json. */
export function renderError(output: Output, thrown: unknown, options: { jsonEvent?: boolean } = {}): number {
  const error = toCliError(thrown);
  output.close();
  const paragraph = formatErrorParagraph(error);
  const c = output.colors;
  let out = `${c.red(c.bold('Error:'))} ${paragraph}\n`;
  for (const detail of error.details) out += `  ${detail}\n`;
  if (output.verbose) {
    let cause: unknown = error.cause ?? error;
    const seen = new Set<unknown>();
    while (cause !== undefined && cause !== null && !seen.has(cause)) {
      seen.add(cause);
      const stack = cause instanceof Error ? (cause.stack ?? cause.message) : text(cause, JSON.stringify(cause) ?? '');
      out += c.dim(`${stack}\n`);
      cause = field(cause, 'cause');
      if (cause !== undefined) out += c.dim('caused by: ');
    }
  } else if (error.exitCode === CliExitCode.INTERNAL) {
    out += c.dim('  (run with -v for the stack trace)\n');
  }
  output.rawStderr(out);
  if (output.isJson && options.jsonEvent !== false) {
    output.json({
      type: 'error',
      code: error.code,
      message: error.message,
      why: error.why,
      fix: error.fix,
      details: error.details.length > 0 ? error.details : undefined,
      exitCode: error.exitCode,
    });
  }
  return error.exitCode;
}
