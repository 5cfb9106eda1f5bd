import { bwrapUsable } from './sandbox';
import { createLocalBackend } from './local-backend';
import { testBackend } from '@pollinator/backend/test';

const requireServices = process.env.POLLINATOR_REQUIRE_SERVICES === '1';
const bwrapMissing = !(await bwrapUsable());
if (bwrapMissing && requireServices) {
  throw new Error('bubblewrap (bwrap) is required with POLLINATOR_REQUIRE_SERVICES=1: apt-get install bubblewrap');
}

testBackend('local, plain process, path rewriting', () => createLocalBackend({ mode: 'process', isolation: 'rewrite', stopGraceSeconds: 2 }), {
  containers: false,
  rewritesMountPaths: true,
});

testBackend('local, plain process, bubblewrap', () => createLocalBackend({ mode: 'process', isolation: 'bwrap', stopGraceSeconds: 2 }), {
  containers: false,
  skip: bwrapMissing ? 'bwrap not installed' : false,
});
