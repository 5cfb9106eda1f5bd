import { BlobNotFoundError, CfsError, ChecksumMismatchError, S3AccessDeniedError, S3UnreachableError, UnsafePathError } from '@pollinator/cfs-sync';
import {
  ColoniesAbortError,
  ColoniesArgumentError,
  ColoniesBadReplyError,
  ColoniesConfigError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesReplyTooLargeError,
  ColoniesTimeoutError,
  UnreadableProcessError,
} from '@pollinator/colonies-client';
import { BackendError } from '@pollinator/core';
import { CryptoError } from '@pollinator/crypto';
import { ProjectConfigError, ProjectFilesExistError, type ProjectIssue } from '@pollinator/spec-builder';
import { describe, expect, it } from 'vitest';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { classifyError, ERROR_TABLE } from './error-table';
import { explainError } from './explain-error';

function issue(fields: Partial<ProjectIssue> & Pick<ProjectIssue, 'code' | 'message'>): ProjectIssue {
  return { file: 'project.yaml', line: 4, column: 8, path: 'conditions.cpu', ...fields };
}

function rpcError(status: number, serverMessage: string): ColoniesError {
  return new ColoniesError({ status, httpStatus: status, serverMessage, payloadtype: 'submitfuncspecmsg', envelope: true });
}

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:50080'), { code: 'ECONNREFUSED' });

interface Case {
  what: string;
  error: unknown;
  /** The row of ERROR_TABLE that must take it. */
  row: string;
  exitCode: number;
  code: string;
  headline: string | RegExp;
  why?: string | RegExp;
  fix?: RegExp;
  details?: string[];
}

