// The dashboard's server half: the HTTP API and the static SPA host (`pollinator ui`).
export { startDashboardServer, type DashboardServer, type DashboardServerOptions } from './dashboard-server';
export { DashboardError, type DashboardErrorCode } from './dashboard-errors';
export type { RunSummary, RunsListing, TimelineStep } from './runs-api';
export type { LogEntry, LogPage } from './logs-api';
export type { ResultFile, RunResults } from './results-api';
export type { ExecutorView, FilesOverview, LabelFiles } from './colony-api';
