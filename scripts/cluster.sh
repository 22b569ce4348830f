#!/usr/bin/env bash
# A Switchboard cluster of N silo processes on loopback, on the PostgreSQL and Redis of scripts/services.sh
# (started here if they are not running). Logs and pid files go to .services/cluster/.
#   scripts/cluster.sh start [N] [--membership postgres|redis] [--gateways G]
#                                 N silos (default 3), each waited for until it has joined; with --gateways, G gateway
#                                 processes in front of them (the connection tier: Switchboard__Role=Gateway, an Orleans
#                                 client hosting the hubs, the HTTP API and the pages), each waited for until it serves
#   scripts/cluster.sh stop       SIGTERM to every gateway, then to every silo: each silo leaves the cluster cleanly
#   scripts/cluster.sh status
#   scripts/cluster.sh add                                        one more silo, under load: it joins and takes a share of
#                                                                 new work (placement) and of the deadline shards at once
#   scripts/cluster.sh remove [NAME]                              SIGTERM to one silo (default: the newest): it refuses new
#                                                                 requests, hands its queues over and leaves; its clients
#                                                                 reconnect to the others
# Silo i (from 0) serves http://127.0.0.1:$((5081 + i)) (SWITCHBOARD_HTTP_PORT moves the base), with Orleans silo port
# 11211 + i and gateway port 30211 + i, clear of an embedded silo on its defaults. Gateway g serves
# http://127.0.0.1:$((5181 + g)) (SWITCHBOARD_GATEWAY_HTTP_PORT moves that base); it listens on no Orleans port. Silos
# serve the web front end too, so clients may use either; behind a load balancer, point it at the gateways. Any setting can be added through the
# environment, for example faster failure detection:
#   Orleans__Membership__ProbeTimeout=00:00:01 Orleans__Membership__NumMissedProbesLimit=2 scripts/cluster.sh start
# Every silo checks tokens with one signing key, made at the first start and kept in .services/cluster/signing-key
# (mode 600; delete it to change the key, which ends every token signed with the old one). Switchboard__Auth__SigningKey
# in the environment takes precedence. An agent's token for the console:
#   Switchboard__Auth__SigningKey=$(cat .services/cluster/signing-key) \
#     dotnet src/Switchboard.Silo/bin/Release/net10.0/Switchboard.Silo.dll token sam --contentRoot "$PWD/src/Switchboard.Silo"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.services/cluster
silo_dll=$root/src/Switchboard.Silo/bin/Release/net10.0/Switchboard.Silo.dll
key_file=$dir/signing-key
http_base=${SWITCHBOARD_HTTP_PORT:-5081}
gateway_http_base=${SWITCHBOARD_GATEWAY_HTTP_PORT:-5181}

say() { echo "cluster: $*" >&2; }
die() { say "$*"; exit 1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { local pid; pid=$(cat "$1" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; }

start() {
  local count=3 membership=postgres gateways=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --membership) membership=${2:?--membership needs postgres or redis}; shift 2 ;;
      --gateways)
        gateways=${2:?--gateways needs a count}; shift 2
        [[ "$gateways" =~ ^[0-9]+$ ]] || die "--gateways is a count, not '$gateways'" ;;
      [0-9]*) count=$1; shift ;;
      *) die "unknown argument '$1'" ;;
    esac
  done
  for pid_file in "$dir"/silo-*.pid "$dir"/gateway-*.pid; do
    [ -e "$pid_file" ] && alive "$pid_file" && die "a cluster is running already (scripts/cluster.sh stop first)"
  done
  mkdir -p "$dir"
  rm -f "$dir"/silo-*.pid "$dir"/gateway-*.pid
  local key_hint="\$(cat $key_file)"
  if [ -n "${Switchboard__Auth__SigningKey:-}" ]; then
    key_hint="<your Switchboard__Auth__SigningKey>"
  else
    if [ ! -s "$key_file" ]; then
      # 32 random bytes, the HMAC-SHA256 key size; readable by this user only.
      (umask 077 && printf 'base64:%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" >"$key_file")
      say "made a signing key: $key_file"
    fi
    chmod 600 "$key_file"
    Switchboard__Auth__SigningKey=$(cat "$key_file")
  fi
  export Switchboard__Auth__SigningKey

  eval "$(bash "$root/scripts/services.sh" start)"
  say "building the silo"
  dotnet build "$root/src/Switchboard.Silo" -c Release --nologo -v quiet >"$dir/build.log" 2>&1 ||
    die "the build failed; see $dir/build.log"
  printf '%s\n' "$membership" >"$dir/membership"
  configure "$membership"
  local i
  for ((i = 0; i < count; i++)); do
    launch "$i"
  done
  for ((i = 0; i < count; i++)); do
    wait_joined "$i"
  done
  say "$count silos joined cluster '$Orleans__ClusterId' ($membership membership, PostgreSQL storage and reminders, Redis backplane)"
  local front=$http_base
  if [ "$gateways" -gt 0 ]; then
    start_gateways "$gateways"
    front=$gateway_http_base
  fi
  say "sign in to the console (http://127.0.0.1:$front/) with a token; for the supervisor sam:"
  say "  Switchboard__Auth__SigningKey=$key_hint dotnet $silo_dll token sam --contentRoot $root/src/Switchboard.Silo"
  say "load test: dotnet loadtests/Switchboard.LoadTests/bin/Release/net10.0/Switchboard.LoadTests.dll --url http://127.0.0.1:$front --signing-key \"$key_hint\" (agents: --print-agents)"
}

