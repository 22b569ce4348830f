#!/usr/bin/env bash
# Private PostgreSQL 15 and Redis for a Switchboard cluster and its tests: loopback only, data under .services/
# (git-ignored). Idempotent: every command may be run again at any time.
#   scripts/services.sh start    install what is missing, start both, apply deploy/postgres/*.sql, print the connection strings
#   scripts/services.sh stop     stop both; the data stays in .services/ for the next start
#   scripts/services.sh env      the connection strings as shell exports:  eval "$(scripts/services.sh env)"
#   scripts/services.sh status   what runs, on which port
# Ports: SWITCHBOARD_PG_PORT (default 55432) and SWITCHBOARD_REDIS_PORT (default 56379). When another program holds a
# port (another checkout's services, say), start takes the next free one and remembers it in .services/ports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.services
ports_file=$dir/ports
export PATH=/usr/lib/postgresql/15/bin:$PATH

# Connections. Every silo gets a bounded Npgsql pool through the connection string printed below, and PostgreSQL is
# sized for what this project starts on it. Npgsql's default pool (100 per connection string per process) equals
# PostgreSQL's default max_connections (100): one busy silo could take every connection and starve the others, and a
# restarted silo could not get one to join.
# - Pool per silo, 20: Orleans' membership, reminders and grain storage share one pool per silo. Each of their
#   statements holds a connection for about a millisecond, so even hundreds of storage calls a second keep a few busy;
#   20 absorbs a burst (a silo's own start wants about 20 at once with the demo configuration; one reactivating a
#   dead silo's grains) without adding work PostgreSQL could not do any faster on its few cores. Beyond 20 a call waits for a free connection, up to Timeout (15 s, Npgsql's default,
#   written out) -- an exhausted pool queues, it does not fail at once.
# - max_connections 160 = up to 6 silos (scripts/cluster.sh start 6) x 20 = 120, + 20 for a test process's own pool
#   (SWITCHBOARD_TEST_POSTGRES: in-process silos, Orleans clients, membership checks), + 20 headroom: psql, the
#   connections of a killed silo not yet closed, and the 3 PostgreSQL keeps for superusers.
pg_pool_size=20
pg_max_connections=160

