#!/usr/bin/env bash
# Finds the highest open-model arrival rate whose p99 assignment latency stays under an SLO, each rate on a fresh
# embedded silo, rates in ascending order until one misses.
#
# On a shared machine a run is only a measurement of the server when nothing else took the CPU: before each run the
# script waits (up to 10 min) until the machine is under 15 % busy, and a run during which other processes used more
# than --max-others of the CPU (the report's otherProcessesCpuShare) is void and run again, up to --tries times.
#   loadtests/find-max-rate.sh                               chat scenario, 50 ms, rates 25 50 75 ...
#   loadtests/find-max-rate.sh --slo 50ms --rates "100 150 200" -- --scenario routing --duration 30s
#   loadtests/find-max-rate.sh --all ...                      every rate, whatever the result (a curve)
set -euo pipefail
cd "$(dirname "$0")/.."

slo=50ms
rates="25 50 75 100 125 150 175 200 250 300 400"
max_others=0.10
tries=4
all=false
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --slo) slo=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --max-others) max_others=$2; shift 2 ;;
    --tries) tries=$2; shift 2 ;;
    --all) all=true; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--slo 50ms] [--rates \"25 50 ...\"] [--max-others 0.10] [--tries 4] [--all] [-- tool options]" >&2; exit 2 ;;
  esac
done

dll=loadtests/Switchboard.LoadTests/bin/Release/net10.0/Switchboard.LoadTests.dll
[ -f "$dll" ] || dotnet build loadtests/Switchboard.LoadTests -c Release >/dev/null

# Share of all cores busy over 3 s, in percent, from /proc/stat.
busy() {
  local a b total=0 idle i
  read -ra a < /proc/stat; sleep 3; read -ra b < /proc/stat
  idle=$(( (b[4] + b[5]) - (a[4] + a[5]) ))
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

wait_quiet() {
  local waited=0 now
  while now=$(busy) && [ "$now" -ge 15 ] && [ $waited -lt 600 ]; do
    waited=$((waited + 3))
  done
  echo "$now"
}

best=none
for rate in $rates; do
  verdict=void
  for try in $(seq 1 "$tries"); do
    quiet=$(wait_quiet)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    code=0
    out=$(dotnet "$dll" --embedded --rate "$rate" --slo-p99 "$slo" --progress 10s "${extra[@]}" 2>&1) || code=$?
    line=$(grep '^load test ' <<<"$out" | tail -1 || true)
    folder=$(sed -n 's/^  reports: //p' <<<"$out" | tail -1)
    others=$(sed -nE 's/.*"otherProcessesCpuShare": ([0-9.]+).*/\1/p' "$folder/report.json" 2>/dev/null || true)
    valid=$(awk -v o="${others:-1}" -v m="$max_others" 'BEGIN { print (o <= m) ? "valid" : "void" }')
    echo "rate $rate/s, try $try ($valid: other processes ${others:-n/a} of the CPU; ${quiet} % busy before, load average $load): exit $code, ${line#load test } ($folder)"
    if [ "$valid" = valid ]; then
      verdict=$([ "$code" -eq 0 ] && echo pass || echo miss)
      break
    fi
  done
  echo "rate $rate/s: $verdict"
  if [ "$verdict" = pass ]; then
    best=$rate
  elif ! $all; then
    break
  fi
done
echo "highest rate with p99 assignment latency under $slo (quiet runs only): $best/s"
