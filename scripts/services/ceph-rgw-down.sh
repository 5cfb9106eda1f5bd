#!/usr/bin/env bash
# Stops what ceph-rgw-up.sh started (by the pid files under $CEPH_DIR/run), then removes the state dir
# (keep it with --keep).
D=${CEPH_DIR:-/tmp/pollinator-ceph}
for f in "$D"/run/client.rgw.a.pid "$D"/run/osd.*.pid "$D"/run/mon.a.pid; do
  [ -s "$f" ] || continue; p=$(cat "$f"); n=$(basename "$f" .pid)
  # a stale pid file may name a recycled pid: only stop a Ceph daemon
  case "$(ps -p "$p" -o comm= 2>/dev/null)" in ceph-mon*|ceph-osd*|radosgw*) ;; *) continue ;; esac
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p"; for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p"; echo "stopped $n ($p)"
  fi
done
[ "${1:-}" = "--keep" ] || rm -rf "$D"
