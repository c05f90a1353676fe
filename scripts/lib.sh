# Shared by the Quick start scripts. Installs node packages when package-lock.json changed since the last install.
# `npm install`, not `npm ci`: lock files written on this kind of machine omit other platforms' optional packages
# (the registry mirror serves linux-x64 ones only), which `npm ci` rejects as out of sync; `npm install` honours the
# lock as it is and leaves it unchanged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ensure_node_modules() {
  local stamp=node_modules/.installed-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    echo "installing node packages…"
    npm install --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
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
