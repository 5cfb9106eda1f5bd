#!/usr/bin/env bash
# Makes a real OpenSSH server available for the SSH tunnel tests (packages/port-forward, the
# fixture packages/test-utils/src/sshd.ts). Those tests start their own sshd on loopback with their
# own config, keys and pid file and stop it again; this script only installs Debian's openssh-server.
# Unlike the other services, a missing sshd makes those tests FAIL (not skip).
#
# Idempotent: installs openssh-server when missing (apt-get update once, --no-install-recommends)
# with a policy-rc.d that forbids starting services, so the package's postinst cannot leave a
# system sshd running; any sshd that appeared during the install anyway is stopped by its pid.
# Creates /run/sshd (sshd's privilege-separation directory, needed when it runs as root).
#
# On success, when POLLINATOR_SERVICES_ENV names a file, appends:
#   POLLINATOR_TEST_SSHD=/usr/sbin/sshd
set -euo pipefail
SSHD=/usr/sbin/sshd
T0=${EPOCHREALTIME/./}
log(){ local n=${EPOCHREALTIME/./}; printf '[sshd-up %5dms] %s\n' $(( (n - T0) / 1000 )) "$*"; }
fail(){ log "error: $*"; exit 1; }

if ! dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q 'install ok installed'; then
  [ "$(id -u)" = 0 ] || fail "openssh-server is missing; run as root to install it (apt-get install openssh-server)"
  command -v apt-get >/dev/null || fail "openssh-server is missing and there is no apt-get to install it"
  log "installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  before=" $(pgrep -x sshd | tr '\n' ' ') "
  made_policy=0; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; }
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends openssh-server >/dev/null || fail "apt-get install openssh-server failed"
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  for pid in $(pgrep -x sshd || true); do
    [[ "$before" == *" $pid "* ]] && continue
    log "stopping the system sshd the package started (pid $pid)"
    kill "$pid" 2>/dev/null || true
  done
fi
[ -x "$SSHD" ] || fail "$SSHD not found after installing openssh-server"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd && chmod 0755 /run/sshd
log "sshd ok: $("$SSHD" -V 2>&1 | head -1)"

if [ -n "${POLLINATOR_SERVICES_ENV:-}" ]; then
  echo "POLLINATOR_TEST_SSHD=$SSHD" >> "$POLLINATOR_SERVICES_ENV"
fi