# The environment every silo of the cluster starts with (the signing key and services are set by the caller).
configure() {
  local membership=$1
  export Orleans__ClusterId=${Orleans__ClusterId:-switchboard-local} Orleans__ServiceId=${Orleans__ServiceId:-switchboard}
  export Orleans__Endpoints__AdvertisedIPAddress=127.0.0.1
  case "$membership" in
    postgres)
      export Orleans__Clustering__ProviderType=AdoNet Orleans__Clustering__Invariant=Npgsql Orleans__Clustering__ConnectionName=postgres ;;
    redis)
      export Orleans__Clustering__ProviderType=Redis Orleans__Clustering__ConnectionName=redis ;;
    *) die "--membership is postgres or redis, not '$membership'" ;;
  esac
  export Orleans__GrainStorage__switchboard__ProviderType=Postgres Orleans__GrainStorage__switchboard__ConnectionName=postgres
  export Orleans__Reminders__ProviderType=AdoNet Orleans__Reminders__Invariant=Npgsql Orleans__Reminders__ConnectionName=postgres
}

# Silo i: HTTP port http_base + i, silo port 11211 + i, gateway port 30211 + i.
launch() {
  local i=$1
  local http=$((http_base + i)) silo=$((11211 + i)) gateway=$((30211 + i))
  for port in $http $silo $gateway; do
    port_busy "$port" && die "port $port is taken; stop what holds it or set SWITCHBOARD_HTTP_PORT"
  done
  Urls=http://127.0.0.1:$http Orleans__Name=silo-$i Orleans__Endpoints__SiloPort=$silo Orleans__Endpoints__GatewayPort=$gateway \
    setsid dotnet "$silo_dll" --contentRoot "$root/src/Switchboard.Silo" >"$dir/silo-$i.log" 2>&1 </dev/null &
  echo $! >"$dir/silo-$i.pid"
}

wait_joined() { wait_serving "silo-$1" $((http_base + $1)) "join"; }

# Waits (up to 90 s) until a started process (silo-i or gateway-g) says it serves, and prints where.
wait_serving() {
  local name=$1 http=$2 what=$3 waited=0
  until grep -q "Switchboard is serving on" "$dir/$name.log"; do
    alive "$dir/$name.pid" || die "$name exited while starting; see $dir/$name.log"
    waited=$((waited + 1))
    [ "$waited" -lt 900 ] || die "$name did not $what within 90 s; see $dir/$name.log"
    sleep 0.1
  done
  say "$name serves http://127.0.0.1:$http (log: $dir/$name.log)"
}

signing_key() {
  if [ -z "${Switchboard__Auth__SigningKey:-}" ]; then
    [ -s "$key_file" ] || die "no signing key in $key_file: start the cluster with scripts/cluster.sh start first"
    Switchboard__Auth__SigningKey=$(cat "$key_file")
  fi
  export Switchboard__Auth__SigningKey
}

