#!/usr/bin/env bash
# Real S3 for the tests: Ceph RADOS Gateway from Debian's packages (ceph 16.2 "pacific") on one machine,
# no systemd, no disks: 1 mon + 1 osd (memstore, RAM-backed) + radosgw (beast) on 127.0.0.1:${RGW_PORT:-7480}.
# cephx is off; an S3 user with the access/secret key below is created (real SigV4 is still checked by rgw).
#
# - installs its Debian packages when missing (one `apt-get update`, --no-install-recommends);
# - idempotent: when rgw already answers on the port it only (re)writes the env lines (~20 ms);
# - on success appends KEY=VALUE lines to "$POLLINATOR_SERVICES_ENV" (when set) for scripts/test.sh;
# - fails with a clear message and the tail of the relevant daemon log otherwise.
#
# Env: CEPH_DIR (default /tmp/pollinator-ceph), RGW_PORT (7480), S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET,
#      CEPH_MEM_BYTES (memstore size, default 4 GiB).
# Stop with scripts/services/ceph-rgw-down.sh.
set -euo pipefail
D=${CEPH_DIR:-/tmp/pollinator-ceph}; PORT=${RGW_PORT:-7480}
AK=${S3_ACCESS_KEY:-testaccesskey}; SK=${S3_SECRET_KEY:-testsecretkey123}
BUCKET=${S3_BUCKET:-pollinator-test}
MEMB=${CEPH_MEM_BYTES:-4294967296}
T0=${EPOCHREALTIME/./}; log(){ printf '[ceph-rgw-up %6dms] %s\n' $(( (${EPOCHREALTIME/./} - T0) / 1000 )) "$*"; }
fail(){ log "FAILED: $*"; [ -n "${2:-}" ] && [ -f "$2" ] && tail -30 "$2" >&2; exit 1; }

write_env(){
  [ -n "${POLLINATOR_SERVICES_ENV:-}" ] || return 0
  {
    echo "POLLINATOR_TEST_S3_ENDPOINT=127.0.0.1:$PORT"
    echo "POLLINATOR_TEST_S3_ACCESS_KEY=$AK"
    echo "POLLINATOR_TEST_S3_SECRET_KEY=$SK"
    echo "POLLINATOR_TEST_S3_BUCKET=$BUCKET"
    echo "POLLINATOR_TEST_S3_REGION=us-east-1"
  } >> "$POLLINATOR_SERVICES_ENV"
}
answering(){ curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; }

if command -v curl >/dev/null 2>&1 && answering; then
  log "rgw already answering on 127.0.0.1:$PORT"; write_env; exit 0
fi
need=(); for p in ceph-mon ceph-osd radosgw ceph-common curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p"); done
if ((${#need[@]})); then
  [ "$(id -u)" = 0 ] || fail "missing Debian packages (${need[*]}) and not root: install them first"
  log "installing ${need[*]}"; export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || fail "apt-get install ${need[*]} failed"
fi
log "packages ok: $(ceph --version | cut -d' ' -f1-3)"

# A previous run may have left daemons half up (e.g. rgw died): stop them before starting anew.
bash "$(dirname "$0")/ceph-rgw-down.sh" >/dev/null 2>&1 || true
rm -rf "$D"; mkdir -p "$D"/{mon.a,osd.0,run,log}
FSID=$(cat /proc/sys/kernel/random/uuid)
C="$D/ceph.conf"
cat > "$C" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:3300/0
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
keyring = $D/keyring
ms bind msgr1 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd crush chooseleaf type = 0
[mon]
mon data = $D/mon.\$id
[osd]
osd data = $D/osd.\$id
osd objectstore = memstore
memstore device bytes = $MEMB
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
# auth=none only supports crc connection mode; rgw otherwise insists on 'secure' to the mon
ms mon client mode = crc secure
ms client mode = crc secure
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw dns name = 127.0.0.1
rgw enable usage log = false
rgw data = $D/rgw
CONF
# a keyring is still required by the tools even with auth=none
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$D/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:3300]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring" || fail "ceph-mon --mkfs" "$D/log/mon.a.log"
ceph-mon -c "$C" -i a || fail "ceph-mon did not start" "$D/log/mon.a.log"
export CEPH_CONF="$C"
ok=; for _ in $(seq 100); do timeout 5 ceph -s >/dev/null 2>&1 && { ok=1; break; }; sleep 0.2; done
[ -n "$ok" ] || fail "mon did not answer" "$D/log/mon.a.log"
log "mon up"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ID=$(ceph osd new "$OSD_UUID")
ceph-osd -c "$C" -i "$ID" --mkfs --osd-uuid "$OSD_UUID" 2>>"$D/log/osd-mkfs.log" || fail "ceph-osd --mkfs" "$D/log/osd-mkfs.log"
ceph-osd -c "$C" -i "$ID" 2>>"$D/log/osd-start.log" || fail "ceph-osd did not start" "$D/log/osd.$ID.log"
ok=; for _ in $(seq 150); do ceph osd stat 2>/dev/null | grep -q '1 up' && { ok=1; break; }; sleep 0.2; done
[ -n "$ok" ] || fail "osd.$ID did not come up" "$D/log/osd.$ID.log"
log "osd.$ID up"
radosgw -c "$C" -n client.rgw.a || fail "radosgw did not start" "$D/log/client.rgw.a.log"
for _ in $(seq 300); do answering && break; sleep 0.2; done
answering || fail "rgw did not answer on 127.0.0.1:$PORT" "$D/log/client.rgw.a.log"
log "rgw answering on 127.0.0.1:$PORT"
radosgw-admin -c "$C" user create --uid=pollinator --display-name=pollinator --access-key="$AK" --secret="$SK" \
  >/dev/null 2>>"$D/log/admin.log" || fail "radosgw-admin user create" "$D/log/admin.log"
write_env
log "ready: S3 endpoint 127.0.0.1:$PORT access=$AK bucket=$BUCKET (pids: mon=$(cat "$D/run/mon.a.pid") osd=$(cat "$D/run/osd.$ID.pid") rgw=$(cat "$D/run/client.rgw.a.pid" 2>/dev/null))"