const CASES: Case[] = [
  { what: 'a CliError, as it is', error: usageError('Bad flag'), row: 'CliError', exitCode: CliExitCode.USAGE, code: 'USAGE', headline: 'Bad flag' },
  {
    what: 'no project.yaml',
    error: new ProjectConfigError([issue({ path: '', code: 'missing_file', message: 'no project.yaml in /w' })]),
    row: 'ProjectConfigError',
    exitCode: CliExitCode.INVALID_PROJECT,
    code: 'INVALID_PROJECT',
    headline: 'No project here',
    why: 'no project.yaml in /w',
  },
  {
    what: 'a missing environment.source is a problem of project.yaml, not "no project here"',
    error: new ProjectConfigError([issue({ line: 30, column: 11, path: 'environment.source', code: 'missing_file', message: 'cfs/src/mian.py does not exist' })]),
    row: 'ProjectConfigError',
    exitCode: CliExitCode.INVALID_PROJECT,
    code: 'INVALID_PROJECT',
    headline: 'project.yaml is invalid (1 problem)',
    details: ['project.yaml:30:11 environment.source: cfs/src/mian.py does not exist'],
  },
  {
    what: 'an invalid project.yaml, every issue with the spec-builder formatter',
    error: new ProjectConfigError([
      issue({ code: 'invalid_value', message: 'must be a number', found: '"two"', allowed: '0.1–100000' }),
      issue({ line: 9, column: 1, path: 'condtions', code: 'unknown_key', message: 'unknown key', suggestion: 'conditions' }),
    ]),
    row: 'ProjectConfigError',
    exitCode: CliExitCode.INVALID_PROJECT,
    code: 'INVALID_PROJECT',
    headline: 'project.yaml is invalid (2 problems)',
    details: [
      'project.yaml:4:8 conditions.cpu: must be a number; found "two"; allowed: 0.1–100000',
      'project.yaml:9:1 condtions: unknown key (did you mean "conditions"?)',
    ],
  },
  {
    what: 'an invalid colony configuration',
    error: new ColoniesConfigError('COLONIES_SERVER_PORT', 'COLONIES_SERVER_PORT must be a port number'),
    row: 'ColoniesConfigError',
    exitCode: CliExitCode.CONFIG,
    code: 'CONFIG',
    headline: 'The colony configuration is invalid',
    why: 'COLONIES_SERVER_PORT must be a port number',
  },
  {
    what: 'the client cannot connect (the Node.js code is named)',
    error: new ColoniesNetworkError('getprocessmsg', 'connect ECONNREFUSED', false, refused),
    row: 'ColoniesNetworkError',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'CONNECTION_LOST',
    headline: 'Cannot reach the Colonies server',
    why: /\(ECONNREFUSED\)$/,
  },
  {
    what: 'no reply in time',
    error: new ColoniesTimeoutError('getprocessmsg', 5000),
    row: 'ColoniesTimeoutError',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'CONNECTION_LOST',
    headline: 'Cannot reach the Colonies server',
    why: 'getprocessmsg: no reply within 5000 ms',
  },
  {
    what: 'a backend error over a network failure keeps the connection exit code and names the address, not the Colonies server',
    error: new BackendError('k8s', 'cannot reach the API server', { cause: refused }),
    row: 'a network code in the cause chain',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'CONNECTION_LOST',
    headline: 'The k8s backend cannot reach 127.0.0.1:50080 (ECONNREFUSED)',
    fix: /KUBECONFIG/,
  },
  {
    what: 'a network failure of no known client names the address it could not reach',
    error: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6443'), { code: 'ECONNREFUSED', address: '10.0.0.7', port: 6443 }),
    row: 'a network code in the cause chain',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'CONNECTION_LOST',
    headline: 'Cannot reach 10.0.0.7:6443 (ECONNREFUSED)',
  },
  {
    what: "the AWS SDK's network failure is S3's endpoint",
    error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7480'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 7480, $metadata: { attempts: 3 } }),
    row: 'an AWS SDK error',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'S3_UNREACHABLE',
    headline: 'Syncing files with CFS failed: cannot reach S3 at 127.0.0.1:7480 (ECONNREFUSED)',
    fix: /AWS_S3_ENDPOINT/,
  },
  {
    what: 'S3 refusing the credentials (cfs-sync names endpoint and bucket)',
    error: new S3AccessDeniedError({ endpoint: '127.0.0.1:7480', bucket: 'b' }, 403, undefined),
    row: 'CfsError',
    exitCode: CliExitCode.SUBMISSION_REJECTED,
    code: 'S3_CREDENTIALS',
    headline: 'Syncing files with CFS failed: S3 at 127.0.0.1:7480 refused the credentials for bucket b (HTTP 403)',
    fix: /AWS_S3_SECRETKEY/,
  },
  {
    what: 'S3 unreachable (cfs-sync names the endpoint)',
    error: new S3UnreachableError({ endpoint: '127.0.0.1:1', bucket: 'b' }, 'ECONNREFUSED'),
    row: 'CfsError',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'S3_UNREACHABLE',
    headline: 'Syncing files with CFS failed: cannot reach S3 at 127.0.0.1:1 (bucket b): ECONNREFUSED',
  },
  {
    what: 'a Colonies 403 inside a sync is about membership, not S3',
    error: new CfsError('SYNC_FAILED', 'listing failed', { cause: rpcError(403, 'Access denied, not member of colony') }),
    row: 'CfsError',
    exitCode: CliExitCode.SUBMISSION_REJECTED,
    code: 'NOT_A_MEMBER',
    headline: /^Syncing files with CFS failed: the Colonies server refused/,
    fix: /not a member of COLONIES_COLONY_NAME/,
  },
  {
    what: 'an interrupted sync is an interruption',
    error: new CfsError('ABORTED', 'sync aborted: Interrupted by SIGINT'),
    row: 'CfsError',
    exitCode: CliExitCode.CANCELLED,
    code: 'INTERRUPTED',
    headline: 'Interrupted',
  },
  {
    what: 'a file that cannot be read',
    error: Object.assign(new Error("EACCES: permission denied, open '/w/cfs/src/a'"), { code: 'EACCES', syscall: 'open', path: '/w/cfs/src/a' }),
    row: 'a file-system error',
    exitCode: CliExitCode.NO_INPUT,
    code: 'LOCAL_FILE_UNREADABLE',
    headline: 'Cannot read /w/cfs/src/a',
    fix: /chmod u\+r/,
  },
  {
    what: 'a file that cannot be written',
    error: Object.assign(new Error("EACCES: permission denied, mkdir '/w/x'"), { code: 'EACCES', syscall: 'mkdir', path: '/w/x' }),
    row: 'a file-system error',
    exitCode: CliExitCode.SYNC_FAILED,
    code: 'LOCAL_WRITE_FAILED',
    headline: 'Cannot write /w/x',
  },
  {
    what: 'the server refuses a non-member',
    error: rpcError(403, 'not a member of colony dev'),
    row: 'ColoniesError',
    exitCode: CliExitCode.SUBMISSION_REJECTED,
    code: 'COLONIES_ERROR',
    headline: 'The Colonies server refused the request',
    why: /\(HTTP 403\)$/,
    fix: /COLONIES_PRVKEY belongs to a member/,
  },
  {
    what: 'the server refuses for another reason',
    error: rpcError(400, 'bad funcspec'),
    row: 'ColoniesError',
    exitCode: CliExitCode.SUBMISSION_REJECTED,
    code: 'COLONIES_ERROR',
    headline: 'The Colonies server refused the request',
    fix: /-v for the full exchange/,
  },
  {
    what: 'a backend fails',
    error: new BackendError('slurm', '[pollinator] [slurm] sbatch: invalid partition'),
    row: 'BackendError',
    exitCode: CliExitCode.EXECUTOR_LOST,
    code: 'BACKEND_ERROR',
    headline: 'The slurm backend failed',
    why: 'sbatch: invalid partition',
  },
  {
    what: 'an error naming its own exit code',
    error: Object.assign(new Error('[pollinator] [core] time limit'), { exitCode: 124, code: 'TIME_LIMIT' }),
    row: 'an integer exitCode',
    exitCode: 124,
    code: 'TIME_LIMIT',
    headline: 'time limit',
  },
  {
    what: 'something that is not a Colonies server answers',
    error: new ColoniesBadReplyError('getprocessmsg', 200, 'not JSON'),
    row: 'ColoniesBadReplyError',
    exitCode: CliExitCode.PROTOCOL,
    code: 'BAD_REPLY',
    headline: 'The server did not answer like a Colonies server',
  },
  {
    what: 'a process the client cannot decode names it and how to remove it',
    error: new UnreadableProcessError({ payloadtype: 'getprocessmsg', reason: 'nested too deep', processId: 'a'.repeat(64) }),
    row: 'UnreadableProcessError',
    exitCode: CliExitCode.PROTOCOL,
    code: 'PROCESS_UNREADABLE',
    headline: `Process ${'a'.repeat(64)} sent by the Colonies server cannot be read`,
    why: 'nested too deep',
    fix: /pollinator cancel a{64}/,
  },
  {
    what: 'a reply over the size limit',
    error: new ColoniesReplyTooLargeError('getlogsmsg', 1024),
    row: 'ColoniesReplyTooLargeError',
    exitCode: CliExitCode.PROTOCOL,
    code: 'REPLY_TOO_LARGE',
    headline: "The Colonies server's reply is too large to read",
    why: /getlogsmsg is larger than 1024 bytes/,
  },
  {
    what: 'a malformed key',
    error: new CryptoError('CRYPTO_INVALID_HEX', 'private key must be a string of hex digits'),
    row: 'CryptoError',
    exitCode: CliExitCode.CONFIG,
    code: 'CONFIG',
    headline: 'A private key is not valid',
    fix: /COLONIES_PRVKEY/,
  },
  {
    what: 'a signature that cannot be checked',
    error: new CryptoError('CRYPTO_RECOVERY_FAILED', 'no public key can be recovered'),
    row: 'CryptoError',
    exitCode: CliExitCode.PROTOCOL,
    code: 'BAD_SIGNATURE',
    headline: 'A signature from the Colonies server cannot be checked',
  },
  {
    what: 'an invalid S3 configuration',
    error: new CfsError('INVALID_CONFIG', 'AWS_S3_ENDPOINT must look like host:port'),
    row: 'CfsError INVALID_CONFIG',
    exitCode: CliExitCode.CONFIG,
    code: 'CONFIG',
    headline: 'The S3 configuration is invalid',
    why: 'AWS_S3_ENDPOINT must look like host:port',
  },
  ...(
    [
      [new UnsafePathError('../x', 'it leaves the directory'), 'UNSAFE_PATH'],
      [new ChecksumMismatchError('a.txt', 'aa', 'bb'), 'REMOTE_DAMAGED'],
      [new BlobNotFoundError('k', 'S3 (b)'), 'REMOTE_DAMAGED'],
      [new CfsError('SYNC_FAILED', 'upload failed'), 'SYNC_FAILED'],
    ] as const
  ).map(
    ([error, code]): Case => ({
      what: `cfs-sync's ${error.name}`,
      error,
      row: 'CfsError',
      exitCode: CliExitCode.SYNC_FAILED,
      code,
      headline: /^Syncing files with CFS failed: /,
      fix: /^(?!.*try again)/,
    }),
  ),
  {
    what: 'an S3 refusal passed through by cfs-sync',
    error: Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    row: 'an AWS SDK error',
    exitCode: CliExitCode.SUBMISSION_REJECTED,
    code: 'S3_CREDENTIALS',
    headline: 'Syncing files with CFS failed: S3 refused the credentials (HTTP 403 AccessDenied)',
  },
  {
    what: 'a missing package',
    error: Object.assign(new Error("Cannot find package '@pollinator/slurm'"), { code: 'ERR_MODULE_NOT_FOUND' }),
    row: 'ERR_MODULE_NOT_FOUND',
    exitCode: CliExitCode.INTERNAL,
    code: 'INSTALLATION',
    headline: "pollinator's installation is incomplete",
  },
  {
    what: "the client's abort",
    error: new ColoniesAbortError('assign'),
    row: 'ColoniesAbortError',
    exitCode: CliExitCode.CANCELLED,
    code: 'INTERRUPTED',
    headline: 'Interrupted',
  },
  {
    what: "the platform's AbortError",
    error: new DOMException('This operation was aborted', 'AbortError'),
    row: 'an AbortError',
    exitCode: CliExitCode.CANCELLED,
    code: 'INTERRUPTED',
    headline: 'Interrupted',
  },
  ...[
    new ColoniesArgumentError('maxexectime must be positive'),
    new ProjectFilesExistError('/w', ['project.yaml']),
    new TypeError('x is not a function'),
  ].map(
    (error): Case => ({ what: `a bug: ${error.name}`, error, row: 'anything else', exitCode: CliExitCode.INTERNAL, code: 'INTERNAL', headline: 'Unexpected error' }),
  ),
  { what: 'a thrown string', error: 'boom', row: 'anything else', exitCode: CliExitCode.INTERNAL, code: 'INTERNAL', headline: 'Unexpected error', why: 'boom' },
];

