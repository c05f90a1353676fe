#!/usr/bin/env bash
# Quick start: the whole test suite. Installs node packages, checks types, lint, the alert rules and dashboard
# (scripts/check-observability.sh) and formatting, runs the unit and
# integration tests (the integration global setup provisions and starts the local stack: Kafka, FerretDB, Redis), then
# the fault-injection suite on a stack of its own (.stack/reliability). Arguments go to the unit and integration run;
# SKIP_RELIABILITY=1 leaves the fault-injection suite out (it takes about ten minutes).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_chromium
npm run --silent typecheck
npm run --silent lint
bash scripts/check-observability.sh
npm run --silent format:check
npx jest --ci "$@"
if [ "${SKIP_RELIABILITY:-0}" != "1" ]; then
  npm run --silent test:reliability -- --ci
fi
