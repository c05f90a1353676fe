#!/usr/bin/env bash
# Quick start: the whole test suite. Runs on Node 24 (fetched into .tools/ when the machine's is older), checks the
# lock file, installs node packages with `npm ci`, checks types, lint, the alert rules and dashboard
# (scripts/check-observability.sh), formatting and the deployment files (scripts/check-deploy.sh), runs the unit and integration tests (the integration global setup provisions and starts
# the local stack: Kafka, FerretDB, Redis), then the fault-injection suite on a stack of its own (.stack/reliability).
# Arguments go to the unit and integration run; SKIP_RELIABILITY=1 leaves the fault-injection suite out (about ten
# minutes).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_lock
ensure_node_modules
ensure_chromium
npm run --silent typecheck
npm run --silent lint
bash scripts/check-observability.sh
npm run --silent format:check
bash scripts/check-deploy.sh
npx jest --ci "$@"
if [ "${SKIP_RELIABILITY:-0}" != "1" ]; then
  npm run --silent test:reliability -- --ci
fi
