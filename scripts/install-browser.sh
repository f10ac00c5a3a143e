#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver (the dashboard's browser test needs them).
#
#   scripts/install-browser.sh
#
# Idempotent: when /usr/bin/chromium and /usr/bin/chromedriver exist it only
# says so. Otherwise it runs apt-get (as root, or through sudo) quietly. Where
# it cannot (no apt-get, not root and no sudo) it says so and exits 0, so the
# browser test skips on such a dev machine; `REQUIRE_CHROMIUM=1` (CI) makes
# that fail.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  echo "chromium: installed ($(/usr/bin/chromedriver --version 2>/dev/null | cut -d' ' -f1-2))"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi
if ! command -v apt-get >/dev/null 2>&1 || [[ "$(id -u)" != "0" && -z "$SUDO" ]]; then
  echo "chromium: not installed and cannot install it here (needs apt-get as root):"
  echo "  apt-get install -y chromium chromium-driver"
  if [[ "${REQUIRE_CHROMIUM:-0}" == "1" ]]; then exit 1; fi
  exit 0
fi

echo "chromium: installing chromium and chromium-driver with apt-get (about a minute)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
echo "chromium: installed ($(/usr/bin/chromedriver --version | cut -d' ' -f1-2))"
