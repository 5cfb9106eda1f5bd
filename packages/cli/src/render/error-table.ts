import { CfsError } from '@pollinator/cfs-sync';
import {
  ColoniesAbortError,
  ColoniesBadReplyError,
  ColoniesConfigError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesReplyTooLargeError,
  ColoniesTimeoutError,
  UnreadableProcessError,
} from '@pollinator/colonies-client';
import { BackendError, describeFailure } from '@pollinator/core';
import { CryptoError } from '@pollinator/crypto';
import { formatProjectIssueWithSuggestion, ProjectConfigError } from '@pollinator/spec-builder';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import {
  connectionLost,
  firstLine,
  errorField,
  fileProblem,
  hasExitCode,
  installationIncomplete,
  interrupted,
  isAbortError,
  isAwsServiceError,
  isFileSystemError,
  isModuleNotFound,
  networkCode,
  textOf,
  unexpected,
  withOwnExitCode,
} from './error-explanations';

/** One row: which errors it takes (a class's `isInstance`, or a shape) and how the CLI explains them. */
export interface ErrorRule {
  /** What the row matches, for tests and for reading the table. */
  readonly name: string;
  matches(error: unknown): boolean;
  explain(error: unknown): CliError;
}

/** What the table needs of an error class: its marker-based `isInstance`. */
interface ErrorClass<Matched> {
  isInstance(value: unknown): value is Matched;
}

/** A row over a real error class: `Class.isInstance(error)` narrows what `explain` gets. */
function classRule<Matched>(name: string, errorClass: ErrorClass<Matched>, explain: (error: Matched) => CliError): ErrorRule {
  return { name, matches: (error) => errorClass.isInstance(error), explain: (error) => explain(error as Matched) };
}

function shapeRule(name: string, matches: (error: unknown) => boolean, explain: (error: unknown) => CliError): ErrorRule {
  return { name, matches, explain };
}

function invalidProject(error: ProjectConfigError): CliError {
  const { issues } = error;
  const only = issues.length === 1 ? issues[0] : undefined;
  // Only project.yaml itself missing is "no project here"; a missing environment.source is a problem of the file.
  if (only?.code === 'missing_file' && only.path === '') {
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
    details: issues.map(formatProjectIssueWithSuggestion),
    exitCode: CliExitCode.INVALID_PROJECT,
    code: 'INVALID_PROJECT',
    cause: error,
  });
}

function invalidColonyConfig(error: ColoniesConfigError): CliError {
  const { issues } = error;
  return new CliError('The colony configuration is invalid', {
    why: issues.length === 1 ? issues[0]?.message : `${issues.length} problems`,
    fix: 'Fix the COLONIES_* variables (in the environment or the profile; `pollinator config` shows them).',
    details: issues.length > 1 ? issues.map((issue) => issue.message) : [],
    exitCode: CliExitCode.CONFIG,
    code: 'CONFIG',
    cause: error,
  });
}

const FORBIDDEN_MESSAGE = /not (a )?member|access denied|forbidden|unauthori[sz]ed/i;

function refused(error: ColoniesError): CliError {
  const forbidden = error.status === 403 || FORBIDDEN_MESSAGE.test(error.message);
  return new CliError('The Colonies server refused the request', {
    why: `${firstLine(error.message)} (HTTP ${error.status})`,
    fix: forbidden
      ? 'Check that COLONIES_PRVKEY belongs to a member of COLONIES_COLONY_NAME (`pollinator config`).'
      : 'Run again with -v for the full exchange.',
    exitCode: CliExitCode.SUBMISSION_REJECTED,
    code: 'COLONIES_ERROR',
    cause: error,
  });
}

function backendFailed(error: BackendError): CliError {
  return new CliError(`The ${textOf(error.backend, 'executor')} backend failed`, {
    why: firstLine(error.message),
    exitCode: CliExitCode.EXECUTOR_LOST,
    code: 'BACKEND_ERROR',
    cause: error,
  });
}

