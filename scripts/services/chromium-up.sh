#!/usr/bin/env bash
# Makes Debian's Chromium available for the dashboard's end-to-end test
# (packages/dashboard/src/dashboard-e2e.test.ts), which drives it with playwright-core.
# No browser is ever downloaded by a test tool: this script only installs Debian's package.
# Like sshd, a missing Chromium makes that test FAIL (not skip).
#
# Idempotent: installs chromium when /usr/bin/chromium is missing (apt-get update once,
# --no-install-recommends).
#
# On success, when POLLINATOR_SERVICES_ENV names a file, appends:
#   POLLINATOR_TEST_CHROMIUM=/usr/bin/chromium
set -euo pipefail
CHROMIUM=/usr/bin/chromium
T0=${EPOCHREALTIME/./}
log(){ local n=${EPOCHREALTIME/./}; printf '[chromium-up %5dms] %s\n' $(( (n - T0) / 1000 )) "$*"; }
fail(){ log "error: $*"; exit 1; }

if [ ! -x "$CHROMIUM" ]; then
  [ "$(id -u)" = 0 ] || fail "chromium is missing; run as root to install it (apt-get install chromium)"
  command -v apt-get >/dev/null || fail "chromium is missing and there is no apt-get to install it"
  log "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends chromium >/dev/null || fail "apt-get install chromium failed"
fi
[ -x "$CHROMIUM" ] || fail "$CHROMIUM not found after installing chromium"
log "chromium ok: $("$CHROMIUM" --version 2>/dev/null | head -1)"

if [ -n "${POLLINATOR_SERVICES_ENV:-}" ]; then
  echo "POLLINATOR_TEST_CHROMIUM=$CHROMIUM" >> "$POLLINATOR_SERVICES_ENV"
fi
