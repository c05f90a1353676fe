# Shared by the Quick start scripts: runs them on Node 24 LTS, and installs node packages with `npm ci` when
# package-lock.json (or the Node version) changed since the last install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly NODE_MAJOR=24
readonly NODE_TOOLS=.tools/node$NODE_MAJOR

# The machine's node may be older than the supported one (Node 20 reached end of life on 2026-04-30). The `node`
# package on the npm registry carries the official binary: install it into the git-ignored .tools/ and put it first
# on PATH, so npm, npx, jest and the worker all run on it. Said once: a nested script finds node 24 already on PATH.
ensure_node() {
  local major was
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  was=$(node --version 2>/dev/null || echo absent)
  [ "$major" -ge "$NODE_MAJOR" ] && return 0
  local bin="$PWD/$NODE_TOOLS/node_modules/node/bin"
  if [ ! -x "$bin/node" ]; then
    echo "fetching Node $NODE_MAJOR from the npm registry (package node@$NODE_MAJOR) into $NODE_TOOLS…"
    npm install --prefix "$NODE_TOOLS" --no-audit --no-fund --no-save --loglevel=error "node@$NODE_MAJOR" >/dev/null
  fi
  export PATH="$bin:$PATH"
  echo "using Node $(node --version) from $NODE_TOOLS (this machine's node is $was)"
}

ensure_node_modules() {
  local stamp=node_modules/.installed-lock
  local want
  want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing node packages (npm ci)…"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
}

# `npm ci` refuses a lock that does not match package.json or lacks another platform's optional packages (a lock
# written by `npm install` over an existing node_modules omits them). Checked in a scratch copy: seconds, no install.
check_lock() {
  local scratch
  scratch=$(mktemp -d)
  cp package.json package-lock.json "$scratch/"
  if ! (cd "$scratch" && npm ci --dry-run --ignore-scripts --no-audit --no-fund --loglevel=error >out.log 2>&1); then
    # npm follows the reason with its whole usage text: keep the reason.
    grep -E 'in sync|Missing|Invalid' "$scratch/out.log" | head -20 >&2 || cat "$scratch/out.log" >&2
    rm -rf "$scratch"
    echo "package-lock.json is incomplete or out of date; regenerate it in a clean clone:" \
      "rm -rf node_modules && npm install --package-lock-only" >&2
    return 1
  fi
  rm -rf "$scratch"
  echo "package-lock.json: complete and in step with package.json"
}

# The browser tests drive Debian's Chromium with playwright-core, which brings no browser of its own
# (`npx playwright install` cannot download one here). Root installs the package; anyone else is told how.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium from Debian's packages…"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium is missing, so the browser tests will fail;" \
      "install it with: sudo apt-get install -y --no-install-recommends chromium" >&2
  fi
}

ensure_node
