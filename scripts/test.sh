#!/usr/bin/env bash
# Runs every test suite of the product, installing what they need first. CI runs exactly this (.ci/run).
#   scripts/test.sh            all tests
#   scripts/test.sh --filter X extra arguments go to 'dotnet test'
# The cluster tests need PostgreSQL and Redis: scripts/services.sh installs what is missing and starts private ones
# under .services/ (stopped again at the end unless they were running before). docker-compose (Debian's, without an
# engine) validates docker-compose.yml. Without them those tests skip and say why; under CI=true they fail instead.
#   SMOKE=0 scripts/test.sh    skip the load-test smoke run (about 20 s)
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
services_started_here=false
stop_services() {
  if [ "$services_started_here" = true ]; then
    bash scripts/services.sh stop 2>/dev/null || true
    services_started_here=false
  fi
}
trap 'stop_services; rm -f "$log"' EXIT
started=$SECONDS

if ! command -v docker-compose >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "tests: installing docker-compose (without an engine)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; } ||
    echo "tests: could not install docker-compose; the compose test will skip" >&2
fi

bash scripts/services.sh status | grep -q "postgres: running" || services_started_here=true
if services=$(bash scripts/services.sh start); then
  SWITCHBOARD_TEST_POSTGRES=$(sed -n "s/^export ConnectionStrings__postgres='\(.*\)'$/\1/p" <<<"$services")
  SWITCHBOARD_TEST_REDIS=$(sed -n "s/^export ConnectionStrings__redis='\(.*\)'$/\1/p" <<<"$services")
  export SWITCHBOARD_TEST_POSTGRES SWITCHBOARD_TEST_REDIS
else
  echo "tests: PostgreSQL and Redis could not be started; the cluster tests will skip (or fail under CI=true)" >&2
fi

status=0
dotnet build Cluster.sln -c Release 2>&1 | tee "$log" || status=$?
integration_seconds=0
if [ "$status" -eq 0 ]; then
  # One project at a time: the cluster tests start silo processes whose failure detectors must not starve for CPU.
  for project in tests/Switchboard.Tests tests/Switchboard.BrowserTests tests/Switchboard.IntegrationTests; do
    project_started=$SECONDS
    # Detailed console output shows each test and the numbers tests print (assignment latency, failure detection...).
    dotnet test "$project" -c Release --no-build --logger "console;verbosity=detailed" "$@" 2>&1 | tee -a "$log" || status=$?
    [ "$project" = tests/Switchboard.IntegrationTests ] && integration_seconds=$((SECONDS - project_started))
  done
fi
stop_services

# The load-test tool's smoke run: ~20 s of simulated customers and agents against an embedded silo on loopback.
# It counts as one test: it fails when any conversation fails or an agent is given more than its capacity.
smoke=skipped
if [ "${SMOKE:-1}" != 0 ]; then
  smoke_started=$SECONDS
  smoke_status=0
  dotnet loadtests/Switchboard.LoadTests/bin/Release/net10.0/Switchboard.LoadTests.dll --scenario smoke 2>&1 | tee -a "$log" || smoke_status=$?
  smoke="$( (grep -h '^load test ' "$log" || echo "load test did not finish") | tail -1 | sed 's/^load test //'), exit $smoke_status, $((SECONDS - smoke_started)) s"
  if [ "$status" -eq 0 ]; then
    status=$smoke_status
  fi
fi

# The runner's summary, one block per test project: "Total tests: N", "Passed: N", "Failed: N", "Skipped: N".
count() { sed -nE "s/^ +$1: +([0-9]+)\r?$/\1/p" "$log" | awk '{ n += $1 } END { print n + 0 }'; }
passed=$(count Passed) failed=$(count Failed) skipped=$(count Skipped)
case "$smoke" in
  skipped) ;;
  passed:*) passed=$((passed + 1)) ;;
  *) failed=$((failed + 1)) ;;
esac

echo
grep -hE "^ *(Assignment latency|measured: )" "$log" | sed -E 's/^ *(measured: )?/measured: /' | awk '!seen[$0]++' || true
if compgen -G "artifacts/screenshots/*.png" >/dev/null; then echo "screenshots: artifacts/screenshots/ (browser tests)"; fi
echo "smoke: $smoke"
# The names of failed tests and the first lines of their messages, so the tail of a CI log says which test failed.
if grep -qE "^ +Failed [A-Za-z_][A-Za-z0-9_.]+ \[" "$log"; then
  echo "failed tests:"
  grep -hE -A 6 "^ +Failed [A-Za-z_][A-Za-z0-9_.]+ \[" "$log" | grep -vE "^ +Stack Trace:|^ +at " | head -60 | sed 's/^/  /'
fi
echo "wall time: $((SECONDS - started)) s (of which cluster and integration tests: $integration_seconds s)"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
