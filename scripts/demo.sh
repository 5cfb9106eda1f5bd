#!/usr/bin/env bash
# Runs a sample project end to end on the embedded default: installs the
# workspace (and pnpm if missing), scaffolds ./demo with `pollinator new` the
# first time, then `pollinator run`s it — logs stream, cfs/result fills, and
# the script exits with the job's exit code. Run it again to re-run the demo
# (a no-op upload, a new job). `bash scripts/demo.sh other-dir` uses another
# directory.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-pnpm.sh
source scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile --reporter=silent
demo_directory=${1:-demo}
if [[ ! -f "$demo_directory/project.yaml" ]]; then
  pnpm --silent pollinator new "$demo_directory"
fi
cd "$demo_directory"
exec pnpm --silent pollinator run
