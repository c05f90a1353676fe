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
