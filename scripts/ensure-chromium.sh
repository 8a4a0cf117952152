#!/usr/bin/env bash
# Browser tests need Debian's chromium. Install it when missing and we are allowed to (root with apt);
# otherwise say so: the browser tests then skip with the reason.
set -u
if [ -x /usr/bin/chromium ] || [ -n "${RAPPORT_CHROMIUM:-}" ]; then
  exit 0
fi
if [ "${RAPPORT_NO_APT:-0}" = "1" ]; then
  echo "chromium is missing and RAPPORT_NO_APT=1: browser tests will be skipped"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null \
    && echo "chromium installed" || echo "could not install chromium: browser tests will be skipped"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "Installing Debian's chromium for the browser tests (sudo)..."
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || echo "could not install chromium: browser tests will be skipped"
else
  echo "chromium is missing and cannot be installed here: browser tests will be skipped"
fi
exit 0
