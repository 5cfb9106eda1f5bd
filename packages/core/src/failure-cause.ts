import { CfsError } from '@pollinator/cfs-sync';
import {
  ColoniesAbortError,
  ColoniesBadReplyError,
  ColoniesClientError,
  ColoniesConfigError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesReplyTooLargeError,
  ColoniesTimeoutError,
  UnreadableProcessError,
} from '@pollinator/colonies-client';
import { ExitCode } from './exit-codes';
import { errorChain, field, fileErrno, isAborted, networkCodeOf, plainText } from './failure-shapes';

/** The step of a run a failure happened in. */
export type FailureStep = 'upload' | 'snapshot' | 'submit' | 'download' | 'follow';

/** A failure explained by its cause: a stable code, the exit code it leads to, and what to do. */
export interface FailureCause {
  /** Stable code (`SYNC_FAILED`, `NOT_A_MEMBER`, `SERVER_UNREACHABLE`, `S3_CREDENTIALS`, `LOCAL_FILE_UNREADABLE`, …). */
  code: string;
  exitCode: number;
  /** One sentence naming the thing that failed. */
  message: string;
  /** What to do about it, when there is something to do. */
  fix?: string;
}

type Classified = Omit<FailureCause, 'message'> & { detail: string };

const S3_CREDENTIALS_FIX = 'Check AWS_S3_ACCESSKEY and AWS_S3_SECRETKEY, and that this key may use the bucket in AWS_S3_BUCKET (`pollinator config` shows them masked).';
const S3_UNREACHABLE_FIX = 'Check that the S3 service is up and that AWS_S3_ENDPOINT and AWS_S3_TLS point at it (`pollinator config`), then run again.';

const FORBIDDEN_MESSAGE = /not (a )?member|access denied|forbidden|unauthori[sz]ed/i;

/** "uploading cfs/src" → "Uploading cfs/src". */
function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What the user can do after an interruption, by step: what is left where. */
function afterInterrupt(step: FailureStep): string {
  if (step === 'download') return 'the results are still in CFS: `pollinator pull` downloads them';
  if (step === 'follow') return 'the job keeps running: `pollinator status @last` shows it';
  return 'nothing was submitted; run the command again to continue';
}

function interrupted(step: FailureStep): Classified {
  return { code: 'INTERRUPTED', exitCode: ExitCode.CANCELLED, detail: 'interrupted', fix: capitalised(afterInterrupt(step)) };
}

function fromColonies(error: ColoniesClientError, step: FailureStep): Classified | undefined {
  if (ColoniesError.isInstance(error) && (error.status === 403 || error.status === 401 || FORBIDDEN_MESSAGE.test(error.serverMessage))) {
    return {
      code: 'NOT_A_MEMBER',
      exitCode: ExitCode.SUBMISSION_REJECTED,
      detail: `the Colonies server refused ${error.payloadtype || 'the request'} (HTTP ${error.status}: ${error.serverMessage || 'forbidden'})`,
      fix: 'The key in COLONIES_PRVKEY is not a member of COLONIES_COLONY_NAME: check both (`pollinator config`), or ask the colony owner to add the key (`colonies user add`).',
    };
  }
  if (ColoniesNetworkError.isInstance(error) || ColoniesTimeoutError.isInstance(error)) {
    return {
      code: 'SERVER_UNREACHABLE',
      exitCode: ExitCode.CONNECTION_LOST,
      detail: `cannot reach the Colonies server (${plainText(error)})`,
      fix: 'Check that the server is up and that COLONIES_SERVER_HOST, COLONIES_SERVER_PORT and COLONIES_TLS point at it (`pollinator config`), then run again.',
    };
  }
  if (ColoniesBadReplyError.isInstance(error) || ColoniesReplyTooLargeError.isInstance(error) || UnreadableProcessError.isInstance(error)) {
    return {
      code: 'BAD_REPLY',
      exitCode: ExitCode.PROTOCOL,
      detail: `the Colonies server's reply cannot be read (${plainText(error)})`,
      fix: 'Check that COLONIES_SERVER_HOST and COLONIES_SERVER_PORT point at a Colonies server and not at a proxy or another service; if they do, report the reply (run with -v).',
    };
  }
  if (ColoniesConfigError.isInstance(error)) {
    return { code: 'CONFIG', exitCode: ExitCode.CONFIG, detail: plainText(error), fix: 'Fix the COLONIES_* variables (`pollinator config` shows them).' };
  }
  if (ColoniesError.isInstance(error) && step !== 'submit') {
    return {
      code: 'SYNC_FAILED',
      exitCode: ExitCode.SYNC_FAILED,
      detail: `the Colonies server refused ${error.payloadtype || 'the request'} (HTTP ${error.status}: ${error.serverMessage})`,
      ...(error.retryable ? { fix: 'The server may be overloaded or restarting: run again in a moment.' } : {}),
    };
  }
  return undefined;
}

