#!/usr/bin/env bash
# Makes the Singularity/Apptainer stand-in usable for the tests (Debian 12 packages neither):
# scripts/singularity-shim/singularity runs `exec` inside a bubblewrap sandbox over a squashfs image
# and logs every call's argv to $SINGULARITY_SHIM_LOG, so tests can assert the exact command line.
#
# Idempotent: installs bubblewrap, squashfs-tools and busybox-static when missing (apt-get update
# once, --no-install-recommends), creates the tiny "busybox:latest" image in the shim's local image
# store unless it is there, then checks that the shim really runs a command in a container.
#
# On success, when POLLINATOR_SERVICES_ENV names a file, appends:
#   POLLINATOR_TEST_SINGULARITY=/abs/path/to/scripts/singularity-shim/singularity
#   SINGULARITY_SHIM_IMAGES=<image store>   (docker://busybox:latest resolves to <store>/busybox_latest)
#
# Env: SINGULARITY_SHIM_IMAGES (default /var/lib/pollinator-singularity-shim/images)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SHIM="$here/singularity-shim/singularity"
STORE=${SINGULARITY_SHIM_IMAGES:-/var/lib/pollinator-singularity-shim/images}
T0=${EPOCHREALTIME/./}
log(){ local n=${EPOCHREALTIME/./}; printf '[singularity-shim-up %5dms] %s\n' $(( (n - T0) / 1000 )) "$*"; }
fail(){ log "error: $*"; exit 1; }

[ -x "$SHIM" ] || fail "shim not found or not executable: $SHIM"
pkgs=(bubblewrap squashfs-tools busybox-static)
need=(); for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p"); done
if ((${#need[@]})); then
  [ "$(id -u)" = 0 ] || fail "missing packages ${need[*]}; run as root to install them"
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || fail "apt-get install ${need[*]} failed"
fi
log "packages ok: $(bwrap --version), $(mksquashfs -version 2>/dev/null | head -1)"

if [ ! -x "$STORE/busybox_latest/bin/busybox" ]; then
  log "creating image busybox:latest in $STORE"
  SINGULARITY_SHIM_IMAGES="$STORE" bash "$here/singularity-shim/make-busybox-image.sh" >/dev/null || fail "could not create the busybox image"
fi

# Smoke test: pull the image and run a command inside it, exit code passed through.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export SINGULARITY_SHIM_IMAGES="$STORE" SINGULARITY_SHIM_LOG="$work/shim.log" SINGULARITY_SHIM_CACHE="$work/cache"
"$SHIM" pull "$work/busybox.sif" docker://busybox:latest >/dev/null 2>"$work/err" || { cat "$work/err" >&2; fail "shim pull failed"; }
set +e; out=$("$SHIM" exec "$work/busybox.sif" /bin/sh -c 'cat /etc/os-release; exit 7' 2>"$work/err"); rc=$?; set -e
[ "$rc" = 7 ] && [[ "$out" == *busybox-shim-image* ]] || { cat "$work/err" >&2; fail "shim exec does not work (rc=$rc, output '$out')"; }
# The stop signal: a USR1 to the shim reaches the contained process, which traps it (exit 0), as with Singularity.
set +e
"$SHIM" exec --contain --bind "$work:/w" "$work/busybox.sif" /bin/sh -c 'trap "exit 0" USR1; touch /w/ready; while :; do sleep 1; done' 2>"$work/err" &
shim_pid=$!
for _ in $(seq 100); do [ -e "$work/ready" ] && break; sleep 0.1; done
kill -s USR1 "$shim_pid"; wait "$shim_pid"; rc=$?; set -e
[ "$rc" = 0 ] || { cat "$work/err" >&2; fail "shim exec does not pass a signal on to the contained process (rc=$rc)"; }
log "shim ok: $SHIM (images in $STORE)"

if [ -n "${POLLINATOR_SERVICES_ENV:-}" ]; then
  {
    echo "POLLINATOR_TEST_SINGULARITY=$SHIM"
    echo "SINGULARITY_SHIM_IMAGES=$STORE"
  } >> "$POLLINATOR_SERVICES_ENV"
fi