say() { echo "services: $*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL refuses to run as root, so root runs it as the 'postgres' user; anyone else runs it as themselves.
if [ "$(id -u)" -eq 0 ]; then pg_user=postgres; else pg_user=$(id -un); fi
# The redis-server package brings a 'redis' user (known only once it is installed).
redis_as() { if [ "$(id -u)" -eq 0 ] && id redis >/dev/null 2>&1; then echo redis; else id -un; fi; }
redis_user=$(redis_as)
# From /: the other user may not be allowed into the current folder.
as() { local user=$1; shift; if [ "$user" = "$(id -un)" ]; then "$@"; else (cd / && runuser -u "$user" -- "$@"); fi; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Each server runs as its own user, who must reach its folder. A checkout inside a private home (/root is mode 700)
# hides .services/ from them; their folders then live under /var/tmp, linked from .services/ so they are found again.
locate() {
  local create=${1:-}
  pg_home=$(service_home postgres "$pg_user" "$create")
  redis_dir=$(service_home redis "${redis_user:-$(id -un)}" "$create")
  pg_data=$pg_home/data
  pg_run=$pg_home/run
  pg_log=$pg_home/postgres.log
}

service_home() {
  local name=$1 user=$2 create=$3 home=$dir/$1
  if [ -L "$home" ]; then readlink "$home"; return; fi
  if [ -z "$create" ] || [ "$user" = "$(id -un)" ] || runuser -u "$user" -- test -x "$dir" 2>/dev/null; then
    echo "$home"
    return
  fi
  local elsewhere
  elsewhere=/var/tmp/switchboard-services-$(printf %s "$root" | cksum | cut -d' ' -f1)/$name
  mkdir -p "$elsewhere"
  ln -sfn "$elsewhere" "$home"
  echo "$elsewhere"
}

load_ports() {
  pg_port=${SWITCHBOARD_PG_PORT:-55432}
  redis_port=${SWITCHBOARD_REDIS_PORT:-56379}
  if [ -f "$ports_file" ]; then
    # shellcheck disable=SC1090
    . "$ports_file"
  fi
}

pg_running() { [ -f "$pg_data/postmaster.pid" ] && as "$pg_user" pg_ctl -D "$pg_data" status >/dev/null 2>&1; }
redis_pid() { local pid; pid=$(cat "$redis_dir/redis.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid"; }

install_missing() {
  local packages=()
  command -v pg_ctl >/dev/null 2>&1 || packages+=(postgresql-15)
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
  [ ${#packages[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || die "missing ${packages[*]}; install them (apt-get install ${packages[*]}) or run this as root"
  say "installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  if [ "$pg_user" = postgres ] && ! id postgres >/dev/null 2>&1; then useradd --system --home-dir /var/lib/postgresql postgres; fi
}

free_port_from() {
  local port=$1
  while port_busy "$port"; do port=$((port + 1)); done
  echo "$port"
}

start_postgres() {
  mkdir -p "$pg_home" "$pg_run"
  chown "$pg_user" "$pg_home" "$pg_run"
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    say "creating a PostgreSQL cluster in $pg_data"
    as "$pg_user" initdb -D "$pg_data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  psql_admin() { psql -h "$pg_run" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
  # A server started by an older version of this script runs with fewer connections: restart it with the new setting
  # when nobody uses it; otherwise say so and leave it running.
  if pg_running; then
    local current clients
    current=$(psql_admin -c "SHOW max_connections")
    if [ "$current" -lt "$pg_max_connections" ]; then
      clients=$(psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
      if [ "$clients" -eq 0 ]; then
        say "restarting PostgreSQL (nobody connected) to raise max_connections from $current to $pg_max_connections"
        as "$pg_user" pg_ctl -D "$pg_data" -m fast -w stop >/dev/null
      else
        say "warning: PostgreSQL runs with max_connections $current, not $pg_max_connections, and has $clients clients;" \
          "run 'scripts/services.sh stop' then 'start' once they are gone"
      fi
    fi
  fi
  if ! pg_running; then
    pg_port=$(free_port_from "$pg_port")
    # Given at every start, so a data folder made by an older version of this script gets it too.
    as "$pg_user" pg_ctl -D "$pg_data" -l "$pg_log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_run -c max_connections=$pg_max_connections" start >/dev/null
  fi
  [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'switchboard'")" = 1 ] ||
    psql_admin -c "CREATE ROLE switchboard LOGIN PASSWORD 'switchboard'"
  [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'switchboard'")" = 1 ] ||
    psql_admin -c "CREATE DATABASE switchboard OWNER switchboard"
  pg_max_now=$(psql_admin -c "SHOW max_connections")
  for script in "$root"/deploy/postgres/*.sql; do
    PGOPTIONS='-c client_min_messages=warning' psql -h "$pg_run" -p "$pg_port" -U switchboard -d switchboard -v ON_ERROR_STOP=1 -q -f "$script" >/dev/null
  done
}

start_redis() {
  mkdir -p "$redis_dir"
  chown -R "$redis_user" "$redis_dir"
  if [ -z "$(redis_pid)" ]; then
    redis_port=$(free_port_from "$redis_port")
    # Membership rows and backplane messages only: nothing worth saving to disk.
    as "$redis_user" redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$redis_dir" --daemonize yes \
      --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --save "" --appendonly no
  fi
  local waited=0
  until [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]; do
    waited=$((waited + 1))
    [ "$waited" -lt 100 ] || die "Redis did not answer on port $redis_port; see $redis_dir/redis.log"
    sleep 0.1
  done
}

print_env() {
  echo "export ConnectionStrings__postgres='Host=127.0.0.1;Port=$pg_port;Database=switchboard;Username=switchboard;Password=switchboard;Maximum Pool Size=$pg_pool_size;Timeout=15'"
  echo "export ConnectionStrings__redis='127.0.0.1:$redis_port'"
}

case "${1:-}" in
  start)
    install_missing
    redis_user=$(redis_as)
    mkdir -p "$dir"
    locate create
    load_ports
    start_postgres
    start_redis
    printf 'pg_port=%s\nredis_port=%s\n' "$pg_port" "$redis_port" >"$ports_file"
    say "PostgreSQL on 127.0.0.1:$pg_port (schema applied, max_connections $pg_max_now), Redis on 127.0.0.1:$redis_port"
    print_env
    ;;
  stop)
    locate
    load_ports
    if pg_running; then as "$pg_user" pg_ctl -D "$pg_data" -m fast -w stop >/dev/null; say "PostgreSQL stopped"; fi
    if pid=$(redis_pid); then
      kill "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      say "Redis stopped"
    fi
    ;;
  env)
    locate
    load_ports
    pg_running && [ -n "$(redis_pid)" ] || die "not running; run: scripts/services.sh start"
    print_env
    ;;
  status)
    locate
    load_ports
    if pg_running; then
      echo "postgres: running on 127.0.0.1:$pg_port (max_connections $(psql -h "$pg_run" -p "$pg_port" -U postgres -d postgres -qtA -c 'SHOW max_connections' 2>/dev/null || echo '?'))"
    else
      echo "postgres: stopped"
    fi
    if [ -n "$(redis_pid)" ]; then echo "redis: running on 127.0.0.1:$redis_port"; else echo "redis: stopped"; fi
    ;;
  *)
    echo "usage: scripts/services.sh start|stop|env|status" >&2
    exit 2
    ;;
esac
