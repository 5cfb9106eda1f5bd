const marker = Symbol.for('pollinator.error.BackendError');

/**
 * Thrown by a `Backend` when the platform refuses or cannot run a job
 * (unknown image, bad partition, submission refused, …). `message` is one line
 * for humans; the runtime reports it as the process's error.
 */
export class BackendError extends Error {
  readonly [marker] = true;
  /** Name of the backend that threw (`local`, `slurm`, `k8s`). */
  readonly backend: string;

  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendError';
    this.backend = backend;
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static isInstance(value: unknown): value is BackendError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
