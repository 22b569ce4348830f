#!/usr/bin/env bash
# Runs every test suite of the product, installing what they need first. CI runs exactly this (.ci/run).
#   scripts/test.sh            all tests
#   scripts/test.sh --filter X extra arguments go to 'dotnet test'
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# What the browser tests need from the machine: Debian's Chromium (driven by Playwright) and npm (the build installs
# the SignalR browser client with it). Installed only when missing, and only where this script may (root, apt-get);
# otherwise the browser tests skip and say why (under CI=true they fail).
apt_updated=
apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: $1 is missing and this script cannot install it (it needs root and apt-get)." >&2
    return 0
  fi
  echo "Installing $1 (apt-get) ..."
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null || echo "warning: could not install $1." >&2
}
[ -x /usr/bin/chromium ] || apt_install chromium
command -v npm >/dev/null 2>&1 || apt_install npm

log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
status=0
# Detailed console output shows each test and the numbers tests print (assignment latency, ...).
dotnet test Cluster.sln -c Release --logger "console;verbosity=detailed" "$@" 2>&1 | tee "$log" || status=$?

# The runner's summary, one block per test project: "Total tests: N", "Passed: N", "Failed: N", "Skipped: N".
count() { sed -nE "s/^ +$1: +([0-9]+)\r?$/\1/p" "$log" | awk '{ n += $1 } END { print n + 0 }'; }
passed=$(count Passed) failed=$(count Failed) skipped=$(count Skipped)

echo
grep -h "^ *Assignment latency" "$log" | sed 's/^ */measured: /' || true
if compgen -G "artifacts/screenshots/*.png" >/dev/null; then echo "screenshots: artifacts/screenshots/ (browser tests)"; fi
echo "wall time: $((SECONDS - started)) s"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