describe('ERROR_TABLE', () => {
  it.each(CASES.map((entry) => [entry.what, entry] as const))('%s', (_what, entry) => {
    expect(ERROR_TABLE.find((rule) => rule.matches(entry.error))?.name).toBe(entry.row);
    const explained = classifyError(entry.error);
    expect(CliError.isInstance(explained)).toBe(true);
    expect(explained.exitCode).toBe(entry.exitCode);
    expect(explained.code).toBe(entry.code);
    if (typeof entry.headline === 'string') expect(explained.message).toBe(entry.headline);
    else expect(explained.message).toMatch(entry.headline);
    if (entry.why !== undefined) {
      if (typeof entry.why === 'string') expect(explained.why).toBe(entry.why);
      else expect(explained.why).toMatch(entry.why);
    }
    if (entry.fix !== undefined) expect(explained.fix ?? '').toMatch(entry.fix);
    if (entry.details !== undefined) expect(explained.details).toEqual(entry.details);
    if (!CliError.isInstance(entry.error)) expect(explained.cause).toBe(entry.error);
  });

  it('has a case for every row', () => {
    const covered = new Set(CASES.map((entry) => entry.row));
    expect(ERROR_TABLE.map((rule) => rule.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  it('matches an error of another copy of a package by its marker, not its class object', () => {
    // What a second installed copy of colonies-client throws: same marker, other class.
    const copy = Object.assign(new Error('COLONIES_SERVER_HOST is missing'), {
      [Symbol.for('pollinator.error.ColoniesConfigError')]: true,
      issues: [{ variable: 'COLONIES_SERVER_HOST', message: 'COLONIES_SERVER_HOST is missing' }],
    });
    expect(classifyError(copy).exitCode).toBe(CliExitCode.CONFIG);
  });

  it('never matches on a name alone', () => {
    const lookAlike = Object.assign(new Error('refused'), { name: 'ColoniesError', status: 403 });
    expect(classifyError(lookAlike).code).toBe('INTERNAL');
    const syncNamed = Object.assign(new Error('x'), { name: 'UploadError' });
    expect(classifyError(syncNamed).code).toBe('INTERNAL');
  });
});

describe('explainError', () => {
  it('returns a CliError as it is and explains anything else with the table', async () => {
    const usage = usageError('Bad flag');
    await expect(explainError(usage)).resolves.toBe(usage);
    const explained = await explainError(new BackendError('local', 'no such image'));
    expect(explained.exitCode).toBe(CliExitCode.EXECUTOR_LOST);
  });
});
