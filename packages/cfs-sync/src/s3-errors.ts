import { defineErrorMarker } from '@pollinator/errors';
import { CfsError } from './errors';
import { errorName, httpStatus } from './s3-sdk';

const S3_ACCESS_DENIED = defineErrorMarker<S3AccessDeniedError>('S3AccessDeniedError');
const S3_UNREACHABLE = defineErrorMarker<S3UnreachableError>('S3UnreachableError');

/** Where an S3 request went: what the errors name so the user knows which settings to check. */
export interface S3Place {
  /** `host:port` of the endpoint. */
  endpoint: string;
  bucket: string;
}

/**
 * S3 refused the credentials (HTTP 401/403). A HEAD request's refusal has no
 * body, so the SDK can only say `UnknownError`; this names the endpoint and
 * bucket instead. Never retryable: the same key will be refused again.
 */
export class S3AccessDeniedError extends CfsError {
  readonly endpoint: string;
  readonly bucket: string;
  /** HTTP status of the refusal. */
  readonly status: number;
  /** S3's error code when the reply had one (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, `AccessDenied`). */
  readonly s3Code: string | undefined;
  /** The SDK's request metadata (HTTP status, request id), as on the SDK's own errors. */
  readonly $metadata: { httpStatusCode?: number; requestId?: string } | undefined;

  constructor(place: S3Place, status: number, s3Code: string | undefined, cause?: unknown) {
    super(
      'S3_ACCESS_DENIED',
      `S3 at ${place.endpoint} refused the credentials for bucket ${place.bucket} (HTTP ${status}${s3Code === undefined ? '' : ` ${s3Code}`})`,
      { cause },
    );
    this.name = 'S3AccessDeniedError';
    this.endpoint = place.endpoint;
    this.bucket = place.bucket;
    this.status = status;
    this.s3Code = s3Code;
    this.$metadata = (cause as { $metadata?: S3AccessDeniedError['$metadata'] } | undefined)?.$metadata;
    S3_ACCESS_DENIED.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is S3AccessDeniedError {
    return S3_ACCESS_DENIED.isMarked(value);
  }
}

/** The S3 endpoint did not answer (connection refused, DNS, timeout) after the SDK's retries. */
export class S3UnreachableError extends CfsError {
  readonly endpoint: string;
  readonly bucket: string;
  /** The Node.js network code (`ECONNREFUSED`, `ENOTFOUND`, …). */
  readonly networkCode: string;

  constructor(place: S3Place, networkCode: string, cause?: unknown) {
    super('S3_UNREACHABLE', `cannot reach S3 at ${place.endpoint} (bucket ${place.bucket}): ${networkCode}`, { cause });
    this.name = 'S3UnreachableError';
    this.endpoint = place.endpoint;
    this.bucket = place.bucket;
    this.networkCode = networkCode;
    S3_UNREACHABLE.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is S3UnreachableError {
    return S3_UNREACHABLE.isMarked(value);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** S3 error names that mean "these credentials are wrong", whatever the status. */
const CREDENTIAL_NAMES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken']);

/**
 * The error to throw for an SDK failure: credentials refused and endpoint
 * unreachable become errors that say so (with endpoint and bucket); anything
 * else is returned as it is.
 */
export function translateS3Error(error: unknown, place: S3Place): unknown {
  if (CfsError.isInstance(error)) return error;
  const status = httpStatus(error);
  const name = errorName(error);
  if (status === 401 || status === 403 || CREDENTIAL_NAMES.has(name)) {
    // A body-less refusal (a HEAD) is named after its status only: "HTTP 403 Forbidden" would say nothing more.
    const s3Code = name === '' || name === 'Unknown' || name === 'Error' || name === 'Forbidden' || name === 'Unauthorized' ? undefined : name;
    return new S3AccessDeniedError(place, status ?? 403, s3Code, error);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return new S3UnreachableError(place, code, error);
  return error;
}
