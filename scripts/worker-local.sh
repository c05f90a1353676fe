#!/usr/bin/env bash
# Quick start: the worker on the local stack. Runs on Node 24 (fetched into .tools/ when the machine's is older),
# installs node packages with `npm ci`, provisions and starts Kafka, FerretDB and Redis under .stack/ (idempotent),
# then runs the worker in the foreground with the stack's connection settings. The operator API needs a token: give
# one in ADMIN_TOKEN, or the script makes one for local use (kept in .stack/admin-token) and prints how to use it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
npx tsx tools/stack/main.ts up
set -a
# shellcheck disable=SC1091
source .stack/env
set +a

token_file=.stack/admin-token
if [ -z "${ADMIN_TOKEN:-}" ]; then
  if [ ! -s "$token_file" ]; then
    (umask 077 && node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("hex"))' >"$token_file")
  fi
  ADMIN_TOKEN=$(cat "$token_file")
  token_origin="generated for local use, kept in $token_file; set ADMIN_TOKEN to use your own"
else
  token_origin="from ADMIN_TOKEN"
fi
export ADMIN_TOKEN
port=${HTTP_PORT:-8080}
cat <<INFO

worker: http://127.0.0.1:$port (health: /healthz, /readyz; metrics: /metrics; ops page: /admin)
admin token ($token_origin):
  $ADMIN_TOKEN
try:
  curl -s -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:$port/v1/deletions
  (set -a; . .stack/env; set +a; npm run --silent cli -- deletions upcoming)   # the operator CLI

INFO
# tsx as a loader of this node, not a launcher: the worker is this process and gets its signals (Ctrl-C, SIGTERM).
exec node --import tsx src/main.ts
