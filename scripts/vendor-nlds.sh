#!/usr/bin/env bash
# Reproducibly vendor the NL Design System CSS (Utrecht components + design tokens) into api/static/vendor.
# Pinned versions; npm verifies each tarball against the registry's integrity hash.
set -euo pipefail
COMPONENTS=@utrecht/component-library-css@9.0.4
TOKENS=@utrecht/design-tokens@5.0.1
dest="$(cd "$(dirname "$0")/.." && pwd)/api/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "$COMPONENTS" "$TOKENS" >/dev/null
mkdir c t
tar xzf utrecht-component-library-css-*.tgz -C c
tar xzf utrecht-design-tokens-*.tgz -C t
mkdir -p "$dest"
cp c/package/dist/index.css "$dest/utrecht-components.css"
cp t/package/dist/index.css "$dest/utrecht-design-tokens.css"
cp c/package/LICENSE.md "$dest/LICENSE-utrecht.md"
{ echo "$COMPONENTS"; echo "$TOKENS"; } > "$dest/VERSIONS"
sha256sum "$dest"/*.css > "$dest/SHA256SUMS"
echo "vendored into $dest"
