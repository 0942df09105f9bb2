#!/bin/sh
# A Redis primary and one replica on 127.0.0.1 for `ssai serve` with kv.backend "redis"
# (reference/server/README.md "Redis"): the coordinator writes the primary, edges read the replica.
#
#   scripts/redis.sh start DIR PRIMARY_PORT REPLICA_PORT   # daemonized, pidfiles + logs in DIR
#   scripts/redis.sh stop DIR                               # stops both (bounded wait)
#
# No persistence (no RDB snapshots, no AOF; replication streams the snapshot over the socket,
# without delay): a restart starts empty. `start` returns once the
# replica reports master_link_status:up (at most ~10 s), else it stops both and exits 1.
set -eu

usage() {
  echo "usage: $0 start DIR PRIMARY_PORT REPLICA_PORT | stop DIR" >&2
  exit 2
}

# start_one DIR NAME PORT [replicaof args...]
start_one() {
  dir=$1 name=$2 port=$3
  shift 3
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --save "" --appendonly no \
    --dir "$dir" --dbfilename "$name.rdb" --daemonize yes --pidfile "$dir/$name.pid" \
    --logfile "$dir/$name.log" --loglevel notice \
    --repl-diskless-sync yes --repl-diskless-sync-delay 0 --repl-diskless-load on-empty-db "$@"
}

# stop_one DIR NAME: SIGTERM, wait up to 5 s, then SIGKILL.
stop_one() {
  pidfile=$1/$2.pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  start)
    [ $# -eq 4 ] || usage
    dir=$2 primary=$3 replica=$4
    command -v redis-server >/dev/null || { echo "redis.sh: redis-server not found (Debian redis-server)" >&2; exit 1; }
    mkdir -p "$dir"
    start_one "$dir" primary "$primary"
    start_one "$dir" replica "$replica" --replicaof 127.0.0.1 "$primary"
    i=0
    while [ $i -lt 100 ]; do
      if redis-cli -h 127.0.0.1 -p "$replica" info replication 2>/dev/null | grep -q 'master_link_status:up'; then
        echo "redis primary 127.0.0.1:$primary, replica 127.0.0.1:$replica (link up)"
        exit 0
      fi
      sleep 0.1
      i=$((i + 1))
    done
    echo "redis.sh: replica 127.0.0.1:$replica never reported master_link_status:up; logs in $dir" >&2
    stop_one "$dir" replica
    stop_one "$dir" primary
    exit 1
    ;;
  stop)
    [ $# -eq 2 ] || usage
    stop_one "$2" replica
    stop_one "$2" primary
    ;;
  *) usage ;;
esac
