#!/usr/bin/env bash
# Installs everything and runs the whole test suite: type check, lint and all
# vitest projects. Works on a fresh machine from a clean clone.
#
# It installs pnpm when it is missing, installs the workspace from the lock
# file, and (as root, where apt-get can install Debian packages) starts the
# real services some tests need: Slurm, Ceph RADOS Gateway (S3) and the
# Singularity stand-in. Without them those tests skip themselves and say so;
# with POLLINATOR_REQUIRE_SERVICES=1 (CI) a missing service fails instead.
# scripts/services/sshd-up.sh installs Debian's openssh-server (no system sshd
# is left running): the SSH tunnel tests start their own sshd and fail without it.
# scripts/services/chromium-up.sh installs Debian's chromium (no browser is ever downloaded): the
# dashboard's end-to-end test drives it with playwright-core and fails without it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# shellcheck source=scripts/ensure-pnpm.sh
source scripts/ensure-pnpm.sh

echo "==> pnpm install"
pnpm install --frozen-lockfile

services_env="$root/.services.env"
: > "$services_env"
export POLLINATOR_SERVICES_ENV="$services_env"
if [[ "${POLLINATOR_SKIP_SERVICES:-}" != 1 ]]; then
  for up in scripts/services/*-up.sh; do
    [[ -e "$up" ]] || continue
    echo "==> $up"
    if ! bash "$up"; then
      if [[ "${POLLINATOR_REQUIRE_SERVICES:-}" == 1 ]]; then
        echo "error: $up failed and POLLINATOR_REQUIRE_SERVICES=1" >&2
        exit 1
      fi
      echo "warning: $up failed; the tests that need it will be skipped" >&2
    fi
  done
fi
set -a
# shellcheck disable=SC1090
source "$services_env"
set +a

echo "==> typecheck"
pnpm typecheck
echo "==> lint"
pnpm lint
echo "==> public API reports (api/)"
pnpm api:check
echo "==> test"
pnpm test
