import { PollinatorError } from '@pollinator/errors';

/** Stable codes of the dashboard's refusals and failures (the `code` of `{error:{code,message}}`). */
export type DashboardErrorCode =
  | 'DASHBOARD_FOREIGN_HOST'
  | 'DASHBOARD_CROSS_SITE'
  | 'DASHBOARD_TOKEN_REQUIRED'
  | 'DASHBOARD_NOT_FOUND'
  | 'DASHBOARD_METHOD_NOT_ALLOWED'
  | 'DASHBOARD_BAD_REQUEST'
  | 'DASHBOARD_ALREADY_ENDED'
  | 'DASHBOARD_RERUN_REFUSED'
  | 'DASHBOARD_RERUN_FAILED'
  | 'DASHBOARD_NO_RESULTS'
  | 'DASHBOARD_COLONY_UNREACHABLE'
  | 'DASHBOARD_INTERNAL';

/** An error the API answers with `status` and `{error:{code,message}}`. */
export class DashboardError extends PollinatorError {
  readonly status: number;

  constructor(code: DashboardErrorCode, status: number, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'DashboardError';
    this.status = status;
  }
}

export function notFound(what: string): DashboardError {
  return new DashboardError('DASHBOARD_NOT_FOUND', 404, `${what} was not found`);
}

export function badRequest(message: string): DashboardError {
  return new DashboardError('DASHBOARD_BAD_REQUEST', 400, message);
}
