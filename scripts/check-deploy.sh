#!/usr/bin/env bash
# Checks the deployment files without a container engine or a cluster:
#  - docker-compose.yml through a real Compose parser (podman-compose from PyPI, `config`);
#  - the Helm chart with `helm lint`, and `helm template` validated by kubeconform -strict against JSON schemas
#    reflected from the Kubernetes Go types (deploy/kube-schemas): kubeconform's own schemas come from GitHub,
#    which CI cannot reach. helm and kubeconform install with `go install` through the Go module proxy.
# Tools are cached in the git-ignored .tools/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly HELM_VERSION=v3.22.0
readonly KUBECONFORM_VERSION=v0.8.0
readonly PODMAN_COMPOSE_VERSION=1.6.0
readonly CHART=deploy/helm/billing-enforcer
readonly GOBIN_DIR="$PWD/.tools/go-bin"

go_tool() { # name module version
  local name=$1 module=$2 version=$3 stamp="$GOBIN_DIR/.$1-version"
  if [ ! -x "$GOBIN_DIR/$name" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$version" ]; then
    command -v go >/dev/null || { echo "check-deploy: go is not on PATH; it installs helm and kubeconform" >&2; exit 1; }
    echo "installing $name $version (go install, first run only)…"
    GOBIN="$GOBIN_DIR" GOFLAGS=-mod=mod go install "$module@$version"
    echo "$version" >"$stamp"
  fi
}

compose_check() {
  local venv=.tools/podman-compose
  if [ ! -x "$venv/bin/podman-compose" ] || ! "$venv/bin/podman-compose" --version 2>/dev/null | grep -q "$PODMAN_COMPOSE_VERSION"; then
    echo "installing podman-compose $PODMAN_COMPOSE_VERSION from PyPI (first run only)…"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "podman-compose==$PODMAN_COMPOSE_VERSION"
  fi
  # --dry-run: no podman on this machine; `config` parses, interpolates and prints the resolved file.
  "$venv/bin/podman-compose" --dry-run -f docker-compose.yml config >/dev/null
  echo "docker-compose.yml: parsed by podman-compose $PODMAN_COMPOSE_VERSION"
}

helm_check() {
  go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
  go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
  local schemas=.tools/kube-schemas stamp
  stamp=$(sha256sum deploy/kube-schemas/go.sum deploy/kube-schemas/main.go | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$schemas/.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "generating Kubernetes JSON schemas from the Go API types (first run only)…"
    rm -rf "$schemas"
    (cd deploy/kube-schemas && go run . "../../$schemas")
    echo "$stamp" >"$schemas/.stamp"
  fi
  local helm="$GOBIN_DIR/helm" kubeconform="$GOBIN_DIR/kubeconform"
  # The values a real install must give; the chart refuses to render without them.
  local required=(--set kafka.brokers=kafka-0.kafka:9092 --set mongodb.uri=mongodb://mongo:27017/billing-enforcer
    --set redis.url=redis://redis:6379 --set adminToken=0123456789abcdef0123)
  "$helm" lint --strict "$CHART" "${required[@]}" >/dev/null
  # Every optional part switched on once: TLS with a client certificate, SASL, the ServiceMonitor, extra env.
  local everything=(--set kafka.ssl.enabled=true --set kafka.ssl.secretName=kafka-tls --set kafka.ssl.clientCertificate=true
    --set kafka.sasl.mechanism=scram-sha-512 --set kafka.sasl.username=billing-enforcer --set kafka.sasl.password=secret
    --set serviceMonitor.enabled=true --set env.LOG_LEVEL=debug --set accessApiToken=0123456789abcdef0123
    --set deletionCertificates.secretName=deletion-certificates --set deletionCertificates.keyId=2026-12 --set deletionCertificates.retiredKeys=true)
  for variant in defaults everything existing-secret; do
    local args=("${required[@]}")
    case $variant in
      everything) args+=("${everything[@]}") ;;
      existing-secret) args=(--set kafka.brokers=kafka:9092 --set existingSecret=billing-enforcer) ;;
    esac
    "$helm" template check "$CHART" "${args[@]}" |
      "$kubeconform" -strict -summary -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"
  done
  # Refuses to render without its required values, naming them.
  if "$helm" template check "$CHART" >/dev/null 2>&1; then
    echo "check-deploy: the chart rendered without kafka.brokers and the secrets" >&2
    exit 1
  fi
  echo "$CHART: helm lint and kubeconform -strict passed"
}

compose_check
helm_check
