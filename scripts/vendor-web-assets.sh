#!/usr/bin/env bash
# Fetch the front-end libraries of the web pages and of the API's /docs page (Swagger UI) from the npm registry (npm
# pack, which checks each tarball against the registry's integrity digest), check them against the digests pinned
# here, and copy the built files with their licences into src/arrears/web/static/vendor/. The files are committed:
# serving or testing never needs the network, and no page loads anything from another server. Run it to change a
# version (update the pins below first); it is not part of `make install`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/arrears/web/static/vendor
# package@version   file in the tarball   sha512 integrity of the tarball (npm view PACKAGE@VERSION dist.integrity)
pins=(
  "htmx.org@2.0.11 dist/htmx.min.js LICENSE sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
  "chart.js@4.6.1 dist/chart.umd.min.js LICENSE.md sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="
  # Swagger UI, the API's /docs page (its NOTICE is kept beside the licence)
  "swagger-ui-dist@5.35.0 swagger-ui-bundle.js LICENSE sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
  "swagger-ui-dist@5.35.0 swagger-ui.css LICENSE sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
  "swagger-ui-dist@5.35.0 favicon-32x32.png LICENSE sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
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
  target=$(basename "$file")
  if [ "$name" = swagger-ui-dist ]; then  # its files named as Swagger UI's; its source maps are not shipped
    case "$target" in swagger-ui*) ;; *) target="swagger-ui-$target" ;; esac
    sed 's|[/][/*]# sourceMappingURL=[^ *]*\( \{0,1\}\*/\)\{0,1\}||' "$work/$name/package/$file" > "$out/$target"
  else
    cp "$work/$name/package/$file" "$out/$target"
  fi
  cp "$work/$name/package/$licence" "$out/$name.LICENSE.txt"
  if [ -f "$work/$name/package/NOTICE" ]; then cp "$work/$name/package/NOTICE" "$out/$name.NOTICE.txt"; fi
  echo "$spec -> $out/$target"
done
