#!/usr/bin/env bash
# Runs every test suite of the product, installing what they need first. CI runs exactly this (.ci/run).
#   scripts/test.sh            all tests
#   scripts/test.sh --filter X extra arguments go to 'dotnet test'
#   SMOKE=0 scripts/test.sh    skip the load-test smoke run (about 20 s)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
status=0
# Detailed console output shows each test and the numbers tests print (assignment latency, ...).
dotnet test Cluster.sln -c Release --logger "console;verbosity=detailed" "$@" 2>&1 | tee "$log" || status=$?

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
grep -h "^ *Assignment latency" "$log" | sed 's/^ */measured: /' || true
echo "smoke: $smoke"
echo "wall time: $((SECONDS - started)) s"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
