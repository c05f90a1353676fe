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
# The deployment and observability checks build Go tools on a first run (promtool pulls a large module graph): they
# run in the background, at low priority, beside the tests, and are waited for before the fault-injection suite.
mkdir -p test-output
nice -n 19 bash scripts/check-deploy.sh >test-output/check-deploy.log 2>&1 &
deploy_check=$!
nice -n 19 bash scripts/check-observability.sh >test-output/check-observability.log 2>&1 &
observability_check=$!
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check
npx jest --ci "$@"
for check in deploy:$deploy_check observability:$observability_check; do
  if ! wait "${check#*:}"; then
    echo "check-${check%%:*} failed:" >&2
    cat "test-output/check-${check%%:*}.log" >&2
    exit 1
  fi
  tail -n 3 "test-output/check-${check%%:*}.log"
done
if [ "${SKIP_RELIABILITY:-0}" != "1" ]; then
  npm run --silent test:reliability -- --ci
fi