function notAColoniesServer(error: ColoniesBadReplyError): CliError {
  return new CliError('The server did not answer like a Colonies server', {
    why: firstLine(error.message),
    fix: 'Check COLONIES_SERVER_HOST, COLONIES_SERVER_PORT and COLONIES_TLS: they may point at another service or a proxy (`pollinator config`).',
    exitCode: CliExitCode.PROTOCOL,
    code: 'BAD_REPLY',
    cause: error,
  });
}

function unreadableProcess(error: UnreadableProcessError): CliError {
  const which = error.processId === undefined ? 'A process' : `Process ${error.processId}`;
  return new CliError(`${which} sent by the Colonies server cannot be read`, {
    why: error.reason,
    fix:
      error.processId === undefined
        ? 'It was probably submitted by another tool; `pollinator ps` lists the others.'
        : `It was probably submitted by another tool; \`pollinator cancel ${error.processId}\` removes it if it should not run.`,
    exitCode: CliExitCode.PROTOCOL,
    code: 'PROCESS_UNREADABLE',
    cause: error,
  });
}

function replyTooLarge(error: ColoniesReplyTooLargeError): CliError {
  return new CliError("The Colonies server's reply is too large to read", {
    why: `the reply to ${error.payloadtype || 'a request'} is larger than ${error.limitBytes} bytes; it was not read`,
    fix: 'Ask for less (e.g. `logs --tail <n>`, fewer processes); if COLONIES_SERVER_HOST points at a proxy, check that it answers with the server\'s replies.',
    exitCode: CliExitCode.PROTOCOL,
    code: 'REPLY_TOO_LARGE',
    cause: error,
  });
}

/** Key errors are a configuration problem; signature errors come from what a server sent. */
const KEY_CODES = new Set(['CRYPTO_INVALID_HEX', 'CRYPTO_INVALID_LENGTH', 'CRYPTO_KEY_OUT_OF_RANGE']);

function cryptoFailed(error: CryptoError): CliError {
  if (KEY_CODES.has(error.code)) {
    return new CliError('A private key is not valid', {
      why: firstLine(error.message),
      fix: 'Check COLONIES_PRVKEY (and COLONIES_COLONY_PRVKEY, COLONIES_SERVER_PRVKEY when set): 64 hexadecimal digits (`pollinator config` shows which are set).',
      exitCode: CliExitCode.CONFIG,
      code: 'CONFIG',
      cause: error,
    });
  }
  return new CliError('A signature from the Colonies server cannot be checked', {
    why: firstLine(error.message),
    fix: 'Check that COLONIES_SERVER_HOST and COLONIES_SERVER_PORT point at a Colonies server; if they do, report this with the output of -v.',
    exitCode: CliExitCode.PROTOCOL,
    code: 'BAD_SIGNATURE',
    cause: error,
  });
}

/**
 * A failure of the file sync (cfs-sync, S3, the file system) explained by its
 * cause, as `runProject` explains the failures of a run: core's
 * `describeFailure` is the one classification.
 */
function syncCause(error: unknown): CliError {
  const cause = describeFailure(error, 'upload', 'syncing files with CFS');
  if (cause.code === 'INTERRUPTED') return interrupted(error);
  return new CliError(cause.message, {
    ...(cause.fix === undefined ? {} : { fix: cause.fix }),
    exitCode: cause.exitCode,
    code: cause.code,
    cause: error,
  });
}

/** A network failure that no Colonies class wraps: name the address, and the backend when one failed. */
function endpointUnreachable(error: unknown): CliError {
  const backend = chainFind(error, (link) => BackendError.isInstance(link)) as BackendError | undefined;
  const cause = describeFailure(error, 'follow', 'connecting');
  const where = cause.message.replace(/^Connecting failed: /, '');
  if (backend !== undefined) {
    return new CliError(`The ${textOf(backend.backend, 'executor')} backend ${where}`, {
      why: firstLine(backend.message),
      fix: backend.backend === 'k8s' ? 'Check KUBECONFIG (or the in-cluster service account) and that the API server is up.' : cause.fix,
      exitCode: CliExitCode.CONNECTION_LOST,
      code: 'CONNECTION_LOST',
      cause: error,
    });
  }
  return new CliError(where.charAt(0).toUpperCase() + where.slice(1), {
    ...(cause.fix === undefined ? {} : { fix: cause.fix }),
    exitCode: CliExitCode.CONNECTION_LOST,
    code: cause.code === 'S3_UNREACHABLE' ? 'S3_UNREACHABLE' : 'CONNECTION_LOST',
    cause: error,
  });
}

