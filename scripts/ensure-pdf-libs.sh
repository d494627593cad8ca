#!/usr/bin/env bash
# Make sure the system libraries WeasyPrint prints letters with are installed: Pango (text layout),
# HarfBuzz with its subsetter (fonts embedded in a PDF are cut to the glyphs used, quickly) and the DejaVu
# fonts the sample letters are set in. As root, missing ones are installed from Debian's packages;
# otherwise the command to run is printed. Only packages that are missing are installed.
set -u
packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core"
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing what printing letters needs from Debian's packages:$missing" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >&2 && exit 0
fi
echo "Printing letters needs:$missing (install them: apt-get install$missing)" >&2
[ "${CI:-}" = "true" ] && exit 1
exit 0