add() {
  [ $# -eq 0 ] || die "add takes no arguments"
  local running=0 pid_file
  for pid_file in "$dir"/silo-*.pid; do
    [ -e "$pid_file" ] && alive "$pid_file" && running=$((running + 1))
  done
  [ "$running" -gt 0 ] || die "no silo is running: scripts/cluster.sh start first"
  signing_key
  eval "$(bash "$root/scripts/services.sh" start)"
  configure "$(cat "$dir/membership" 2>/dev/null || echo postgres)"
  # The lowest free number: a removed silo's number (and ports) are used again.
  local i=0
  while [ -e "$dir/silo-$i.pid" ] && alive "$dir/silo-$i.pid"; do i=$((i + 1)); done
  rm -f "$dir/silo-$i.pid"
  launch "$i"
  wait_joined "$i"
  say "silo-$i joined: it takes new conversations at once, and deadline shards move to it once membership has been steady for a few seconds"
}

remove() {
  local name=${1:-} pid_file
  if [ -z "$name" ]; then
    # The newest running silo.
    name=$(for pid_file in "$dir"/silo-*.pid; do [ -e "$pid_file" ] && alive "$pid_file" && basename "$pid_file" .pid; done | sort -t- -k2 -n | tail -1)
    [ -n "$name" ] || die "no silo is running"
  fi
  pid_file=$dir/$name.pid
  [ -e "$pid_file" ] && alive "$pid_file" || die "$name is not running (scripts/cluster.sh status)"
  local pid waited=0 started=$SECONDS
  pid=$(cat "$pid_file")
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    waited=$((waited + 1))
    if [ "$waited" -ge 600 ]; then kill -KILL "$pid" 2>/dev/null || true; die "$name did not stop within 60 s and was killed; see $dir/$name.log"; fi
    sleep 0.1
  done
  rm -f "$pid_file"
  say "$name left the cluster in $((SECONDS - started)) s (log: $dir/$name.log)"
}

# G gateway processes for the running silos, with the environment start() exported (cluster id, clustering, Redis,
# signing key): the same executable as a silo, as an Orleans client. It ignores the silo-only settings (storage,
# reminders, endpoints).
start_gateways() {
  local count=$1 g
  for ((g = 0; g < count; g++)); do
    local http=$((gateway_http_base + g))
    port_busy "$http" && die "port $http is taken; stop what holds it or set SWITCHBOARD_GATEWAY_HTTP_PORT"
    Switchboard__Role=Gateway Urls=http://127.0.0.1:$http Orleans__Name=gateway-$g \
      setsid dotnet "$silo_dll" --contentRoot "$root/src/Switchboard.Silo" >"$dir/gateway-$g.log" 2>&1 </dev/null &
    echo $! >"$dir/gateway-$g.pid"
  done

  for ((g = 0; g < count; g++)); do
    wait_serving "gateway-$g" $((gateway_http_base + g)) "serve"
  done
  say "$count gateways in front of the silos (Redis backplane between them)"
}

stop() {
  # Gateways first: their clients move on (to another gateway, or a silo) while the silos still serve them.
  terminate gateway
  terminate silo
}

# SIGTERM to every running process of a kind (silo or gateway), then waits up to 30 s for each (SIGKILL past that).
terminate() {
  local kind=$1 pids=() pid_file pid waited
  for pid_file in "$dir/$kind"-*.pid; do
    [ -e "$pid_file" ] || continue
    if alive "$pid_file"; then
      pids+=("$(cat "$pid_file")")
      kill -TERM "$(cat "$pid_file")"
    fi
    rm -f "$pid_file"
  done
  [ "${#pids[@]}" -gt 0 ] || { [ "$kind" = gateway ] || say "0 silos stopped"; return 0; }
  for pid in "${pids[@]}"; do
    waited=0
    while kill -0 "$pid" 2>/dev/null; do
      waited=$((waited + 1))
      if [ "$waited" -ge 300 ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
      sleep 0.1
    done
  done
  say "${#pids[@]} ${kind}s stopped"
}

status() {
  local pid_file found=0
  for pid_file in "$dir"/silo-*.pid "$dir"/gateway-*.pid; do
    [ -e "$pid_file" ] || continue
    found=1
    local name; name=$(basename "$pid_file" .pid)
    if alive "$pid_file"; then echo "$name: running (pid $(cat "$pid_file"))"; else echo "$name: exited (see $dir/$name.log)"; fi
  done
  [ "$found" -eq 1 ] || echo "no silos or gateways"
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  start) start "$@" ;;
  stop) stop ;;
  status) status ;;
  add) add "$@" ;;
  remove) remove "$@" ;;
  *) echo "usage: scripts/cluster.sh start [N] [--membership postgres|redis] [--gateways G] | stop | status | add | remove [silo-N]" >&2; exit 2 ;;
esac