function fromCfs(error: CfsError, step: FailureStep): Classified | undefined {
  const text = plainText(error);
  // A string switch: the codes of newer cfs-sync versions are matched too.
  switch (error.code as string) {
    case 'S3_ACCESS_DENIED':
      return {
        code: 'S3_CREDENTIALS',
        exitCode: ExitCode.SUBMISSION_REJECTED,
        detail: text,
        fix: S3_CREDENTIALS_FIX,
      };
    case 'S3_UNREACHABLE':
      return {
        code: 'S3_UNREACHABLE',
        exitCode: ExitCode.CONNECTION_LOST,
        detail: text,
        fix: S3_UNREACHABLE_FIX,
      };
    case 'LOCAL_FILE_UNREADABLE':
      return { code: 'LOCAL_FILE_UNREADABLE', exitCode: ExitCode.NO_INPUT, detail: text };
    case 'REMOTE_CHANGED':
      return {
        code: 'REMOTE_CHANGED',
        exitCode: ExitCode.REMOTE_CHANGED,
        detail: text,
        fix: '`pollinator pull --inputs` takes the remote versions; `pollinator run --force` uploads yours over them.',
      };
    case 'INVALID_CONFIG':
      return { code: 'CONFIG', exitCode: ExitCode.CONFIG, detail: text, fix: 'Fix the AWS_S3_* variables (`pollinator config` shows them).' };
    case 'FILE_CHANGED':
      return { code: 'FILE_CHANGED', exitCode: ExitCode.SYNC_FAILED, detail: text, fix: 'Wait until the file is no longer being written, then run again.' };
    case 'CHECKSUM_MISMATCH':
    case 'BLOB_NOT_FOUND':
      return {
        code: 'REMOTE_DAMAGED',
        exitCode: ExitCode.SYNC_FAILED,
        detail: text,
        fix:
          step === 'download'
            ? 'The file in CFS is damaged or its content is missing from the blob store; running again will not help: upload the file again from a copy that has it.'
            : 'The blob store does not hold what CFS records; upload the file again from a copy that has it.',
      };
    case 'SYMLINK_REFUSED':
      return {
        code: 'SYMLINK_REFUSED',
        exitCode: ExitCode.SYNC_FAILED,
        detail: text,
        fix: 'Replace the link with the file, or set `sync.symlinks` in project.yaml (docs/project-yaml.md) to follow links that stay inside the project.',
      };
    case 'UNSAFE_PATH':
      return {
        code: 'UNSAFE_PATH',
        exitCode: ExitCode.SYNC_FAILED,
        detail: text,
        fix: 'Nothing was written outside the directory. The name comes from a CFS record; running again will not help: remove or rename that file in CFS.',
      };
    case 'CONFLICT_REFUSED':
      return { code: 'CONFLICT_REFUSED', exitCode: ExitCode.SYNC_FAILED, detail: text };
    default:
      return undefined;
  }
}

/** An AWS SDK error passed through unwrapped: a 401/403 is S3 refusing the credentials. */
function fromS3Status(error: unknown): Classified | undefined {
  const status = (field(error, '$metadata') as { httpStatusCode?: unknown } | undefined)?.httpStatusCode;
  if (status !== 401 && status !== 403) return undefined;
  const name = field(error, 'name');
  const s3Code = typeof name === 'string' && name !== 'Unknown' && name !== 'Error' ? ` ${name}` : '';
  return { code: 'S3_CREDENTIALS', exitCode: ExitCode.SUBMISSION_REJECTED, detail: `S3 refused the credentials (HTTP ${status}${s3Code})`, fix: S3_CREDENTIALS_FIX };
}

