#!/usr/bin/env bash
# Fetch the web pages' front-end libraries from the npm registry (npm pack, which checks each tarball against
# the registry's integrity digest), check them against the digests pinned here, and copy the built files with
# their licences into src/arrears/web/static/vendor/. The files are committed: serving or testing the pages
# never needs the network, and no page loads anything from another server. Run it to change a version (update
# the pins below first); it is not part of `make install`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/arrears/web/static/vendor
# package@version   file in the tarball   sha512 integrity of the tarball (npm view PACKAGE@VERSION dist.integrity)
pins=(
  "htmx.org@2.0.11 dist/htmx.min.js LICENSE sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
  "chart.js@4.6.1 dist/chart.umd.min.js LICENSE.md sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for pin in "${pins[@]}"; do
  read -r spec file licence integrity <<<"$pin"
  name=${spec%@*}
  tarball=$(cd "$work" && npm pack "$spec" --silent)
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
  [ "$actual" = "$integrity" ] || { echo "$spec: tarball digest $actual, pinned $integrity" >&2; exit 1; }
  mkdir -p "$work/$name" && tar xzf "$work/$tarball" -C "$work/$name"
  cp "$work/$name/package/$file" "$out/$(basename "$file")"
  cp "$work/$name/package/$licence" "$out/$name.LICENSE.txt"
  echo "$spec -> $out/$(basename "$file")"
done
