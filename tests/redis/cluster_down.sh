#!/usr/bin/env bash
# Stops exactly the servers cluster_up.sh started (the pids recorded in DIR/pids) and waits
# for them to be gone (not merely defunct), then removes DIR.
#   tests/redis/cluster_down.sh "$DIR"
set -u
DIR=${1:?usage: cluster_down.sh DIR}
[ -f "$DIR/pids" ] || { echo "$DIR/pids not found" >&2; exit 1; }
for pid in $(cat "$DIR/pids"); do kill "$pid" 2>/dev/null || true; done
for pid in $(cat "$DIR/pids"); do
  for _ in $(seq 1 100); do ps -o stat= -p "$pid" 2>/dev/null | grep -qv Z || break; sleep 0.05; done
done
rm -rf "$DIR"
