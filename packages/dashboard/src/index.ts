// The dashboard's server half: the HTTP API and the static SPA host (`pollinator ui`).
export { startDashboardServer, type DashboardServer, type DashboardServerOptions } from './dashboard-server';
export { DashboardError, type DashboardErrorCode } from './dashboard-errors';
// The JSON of the API (api-types.ts is also the page's).
export type * from './api-types';
