#!/usr/bin/env bash
# Quick start: the whole test suite. Installs node packages, checks types, lint and formatting, then runs the unit and
# integration tests; the integration global setup provisions and starts the local stack (Kafka, FerretDB, Redis) itself.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_chromium
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check
npx jest --ci "$@"
