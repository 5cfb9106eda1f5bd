import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const MARKER = defineErrorMarker<BackendError>('BackendError');

/** The stable code of every `BackendError`. */
export const BACKEND_ERROR_CODE = 'BACKEND_FAILED';

/**
 * Thrown by a `Backend` when the platform refuses or cannot run a job
 * (unknown image, bad partition, submission refused, …). `message` is one line
 * for humans; the runtime reports it as the process's error.
 */
export class BackendError extends PollinatorError {
  /** Name of the backend that threw (`local`, `slurm`, `k8s`). */
  readonly backend: string;

  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super(BACKEND_ERROR_CODE, message, { details: { backend }, cause: options?.cause });
    this.name = 'BackendError';
    this.backend = backend;
    MARKER.mark(this);
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static override isInstance(value: unknown): value is BackendError {
    return MARKER.isMarked(value);
  }
}
