#!/usr/bin/env bash
# Install the headless browser the report tests drive: Debian's Chromium at /usr/bin/chromium.
# Playwright for Python (the `test` extra) drives that browser; it never downloads one of its own,
# so never run `playwright install` for this project.
#
# Needs root and apt-get (a Debian machine, as CI is). Returns at once when /usr/bin/chromium is
# already there. Exit 0 when the browser is there afterwards, 1 otherwise: scripts/test.sh carries
# on either way, and the browser tests then skip (or fail, under CI=true).
set -uo pipefail

browser=/usr/bin/chromium
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: Chromium is not at $browser and this is not root with apt-get;" \
       "the browser tests will skip (on Debian: sudo apt-get install chromium)." >&2
  exit 1
fi
echo "Installing Chromium (Debian package 'chromium') for the browser tests ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt=(timeout 900 apt-get -o DPkg::Lock::Timeout=120 -qq)
# fonts: so that screenshots show text, whatever fonts the machine has
"${apt[@]}" update >&2 \
  && "${apt[@]}" install -y --no-install-recommends chromium fonts-liberation fonts-dejavu-core >&2 \
  || echo "install-browser: apt-get failed" >&2
if [ -x "$browser" ]; then
  echo "install-browser: $("$browser" --version 2>/dev/null || echo Chromium) at $browser" >&2
  exit 0
fi
echo "install-browser: $browser is still missing; the browser tests will skip (or fail under CI=true)." >&2
exit 1
