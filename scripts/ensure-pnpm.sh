# Sourced by the scripts that need pnpm: installs the pinned pnpm when it is
# missing (globally when allowed, else inside the checkout under .tools/).
pnpm_version=10.34.9
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version 2>/dev/null)" != 10.* ]]; then
  echo "==> installing pnpm@${pnpm_version}"
  if ! npm install -g "pnpm@${pnpm_version}" >/dev/null 2>&1; then
    npm install --prefix "$PWD/.tools" "pnpm@${pnpm_version}" >/dev/null
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  fi
fi
