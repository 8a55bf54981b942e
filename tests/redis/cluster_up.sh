#!/usr/bin/env bash
# Starts a 3-primary/3-replica Redis Cluster by hand (reference/distributed.md §2.4) on
# 127.0.0.1:BASE_PORT..BASE_PORT+5 and prints its directory; stop it with cluster_down.sh.
#   DIR=$(BASE_PORT=21001 tests/redis/cluster_up.sh)   # seeds: redis://127.0.0.1:21001
# Tests do not use this: they start clusters through tests/support/redis_cluster.h.
set -eu
BASE_PORT=${BASE_PORT:-21001}   # bus ports are +10000: keep both below the ephemeral range (32768+)
if [ $((BASE_PORT + 10005)) -ge 32768 ]; then
  echo "BASE_PORT + 10005 must stay below 32768 (cluster bus ports)" >&2; exit 1
fi
DIR=${DIR:-$(mktemp -d)}
PORTS=$(seq "$BASE_PORT" $((BASE_PORT + 5)))
: > "$DIR/pids"
for p in $PORTS; do
  mkdir -p "$DIR/$p"
  redis-server --port "$p" --bind 127.0.0.1 --save '' \
    --appendonly yes --appendfsync everysec \
    --cluster-enabled yes --cluster-config-file "$DIR/$p/nodes.conf" \
    --cluster-node-timeout 2000 --repl-diskless-sync-delay 0 \
    --dir "$DIR/$p" --daemonize yes \
    --pidfile "$DIR/$p/redis.pid" --logfile "$DIR/$p/redis.log"
done
for p in $PORTS; do
  for _ in $(seq 1 250); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.02; done
  [ -s "$DIR/$p/redis.pid" ] || { echo "node $p failed, see $DIR/$p/redis.log" >&2; exit 1; }
  cat "$DIR/$p/redis.pid" >> "$DIR/pids"
done
redis-cli --cluster create $(for p in $PORTS; do printf '127.0.0.1:%s ' "$p"; done) \
  --cluster-replicas 1 --cluster-yes > "$DIR/create.log"
for p in $PORTS; do   # bounded waits: a node that never gets there is an error
  for i in $(seq 1 1500); do
    redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok' && break
    [ "$i" = 1500 ] && { echo "node $p: cluster_state not ok after 30 s" >&2; exit 1; }
    sleep 0.02
  done
done
for p in $PORTS; do   # replicas: wait for the first sync before any failover test
  if [ "$(redis-cli -p "$p" role | head -1)" = slave ]; then
    for i in $(seq 1 1500); do
      redis-cli -p "$p" info replication | grep -q 'master_link_status:up' && break
      [ "$i" = 1500 ] && { echo "replica $p: link not up after 30 s" >&2; exit 1; }
      sleep 0.02
    done
  fi
done
echo "$DIR"