/** The first link of the cause chain that `test` accepts. */
function chainFind(error: unknown, test: (link: unknown) => boolean): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    if (test(current)) return current;
    current = errorField(current, 'cause');
  }
  return undefined;
}

function invalidS3Config(error: CfsError): CliError {
  return new CliError('The S3 configuration is invalid', {
    why: firstLine(error.message),
    fix: 'Fix the AWS_S3_* variables (`pollinator config` shows them).',
    exitCode: CliExitCode.CONFIG,
    code: 'CONFIG',
    cause: error,
  });
}

/** cfs-sync's configuration errors: a CfsError with the code `INVALID_CONFIG`. */
const CfsConfigError: ErrorClass<CfsError> = {
  isInstance: (value): value is CfsError => CfsError.isInstance(value) && value.code === 'INVALID_CONFIG',
};

/**
 * Every error the CLI can meet, most specific first; the first row that
 * matches explains it. Classes are matched with their `isInstance` (markers,
 * so a second installed copy of a package still matches), never by name.
 *
 * cfs-sync's and the AWS SDK's errors come before the network row: they are
 * explained by their cause (S3 unreachable names S3's endpoint, a Colonies
 * call inside a sync the Colonies server). A network failure anywhere else in
 * the cause chain is 75 and names the address it could not reach, ahead of
 * the classes that may wrap it (a backend's). Classes without a row of their
 * own (`ColoniesArgumentError`, core's staging errors, …) are bugs when they
 * reach the top: the last row.
 */
export const ERROR_TABLE: readonly ErrorRule[] = [
  classRule('CliError', CliError, (error) => error),
  classRule('ProjectConfigError', ProjectConfigError, invalidProject),
  classRule('ColoniesConfigError', ColoniesConfigError, invalidColonyConfig),
  classRule('ColoniesNetworkError', ColoniesNetworkError, connectionLost),
  classRule('ColoniesTimeoutError', ColoniesTimeoutError, connectionLost),
  classRule('CfsError INVALID_CONFIG', CfsConfigError, invalidS3Config),
  classRule('CfsError', CfsError, syncCause),
  shapeRule('an AWS SDK error', isAwsServiceError, syncCause),
  shapeRule('a network code in the cause chain', (error) => networkCode(error) !== undefined, endpointUnreachable),
  classRule('ColoniesError', ColoniesError, refused),
  classRule('BackendError', BackendError, backendFailed),
  shapeRule('an integer exitCode', hasExitCode, withOwnExitCode),
  classRule('ColoniesBadReplyError', ColoniesBadReplyError, notAColoniesServer),
  classRule('UnreadableProcessError', UnreadableProcessError, unreadableProcess),
  classRule('ColoniesReplyTooLargeError', ColoniesReplyTooLargeError, replyTooLarge),
  classRule('CryptoError', CryptoError, cryptoFailed),
  shapeRule('a file-system error', isFileSystemError, fileProblem),
  shapeRule('ERR_MODULE_NOT_FOUND', isModuleNotFound, installationIncomplete),
  classRule('ColoniesAbortError', ColoniesAbortError, interrupted),
  shapeRule('an AbortError', isAbortError, interrupted),
  shapeRule('anything else', () => true, unexpected),
];

/** The explanation of the first row of `ERROR_TABLE` that matches `error`. */
export function classifyError(error: unknown): CliError {
  const rule = ERROR_TABLE.find((candidate) => candidate.matches(error));
  return rule === undefined ? unexpected(error) : rule.explain(error);
}
