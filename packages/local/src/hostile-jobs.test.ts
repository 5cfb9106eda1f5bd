/**
 * The hostile-job suite (issue #13) on the local backend as a plain process:
 * with bubblewrap the job sees only its own mounts, read-only host paths and
 * none of the protected paths; with path rewriting it sees everything the
 * executor's user can (the backend says so, see REWRITE_MODE_WARNING), and
 * the suite checks that the executor itself never follows, uploads or writes
 * through what the job made, and that a cancel leaves no child running.
 */
import { testHostileJobs } from '@pollinator/backend/test';
import { createLocalBackend } from './local-backend';
import { bwrapUsable } from './sandbox';

const bwrapMissing = !(await bwrapUsable());
if (bwrapMissing && process.env.POLLINATOR_REQUIRE_SERVICES === '1') {
  throw new Error('bubblewrap (bwrap) is required with POLLINATOR_REQUIRE_SERVICES=1: apt-get install bubblewrap');
}

testHostileJobs('local, bubblewrap', () => createLocalBackend({ mode: 'process', isolation: 'bwrap', stopGraceSeconds: 2 }), {
  isolatesFilesystem: true,
  skip: bwrapMissing ? 'bwrap not installed' : false,
});

testHostileJobs(
  'local, path rewriting',
  () => createLocalBackend({ mode: 'process', isolation: 'rewrite', stopGraceSeconds: 2, onWarning: () => undefined }),
  { isolatesFilesystem: false },
);
