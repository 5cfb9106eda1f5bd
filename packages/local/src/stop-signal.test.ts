/**
 * The stop signal on the local backend with real processes: the supervisor
 * signals every process of the job `before` seconds ahead of the walltime,
 * then stops it at the walltime as before.
 */
import { testStopSignal } from '@pollinator/backend/test';
import { createLocalBackend } from './local-backend';
import { bwrapUsable } from './sandbox';

const bwrapMissing = !(await bwrapUsable());

const timing = { walltimeSeconds: 6, beforeSeconds: 4, timeoutMs: 30_000 };

testStopSignal('local, path rewriting', () => createLocalBackend({ mode: 'process', isolation: 'rewrite', stopGraceSeconds: 1, onWarning: () => undefined }), timing);

testStopSignal('local, bubblewrap', () => createLocalBackend({ mode: 'process', isolation: 'bwrap', stopGraceSeconds: 1 }), {
  ...timing,
  skip: bwrapMissing ? 'bwrap not installed' : false,
});
