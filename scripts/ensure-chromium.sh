#!/bin/sh
# Makes sure Debian's Chromium is at /usr/bin/chromium for the status-page browser test.
# A test tool's own browser download does not work on the test machines; the distro
# package does. Exits 0 when the binary is there (already or after installing), else
# non-zero with a message that says what to do.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: $CHROMIUM is present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  AS_ROOT=""
elif command -v sudo >/dev/null 2>&1; then
  AS_ROOT="sudo -n"
else
  echo "ensure-chromium: $CHROMIUM is missing and I am not root and have no sudo;" \
       "install it with: apt-get install -y chromium" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available;" \
       "install Chromium so that $CHROMIUM exists" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent in a fresh container; an install from
# stale lists fails with 404s, so refresh them first.
$AS_ROOT apt-get update -qq
$AS_ROOT apt-get install -y -qq --no-install-recommends chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
