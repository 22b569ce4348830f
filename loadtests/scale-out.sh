#!/usr/bin/env bash
# Scale-out on PostgreSQL: the same load against one silo, three silos (clients spread over them) and three silos behind
# two gateways (clients on the gateways only), each on a fresh cluster (scripts/cluster.sh) with a service id of its
# own, the topologies taking turns round by round so that each sees the same machine. For every run it records the
# work done (conversations in the measured time), the CPU of every cluster process in that time (silos, gateways) and
# of PostgreSQL and Redis, the tool's latencies and failures, and the share of the CPU other processes took.
#   loadtests/scale-out.sh                                   chat at 50/s, 40 s measured after 15 s, 3 rounds
#   loadtests/scale-out.sh --rate 100 --rounds 1 --topologies "1 3+2" -- --scenario routing
# Topologies: N (N silos, clients on every silo) or N+G (N silos, G gateways, clients on the gateways).
# Everything lands in artifacts/scale-out/<time>/: one folder per run (the tool's report, every process's log) and
# summary.md (one table row per run, then the medians per topology).
set -euo pipefail
cd "$(dirname "$0")/.."

rate=50
duration=40
warmup=15
rounds=3
topologies="1 3 3+2"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --topologies) topologies=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--rate 50] [--duration 40] [--warmup 15] [--rounds 3] [--topologies \"1 3 3+2\"] [-- load tool options]" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tool_dll=loadtests/Switchboard.LoadTests/bin/Release/net10.0/Switchboard.LoadTests.dll
[ -f src/Switchboard.Silo/bin/Release/net10.0/Switchboard.Silo.dll ] && [ -f "$tool_dll" ] \
  || dotnet build Cluster.sln -c Release --nologo -v quiet >/dev/null
eval "$(bash scripts/services.sh start)"
redis_port=${ConnectionStrings__redis##*:}
pg_pid=$(head -1 .services/postgres/data/postmaster.pid)
redis_pid=$(pgrep -f "redis-server 127.0.0.1:$redis_port" | head -1)
hz=$(getconf CLK_TCK)
out=artifacts/scale-out/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
# One run at a time: two would share the cluster's ports and pid files (and measure each other).
exec 9>.services/scale-out.lock
flock -n 9 || { echo "another loadtests/scale-out.sh is running" >&2; exit 1; }
trap 'bash scripts/cluster.sh stop >/dev/null 2>&1 || true' EXIT
bash scripts/cluster.sh stop >/dev/null 2>&1 || true

# CPU ticks of processes, read with shell builtins only: the machine is saturated while they are sampled, and forking
# tools there took seconds, which moved the window past the tool's end.
# Fields after "pid (comm) ": 0 state, 1 ppid, ..., 11 utime, 12 stime, 13 cutime, 14 cstime.
fields() { local line; read -r line <"/proc/$1/stat" 2>/dev/null || return 1; read -ra f <<<"${line##*) }"; }
ticks() {
  local pid
  n=0
  for pid in "$@"; do fields "$pid" && n=$((n + f[11] + f[12])); done
  return 0
}
# PostgreSQL: the postmaster with the backends it has reaped, and the backends alive now.
pg_ticks() {
  local stat pid
  n=0
  fields "$pg_pid" && n=$((f[11] + f[12] + f[13] + f[14]))
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}; pid=${pid%/stat}
    fields "$pid" && [ "${f[1]}" = "$pg_pid" ] && n=$((n + f[11] + f[12]))
  done
  return 0
}
# The machine: busy = user + nice + system + irq + softirq + steal; all adds idle and iowait.
machine() { local c; read -ra c </proc/stat; busy=$((c[1] + c[2] + c[3] + c[6] + c[7] + c[8])); all=$((busy + c[4] + c[5])); }
# One sample of everything, without a fork: cluster, PostgreSQL, Redis, tool, machine busy, machine all.
sample() {
  local -n into=$1
  ticks "${pids[@]}"; into=($n)
  pg_ticks; into+=($n)
  ticks "$redis_pid"; into+=($n)
  ticks "$tool"; into+=($n)
  machine; into+=($busy $all)
}
cluster_pids() { local file; for file in .services/cluster/silo-*.pid .services/cluster/gateway-*.pid; do [ -e "$file" ] && echo "$(<"$file")"; done; }

rows=$out/rows.tsv
: >"$rows"
for round in $(seq 1 "$rounds"); do
  for topology in $topologies; do
    silos=${topology%%+*}
    gateways=0
    [[ "$topology" == *+* ]] && gateways=${topology##*+}
    run=$out/r$round-$topology
    mkdir -p "$run"
    prefix="s${round}t${silos}g${gateways}x"
    id="scale-${out##*/}-r$round-$topology"
    # Every process needs the tool's agents; a cluster of its own keeps earlier runs' grains out of this one.
    (
      while IFS= read -r line; do export "${line?}"; done < <(dotnet "$tool_dll" --print-agents env --rate "$rate" --agent-prefix "$prefix" "${extra[@]}")
      export Orleans__ClusterId=$id Orleans__ServiceId=$id
      if [ "$gateways" -gt 0 ]; then
        bash scripts/cluster.sh start "$silos" --gateways "$gateways"
      else
        bash scripts/cluster.sh start "$silos"
      fi
    ) >"$run/cluster.txt" 2>&1
    urls=()
    if [ "$gateways" -gt 0 ]; then
      for g in $(seq 0 $((gateways - 1))); do urls+=("http://127.0.0.1:$((${SWITCHBOARD_GATEWAY_HTTP_PORT:-5181} + g))"); done
    else
      for i in $(seq 0 $((silos - 1))); do urls+=("http://127.0.0.1:$((${SWITCHBOARD_HTTP_PORT:-5081} + i))"); done
    fi
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    dotnet "$tool_dll" --url "$(IFS=,; echo "${urls[*]}")" --signing-key "$(cat .services/cluster/signing-key)" \
      --agent-prefix "$prefix" --rate "$rate" --duration "${duration}s" --warmup "${warmup}s" --out "$run/load" --progress 1s "${extra[@]}" \
      >"$run/load.txt" 2>&1 &
    tool=$!
    # The measured window: from the end of the warm-up to the end of the measured time (the drain after it is not
    # new work). The tool signs its agents in before its warm-up starts; its first progress line (1 s in) says it began.
    for _ in $(seq 1 1200); do grep -q "warm-up" "$run/load.txt" 2>/dev/null && break; kill -0 $tool 2>/dev/null || break; sleep 0.1; done
    sleep "$((warmup - 1))"
    mapfile -t pids < <(cluster_pids)
    sample s0
    sleep "$duration"
    sample s1
    code=0
    wait $tool || code=$?
    load_after=$(cut -d' ' -f1-3 /proc/loadavg)
    bash scripts/cluster.sh stop >/dev/null 2>&1 || true
    cp .services/cluster/*.log "$run/" 2>/dev/null || true
    report=$(ls -d "$run"/load/*/ 2>/dev/null | head -1)report.json
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$topology" "$code" "$report" \
      $((s1[0] - s0[0])) $((s1[1] - s0[1])) $((s1[2] - s0[2])) $((s1[3] - s0[3])) $((s1[4] - s0[4])) $((s1[5] - s0[5])) "$hz" "$load_before" "$load_after" >>"$rows"
    python3 loadtests/scale-out-report.py "$rows" "$duration" >"$out/summary.md"
    tail -n +3 "$out/summary.md" | grep "^| $round | $topology " || true
  done
done
cat "$out/summary.md"
echo "scale-out: $out"
