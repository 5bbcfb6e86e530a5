#!/usr/bin/env bash
# Headless Chromium for the web app's end-to-end tests and screenshots:
# Debian's `chromium` package, driven by playwright-core through its
# executablePath (no browser is ever downloaded). Idempotent. Prints the
# executable's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
COMPONENT=browser
source scripts/infra/common.sh

find_chromium() { command -v chromium || command -v chromium-browser || true; }
if [ -z "$(find_chromium)" ]; then
    apt_install chromium fonts-liberation
fi
path=$(find_chromium)
[ -n "$path" ] || die "chromium is not installed and apt-get could not install it"
echo "$path"
