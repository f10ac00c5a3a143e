#!/usr/bin/env bash
# Build helm into a cache folder with `go install` (the chart checks need it).
#
#   scripts/install-helm.sh          # prints the helm binary's path on its last line
#
# Idempotent: a helm of the wanted version already in the cache is kept (a
# second run takes well under a second). The first run downloads helm's
# modules from the Go module proxy and compiles them: about 2 minutes on two
# cores. Where Go is missing it says so and exits 0 without a path, so the
# chart tests skip on such a dev machine; `REQUIRE_HELM=1` (CI) makes that fail.
#
# Cache: $ATTRIB_TOOLS_DIR (default <repo>/.attrib/tools)/helm-<version>/helm.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION="${HELM_VERSION:-v4.3.2}"
TOOLS_DIR="${ATTRIB_TOOLS_DIR:-$PWD/.attrib/tools}"
HELM_DIR="$TOOLS_DIR/helm-$HELM_VERSION"
HELM="$HELM_DIR/helm"

if [[ -x "$HELM" ]] && "$HELM" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  echo "helm $HELM_VERSION: cached"
  echo "$HELM"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [[ -x "$candidate" ]]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "helm $HELM_VERSION: Go is not installed, so helm cannot be built; the chart checks will skip" >&2
  if [[ "${REQUIRE_HELM:-0}" == "1" ]]; then exit 1; fi
  exit 0
fi

echo "helm $HELM_VERSION: building with $(go version | cut -d' ' -f3) (go install, about 2 minutes the first time)"
mkdir -p "$HELM_DIR"
start=$(date +%s)
# Build into a temporary folder and move into place, so that an interrupted
# build never leaves a half-written binary where the cache check looks.
build_dir="$(mktemp -d "$HELM_DIR/.build.XXXXXX")"
trap 'rm -rf "$build_dir"' EXIT
# `go install` leaves helm's version variable at its default ("v4.3"): set it,
# so that `helm version` (and the cache check above) tell the exact release.
GOBIN="$build_dir" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install \
  -ldflags "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
mv "$build_dir/helm" "$HELM"
echo "helm $HELM_VERSION: built in $(( $(date +%s) - start )) s: $("$HELM" version --short)"
echo "$HELM"
