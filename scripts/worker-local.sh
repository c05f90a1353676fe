#!/usr/bin/env bash
# Quick start: the worker on the local stack. Installs node packages, provisions and starts Kafka, FerretDB and Redis
# under .stack/ (idempotent), then runs the worker in the foreground with the stack's connection settings.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
npx tsx src/stack/cli.ts up
set -a
# shellcheck disable=SC1091
source .stack/env
set +a
exec npx tsx src/main.ts
