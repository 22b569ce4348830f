#!/usr/bin/env bash
# Profiles one silo in its own process under the load tool at a fixed rate, so a profile can be made again and
# compared: the silo's CPU per conversation, its runtime counters (dotnet-counters), a sampled trace of its threads
# (dotnet-trace) and the top costs by component (loadtests/profile-report.py).
#   loadtests/profile.sh                                       routing scenario at 300/s, memory storage
#   loadtests/profile.sh --rate 125 -- --scenario chat          extra options after -- go to the load tool
#   loadtests/profile.sh --postgres                             grain state and reminders in PostgreSQL (scripts/services.sh)
#   loadtests/profile.sh --sqlite                               grain state in a SQLite file, as 'dotnet run' does (a fresh one)
#   loadtests/profile.sh --trace 0                              CPU per conversation only: no trace, no counters (they cost CPU)
# Everything lands in artifacts/profile/<time>/: silo.nettrace, silo.speedscope.json, counters.csv, load.txt,
# silo.log and summary.md (the numbers and the component table). The tools are installed into .tools/ on first use.
# Orleans' own meters are left out of the counters: observing them walks the grain directory cache every second.
set -euo pipefail
cd "$(dirname "$0")/.."

rate=300
duration=30
warmup=15
trace_seconds=20
postgres=false
sqlite=false
extra=(--scenario routing)
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --trace) trace_seconds=$2; shift 2 ;;
    --postgres) postgres=true; shift ;;
    --sqlite) sqlite=true; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--rate 300] [--duration 30] [--warmup 15] [--trace 20] [--postgres | --sqlite] [-- load tool options]" >&2; exit 2 ;;
  esac
done
[ "$trace_seconds" -lt "$duration" ] || { echo "--trace must be shorter than --duration" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tools=$PWD/.tools
for tool in dotnet-trace dotnet-counters; do
  [ -x "$tools/$tool" ] || dotnet tool install "$tool" --tool-path "$tools" >/dev/null
done

silo_dll=src/Switchboard.Silo/bin/Release/net10.0/Switchboard.Silo.dll
tool_dll=loadtests/Switchboard.LoadTests/bin/Release/net10.0/Switchboard.LoadTests.dll
[ -f "$silo_dll" ] && [ -f "$tool_dll" ] || dotnet build Cluster.sln -c Release --nologo -v quiet >/dev/null

out=artifacts/profile/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
port=5190

# The silo: embedded clustering, the load tool's agents, a signing key both sides know.
key=$(head -c 32 /dev/urandom | base64)
# A service id of its own: a database shared with earlier runs (or other silos) holds nothing this silo would pick up.
silo_env=("Switchboard__Auth__SigningKey=$key" "Urls=http://127.0.0.1:$port" "Switchboard__Embedded__SiloPort=11511" "Switchboard__Embedded__GatewayPort=30511"
  "Orleans__ServiceId=profile-${out##*/}" "Orleans__ClusterId=profile-${out##*/}")
while IFS= read -r line; do silo_env+=("$line"); done < <(dotnet "$tool_dll" --print-agents env --rate "$rate" "${extra[@]}")
storage=memory
silo_env+=(Switchboard__Embedded__Storage=memory)
if $sqlite; then
  silo_env+=(Switchboard__Embedded__Storage=sqlite "Switchboard__Embedded__Database=$PWD/$out/switchboard.db")
  storage=SQLite
elif $postgres; then
  eval "$(bash scripts/services.sh start)"
  silo_env+=("ConnectionStrings__postgres=$ConnectionStrings__postgres"
    Orleans__GrainStorage__switchboard__ProviderType=Postgres Orleans__GrainStorage__switchboard__ConnectionName=postgres
    Orleans__Reminders__ProviderType=AdoNet Orleans__Reminders__Invariant=Npgsql Orleans__Reminders__ConnectionName=postgres)
  storage=PostgreSQL
fi

env "${silo_env[@]}" dotnet "$silo_dll" --contentRoot "$PWD/src/Switchboard.Silo" >"$out/silo.log" 2>&1 </dev/null &
silo=$!
stop_silo() {
  kill $silo 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 $silo 2>/dev/null || return 0; sleep 0.5; done
  kill -9 $silo 2>/dev/null || true
}
trap stop_silo EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 $silo 2>/dev/null || { echo "the silo exited; see $out/silo.log" >&2; exit 1; }
  sleep 0.5
done

# Clock ticks of CPU (user + system) the silo has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$silo/stat"; }
hz=$(getconf CLK_TCK)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
before=$(cpu_ticks)

dotnet "$tool_dll" --url "http://127.0.0.1:$port" --signing-key "$key" --rate "$rate" --duration "${duration}s" --warmup "${warmup}s" \
  --out "$out/load" "${extra[@]}" >"$out/load.txt" 2>&1 &
load=$!

# Measure in the middle of the measured time, not during the warm-up. --trace 0: no trace and no counters, so the CPU
# per conversation is the silo's alone (sampling every thread costs CPU of its own).
if [ "$trace_seconds" -gt 0 ]; then
  sleep "$((warmup + (duration - trace_seconds) / 2))"
  span="00:00:00:$(printf %02d "$trace_seconds")"
  "$tools/dotnet-counters" collect -p $silo --format csv -o "$out/counters.csv" --refresh-interval 1 --duration "$span" \
    --counters System.Runtime,Microsoft.AspNetCore.Hosting >"$out/counters.log" 2>&1 </dev/null &
  counters=$!
  "$tools/dotnet-trace" collect -p $silo --profile dotnet-sampled-thread-time --duration "$span" \
    --format Speedscope -o "$out/silo.nettrace" >"$out/trace.log" 2>&1 </dev/null || echo "dotnet-trace failed; see $out/trace.log" >&2
  wait $counters || echo "dotnet-counters failed; see $out/counters.log" >&2
fi
code=0
wait $load || code=$?
after=$(cpu_ticks)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

report=$(ls -d "$out"/load/*/ | head -1)report.json
conversations=$(python3 -c "import json,sys; l=json.load(open(sys.argv[1]))['load']; print(l['ok'] + l['failed'] + l['warmupOk'] + l['warmupFailed'])" "$report")
{
  echo "# Silo profile: $(grep '^load test ' "$out/load.txt" | tail -1)"
  echo
  echo "- rate $rate/s, ${extra[*]}, storage $storage, silo in its own process; load tool exit $code"
  echo "- silo CPU: $(( (after - before) * 1000 / hz )) ms for $conversations conversations (warm-up included$([ "$trace_seconds" -gt 0 ] && echo ", and ${trace_seconds} s of tracing")): $(python3 -c "print(f'{($after - $before) * 1000 / $hz / max(1, $conversations):.2f}')") ms per conversation"
  echo "- load average $load_before before, $load_after after"
  if [ "$trace_seconds" -gt 0 ]; then
    echo
    python3 loadtests/profile-report.py "$out/silo.speedscope.json"
  fi
} | tee "$out/summary.md"
echo "profile: $out"
