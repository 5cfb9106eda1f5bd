// Moved to @pollinator/backend/test with the hostile-job suite; re-exported so existing imports keep working.
export { filesContaining, hostileSpec, processesWithMarker, snapshotTree } from '@pollinator/backend/test';
