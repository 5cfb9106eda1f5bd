// The backend contract lives in @pollinator/backend (the contracts layer that
// backends depend on without pulling in all of core). Core's own modules import
// it through here; index.ts picks what core's public API re-exports.
export * from '@pollinator/backend';