/** A Node.js file-system error: which file, and what it means. */
function fromFileSystem(errno: NodeJS.ErrnoException, step: FailureStep): Classified {
  const path = errno.path ?? 'a file';
  if (errno.code === 'ENOSPC' || errno.code === 'EDQUOT') {
    return { code: 'DISK_FULL', exitCode: ExitCode.SYNC_FAILED, detail: `no space left to write ${path} (${errno.code})`, fix: 'Free some space on that disk, then run again.' };
  }
  const writing = step === 'download' || /write|mkdir|rename|open.*w/i.test(errno.syscall ?? '');
  if (writing) {
    return {
      code: 'LOCAL_WRITE_FAILED',
      exitCode: ExitCode.SYNC_FAILED,
      detail: `cannot write ${path} (${errno.code})`,
      fix: `Make the directory writable (or move what is in the way of ${path}), then run again.`,
    };
  }
  return {
    code: 'LOCAL_FILE_UNREADABLE',
    exitCode: ExitCode.NO_INPUT,
    detail: `cannot read ${path} (${errno.code})`,
    fix: `Make it readable (chmod u+r ${path}) or leave it out of the sync with a .pollinatorignore rule.`,
  };
}

/** An unreachable endpoint the chain does not name as Colonies or S3: the address it tried. */
function unreachable(error: unknown, code: string): Classified {
  const address = field(error, 'address');
  const port = field(error, 'port');
  const hostname = field(error, 'hostname');
  // Node's own message names the address too (`connect ECONNREFUSED 127.0.0.1:50080`, `getaddrinfo ENOTFOUND host`).
  const named = /\b(?:connect|getaddrinfo|read|write) [A-Z_]+ (\S+)/.exec(plainText(error))?.[1];
  const where =
    typeof address === 'string' ? `${address}${typeof port === 'number' ? `:${port}` : ''}` : typeof hostname === 'string' ? hostname : (named ?? 'a server');
  // The AWS SDK's network errors carry its request metadata: the endpoint is S3's.
  if (typeof field(error, '$metadata') === 'object') {
    return {
      code: 'S3_UNREACHABLE',
      exitCode: ExitCode.CONNECTION_LOST,
      detail: `cannot reach S3 at ${where} (${code})`,
      fix: S3_UNREACHABLE_FIX,
    };
  }
  return { code: 'UNREACHABLE', exitCode: ExitCode.CONNECTION_LOST, detail: `cannot reach ${where} (${code})`, fix: 'Check that it is up and reachable from here, then run again.' };
}

/** The step's generic failure, for causes nothing above recognises. */
function byStep(error: unknown, step: FailureStep): Classified {
  const detail = plainText(error);
  const retryable = field(error, 'retryable') === true || field(error, '$retryable') !== undefined;
  const fix = retryable ? 'This may be temporary: run again in a moment.' : 'Run again with -v to see the whole error.';
  if (step === 'submit') return { code: 'SUBMISSION_REJECTED', exitCode: ExitCode.SUBMISSION_REJECTED, detail, fix };
  if (step === 'follow') return { code: 'CONNECTION_LOST', exitCode: ExitCode.CONNECTION_LOST, detail, fix };
  return { code: 'SYNC_FAILED', exitCode: ExitCode.SYNC_FAILED, detail, fix };
}

function classify(error: unknown, step: FailureStep): Classified {
  if (isAborted(error)) return interrupted(step);
  for (const link of errorChain(error)) {
    if (ColoniesAbortError.isInstance(link)) return interrupted(step);
    if (CfsError.isInstance(link)) {
      const cause = fromCfs(link, step);
      if (cause !== undefined) return cause;
    }
    if (ColoniesClientError.isInstance(link)) {
      const cause = fromColonies(link, step);
      if (cause !== undefined) return cause;
    }
    const refusedByS3 = fromS3Status(link);
    if (refusedByS3 !== undefined) return refusedByS3;
    const errno = fileErrno(link);
    if (errno !== undefined) return fromFileSystem(errno, step);
  }
  const network = networkCodeOf(error);
  if (network !== undefined) return unreachable(network.error, network.code);
  return byStep(error, step);
}

/**
 * Classifies an error by its cause rather than by the step it happened in:
 * a Colonies 403 during an upload is "not a member" (77), an unreachable
 * server 75, refused S3 credentials 77, an unreadable local file 66, an
 * interruption 130; what nothing recognises is the step's own code (74 for
 * the sync steps). `what` is what was being done, as a phrase ("uploading
 * cfs/src"); the message starts with it. The fix is omitted where running
 * again is all there is to do and would not help.
 */
export function describeFailure(error: unknown, step: FailureStep, what: string): FailureCause {
  const { detail, ...cause } = classify(error, step);
  const message = cause.code === 'INTERRUPTED' ? `${capitalised(what)} was interrupted` : `${capitalised(what)} failed: ${detail}`;
  return cause.fix === undefined ? { code: cause.code, exitCode: cause.exitCode, message } : { ...cause, message };
}
