#!/usr/bin/env bash
# CI checks of deploy/observability/: the alert rules load (`promtool check rules`), their unit tests pass
# (`promtool test rules`), and every metric the dashboard and the rules query is one the worker exports (jest).
# promtool is built once with `go install` through the Go module proxy and kept in .tools/ (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The Go module version of github.com/prometheus/prometheus (v0.316.0 is Prometheus 3.x's promtool).
PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
TOOLS="$ROOT/.tools/bin"
PROMTOOL="$TOOLS/promtool"

if [ ! -x "$PROMTOOL" ] || [ "$(cat "$PROMTOOL.version" 2>/dev/null)" != "$PROMTOOL_VERSION" ]; then
  command -v go >/dev/null || { echo "check-observability: go is needed to install promtool (https://go.dev/dl/)" >&2; exit 1; }
  echo "installing promtool $PROMTOOL_VERSION into .tools/ (first run only; a few minutes)…"
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" go install "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION"
  echo "$PROMTOOL_VERSION" > "$PROMTOOL.version"
fi

cd "$ROOT/deploy/observability"
"$PROMTOOL" check rules prometheus-rules.yml
"$PROMTOOL" test rules prometheus-rules.test.yml
cd "$ROOT"
npx jest --ci --selectProjects unit --testPathPatterns 'test/unit/observability/' --silent
