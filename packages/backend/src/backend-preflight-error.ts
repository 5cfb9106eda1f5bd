import { defineErrorMarker } from '@pollinator/errors';
import { BackendError } from './backend-error';

const MARKER = defineErrorMarker<BackendPreflightError>('BackendPreflightError');

/**
 * Thrown by `Backend.preflight()`: this backend cannot run any job here (no
 * cluster configured, a command missing, a daemon unreachable). `message` is
 * the reason; `fix` says what to do about it. The executor exits 78 (a
 * configuration error) before it registers, so no job is ever assigned to an
 * executor that would fail it.
 */
export class BackendPreflightError extends BackendError {
  /** One line: what the operator does about it ("Set KUBECONFIG to …"). */
  readonly fix: string;

  constructor(backend: string, reason: string, fix: string, options?: { cause?: unknown }) {
    super(backend, reason, options);
    this.name = 'BackendPreflightError';
    this.fix = fix;
    MARKER.mark(this);
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static override isInstance(value: unknown): value is BackendPreflightError {
    return MARKER.isMarked(value);
  }
}
