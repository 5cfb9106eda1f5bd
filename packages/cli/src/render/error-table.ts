import { CfsError } from '@pollinator/cfs-sync';
import {
  ColoniesAbortError,
  ColoniesBadReplyError,
  ColoniesConfigError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesTimeoutError,
} from '@pollinator/colonies-client';
import { BackendError } from '@pollinator/core';
import { formatProjectIssueWithSuggestion, ProjectConfigError } from '@pollinator/spec-builder';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import {
  connectionLost,
  firstLine,
  hasExitCode,
  installationIncomplete,
  interrupted,
  isAbortError,
  isAwsServiceError,
  isModuleNotFound,
  networkCode,
  syncFailed,
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
  if (only?.code === 'missing_file') {
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
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'CONNECTION_LOST',
    cause: error,
  });
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
 * One ordering is kept from before the table for the exit codes' sake: a
 * network failure anywhere in the cause chain is "cannot reach the server"
 * (75) ahead of the classes that may wrap it (a backend's, cfs-sync's).
 * Classes without a row of their own (`UnreadableProcessError`,
 * `ColoniesArgumentError`, `ColoniesReplyTooLargeError`, `CryptoError`,
 * core's staging errors, …) are bugs when they reach the top: the last row.
 */
export const ERROR_TABLE: readonly ErrorRule[] = [
  classRule('CliError', CliError, (error) => error),
  classRule('ProjectConfigError', ProjectConfigError, invalidProject),
  classRule('ColoniesConfigError', ColoniesConfigError, invalidColonyConfig),
  classRule('ColoniesNetworkError', ColoniesNetworkError, connectionLost),
  classRule('ColoniesTimeoutError', ColoniesTimeoutError, connectionLost),
  shapeRule('a network code in the cause chain', (error) => networkCode(error) !== undefined, connectionLost),
  classRule('ColoniesError', ColoniesError, refused),
  classRule('BackendError', BackendError, backendFailed),
  shapeRule('an integer exitCode', hasExitCode, withOwnExitCode),
  classRule('ColoniesBadReplyError', ColoniesBadReplyError, notAColoniesServer),
  classRule('CfsError INVALID_CONFIG', CfsConfigError, invalidS3Config),
  classRule('CfsError', CfsError, syncFailed),
  shapeRule('an AWS SDK service error', isAwsServiceError, syncFailed),
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
