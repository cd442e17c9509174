#!/bin/sh
# Debian's chromium (for the browser tests and the benchmark) and an emoji font
# (so emoji in feedback render in screenshots). Playwright cannot download its
# own browsers here, so the tests drive /usr/bin/chromium.
set -e
need=""
[ -x /usr/bin/chromium ] || need="chromium"
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || need="$need fonts-noto-color-emoji"
command -v pdftoppm >/dev/null 2>&1 || need="$need poppler-utils"  # renders the retro report PDF in tests
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install-browser: need root (or sudo) to apt-get install$need; browser tests will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
