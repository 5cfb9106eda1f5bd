export { createLocalBackend } from './local-backend';
export { type LocalBackendOptions } from './local-options';
export { localBackendProvider, localOptionsFromEnv } from './local-provider';
// Kept for @pollinator/cli's test/embedded-isolation.test.ts (it skips without a usable bubblewrap).
export { bwrapUsable } from './sandbox';
