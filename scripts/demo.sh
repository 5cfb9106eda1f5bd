#!/usr/bin/env bash
# Runs a sample project end to end on the embedded default: installs the
# workspace (and pnpm if missing), scaffolds ./demo with `pollinator new` the
# first time, then `pollinator run`s it — logs stream, cfs/result fills, and
# the script exits with the job's exit code. Run it again to re-run the demo
# (a no-op upload, a new job). `bash scripts/demo.sh other-dir` uses another
# directory (relative to where you run the script).
#
# A setup step that fails (Node too old, pnpm, the install, the native SQLite
# module of the embedded server) is reported by name with the last lines of
# its output and what to do, and the script exits 1: the install's own output
# is hidden only while it succeeds.
set -euo pipefail
repository=$(cd "$(dirname "$0")/.." && pwd)
demo_directory=${1:-$repository/demo}
[[ $demo_directory == /* ]] || demo_directory=$PWD/$demo_directory
cd "$repository"
step_log=$(mktemp "${TMPDIR:-/tmp}/pollinator-demo.XXXXXX")
trap 'rm -f "$step_log"' EXIT

native_build_help() {
  cat >&2 <<'EOF'
better-sqlite3 (the embedded server's database, a native module) could not be built or loaded
for this Node.js. Either:
  - install a C/C++ toolchain and python3 so it can be compiled
    (Debian/Ubuntu: sudo apt-get install build-essential python3;
     Fedora/RHEL: sudo dnf install gcc-c++ make python3; macOS: xcode-select --install), or
  - use a Node.js release that has prebuilt binaries for your platform
    (Node 20.19 or newer, 22 or 24 LTS on linux/macOS/windows x64 or arm64),
then run `bash scripts/demo.sh` again.
EOF
}

# fail <what failed> <what to do, or "native" for the native-module advice>
fail() {
  echo "demo: ${1} failed. The last lines of its output:" >&2
  tail -n 25 "$step_log" | sed 's/^/  | /' >&2
  if [[ $2 == native ]] || grep -qiE 'better-sqlite3|node-gyp|gyp ERR|prebuild-install|NODE_MODULE_VERSION' "$step_log"; then
    native_build_help
  else
    echo "$2" >&2
  fi
  exit 1
}

# step <what> <command…>: runs the command with its output kept aside, shown only when it fails.
step() {
  local what=$1
  shift
  if ! "$@" >"$step_log" 2>&1; then
    fail "$what (\`$*\`)" 'Fix what the output above says and run `bash scripts/demo.sh` again.'
  fi
}

node_version=$(node --version 2>/dev/null || echo none)
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  echo "demo: Node.js 20.19 or newer is needed (found ${node_version}). Install it from https://nodejs.org or with your version manager (nvm install 22), then run \`bash scripts/demo.sh\` again." >&2
  exit 1
fi

# shellcheck source=scripts/ensure-pnpm.sh
step 'installing pnpm' source scripts/ensure-pnpm.sh
step 'checking pnpm' pnpm --version
step 'installing the workspace' pnpm install --frozen-lockfile --reporter=append-only
if ! (cd packages/dev-server && node -e 'new (require("better-sqlite3"))(":memory:").close()') >"$step_log" 2>&1; then
  fail 'loading better-sqlite3 (the embedded server'"'"'s database)' native
fi

# `pollinator new` runs next to the new directory, so it names it as you would.
if [[ ! -f "$demo_directory/project.yaml" ]]; then
  (cd "$(dirname "$demo_directory")" && pnpm --silent --dir "$repository" pollinator new "$(basename "$demo_directory")")
fi
cd "$demo_directory"
exec pnpm --silent --dir "$repository" pollinator run
