#!/usr/bin/env bash
# Make sure Debian's Chromium is installed at /usr/bin/chromium: the web pages' browser tests drive it headless
# through Playwright (the tests never download a browser of their own). As root, it is installed from Debian's
# packages when missing; otherwise the command to run is printed.
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium (for the browser tests) from Debian's packages" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 && exit 0
fi
echo "The browser tests need Chromium at /usr/bin/chromium (install it: apt-get install chromium)" >&2
[ "${CI:-}" = "true" ] && exit 1
exit 0
