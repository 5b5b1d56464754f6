#!/usr/bin/env bash
# Smoke test of scripts/pg-cluster against real servers: bring-up, replication, replay pause,
# replica crash, primary restart, stale state from a killed run, down/up cycles, and that the
# password appears in no output but `env`.
#
# It uses its own directory and ports (SWITCHYARD_PG_DIR=/tmp/switchyard-pg-smoke, port base
# 58432, unless set), so it does not disturb a cluster that tests are using. Takes ~30 s.
# Prints timings and ends with "N passed, N failed".
set -uo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
CLUSTER="$ROOT/scripts/pg-cluster"
export SWITCHYARD_PG_DIR="${SMOKE_PG_DIR:-/tmp/switchyard-pg-smoke}"
export SWITCHYARD_PG_PORT_BASE="${SMOKE_PG_PORT_BASE:-58432}"
export SWITCHYARD_PG_PASSWORD="${SWITCHYARD_PG_PASSWORD:-sy-Pw-7f3kQz}"
OUT="$(mktemp -d)/smoke-output.log" # every command's output, searched for the password at the end

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
ko() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@" >>"$OUT" 2>&1; then ok "$what"; else ko "$what"; fi
}
check_fails() {
  local what="$1"
  shift
  if "$@" >>"$OUT" 2>&1; then ko "$what (succeeded, expected failure)"; else ok "$what"; fi
}
timed() { # DESCRIPTION COMMAND...: like check, and prints the wall time
  local what="$1" t0 t1
  shift
  t0=$EPOCHREALTIME
  if "$@" >>"$OUT" 2>&1; then
    t1=$EPOCHREALTIME
    ok "$what ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
  else
    ko "$what"
  fi
}
pg() { "$CLUSTER" "$@"; }

# q SERVER SQL: one value over TCP with the password (the path the library takes).
q() {
  local port
  case "$1" in
    primary) port=$SWITCHYARD_PG_PRIMARY_PORT ;;
    replica) port=$SWITCHYARD_PG_REPLICA_PORT ;;
    second) port=$SWITCHYARD_PG_SECOND_PORT ;;
  esac
  PGPASSWORD="$SWITCHYARD_PG_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -A -t -v ON_ERROR_STOP=1 \
    -h "$SWITCHYARD_PG_HOST" -p "$port" -U "$SWITCHYARD_PG_USER" -d "$SWITCHYARD_PG_DATABASE" -c "$2" 2>>"$OUT"
}
eq() { # DESCRIPTION EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then ok "$1"; else ko "$1 (expected '$2', got '$3')"; fi
}

pg down >>"$OUT" 2>&1
timed "up from nothing" pg up
if [[ $failed -ne 0 ]]; then
  cat "$OUT"
  echo "cluster-smoke: $passed passed, $failed failed (up failed: not going on, so as not to talk to another server on these ports)"
  exit 1
fi
timed "up again (idempotent)" pg up
eval "$(pg env)"
eq "env points at this script" "$CLUSTER" "$SWITCHYARD_PG_CLUSTER"
check "status: all healthy" pg status

# Authentication: the password works over TCP, a wrong one does not.
eq "password login to primary" 1 "$(q primary 'SELECT 1')"
eq "password login to replica" 1 "$(q replica 'SELECT 1')"
eq "password login to second" 1 "$(q second 'SELECT 1')"
eq "wrong password refused" "" "$(SWITCHYARD_PG_PASSWORD=wrong q primary 'SELECT 1')"
eq "primary is not in recovery" f "$(q primary 'SELECT pg_is_in_recovery()')"
eq "replica is in recovery" t "$(q replica 'SELECT pg_is_in_recovery()')"
eq "second is not in recovery" f "$(q second 'SELECT pg_is_in_recovery()')"

# Replication.
q primary "DROP TABLE IF EXISTS smoke; CREATE TABLE smoke (id int primary key, v text)" >/dev/null
q primary "INSERT INTO smoke VALUES (1, 'one')" >/dev/null
check "wait-catchup after a write" pg wait-catchup 10
eq "write on primary visible on replica" one "$(q replica 'SELECT v FROM smoke WHERE id = 1')"
err="$(PGPASSWORD="$SWITCHYARD_PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$SWITCHYARD_PG_REPLICA_PORT" -U switchyard \
  -d switchyard_test -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "INSERT INTO smoke VALUES (2, 'x')" 2>&1)"
if [[ $err == *25006* ]]; then ok "write on replica refused with 25006"; else ko "write on replica refused with 25006: $err"; fi
eq "second is independent (no smoke table)" "" "$(q second "SELECT to_regclass('smoke')")"

# Replay pause: writes stop showing up on the replica until resumed.
check "pause-replay" pg pause-replay
q primary "INSERT INTO smoke VALUES (3, 'three')" >/dev/null
check_fails "wait-catchup times out while paused" pg wait-catchup 2
eq "paused replica does not see the write" "" "$(q replica 'SELECT v FROM smoke WHERE id = 3')"
check "resume-replay" pg resume-replay
check "resume-replay again (not paused) is safe" pg resume-replay
check "wait-catchup after resume" pg wait-catchup 10
eq "resumed replica sees the write" three "$(q replica 'SELECT v FROM smoke WHERE id = 3')"

# Replica crash and restart.
timed "kill-replica" pg kill-replica
eq "replica refuses connections after the crash" "" "$(q replica 'SELECT 1')"
check_fails "status reports the replica down" pg status
q primary "INSERT INTO smoke VALUES (4, 'four')" >/dev/null
timed "start-replica" pg start-replica
check "wait-catchup after restart" pg wait-catchup 10
eq "restarted replica caught up" four "$(q replica 'SELECT v FROM smoke WHERE id = 4')"

# Primary down and back.
timed "stop-primary" pg stop-primary
eq "primary refuses connections" "" "$(q primary 'SELECT 1')"
eq "replica still serves reads with the primary down" four "$(q replica 'SELECT v FROM smoke WHERE id = 4')"
timed "start-primary (waits for the replica to stream again)" pg start-primary
q primary "INSERT INTO smoke VALUES (5, 'five')" >/dev/null
check "wait-catchup after primary restart" pg wait-catchup 10
eq "replication resumed after primary restart" five "$(q replica 'SELECT v FROM smoke WHERE id = 5')"

# Second primary down and back.
check "stop-second" pg stop-second
eq "second refuses connections" "" "$(q second 'SELECT 1')"
check "start-second" pg start-second
eq "second back" 1 "$(q second 'SELECT 1')"

# psql and logs convenience commands.
eq "psql replica convenience" t "$(pg psql replica -Atc 'SELECT pg_is_in_recovery()' 2>>"$OUT")"
check "logs" pg logs 5

# A killed run: every postmaster SIGKILLed, children orphaned, stale postmaster.pid files.
for s in replica primary second; do
  pid="$(head -n 1 "$SWITCHYARD_PG_DIR/$s/postmaster.pid" 2>/dev/null)"
  [[ -n $pid ]] && kill -9 "$pid"
done
sleep 0.2
timed "up after every postmaster was kill -9'd" pg up
eq "data survived the crash" five "$(q replica 'SELECT v FROM smoke WHERE id = 5')"

# A replica directory lost: up copies it again.
pg kill-replica >>"$OUT" 2>&1
rm -rf "${SWITCHYARD_PG_DIR:?}/replica"
timed "up re-creates a missing replica" pg up
eq "re-created replica has the data" five "$(q replica 'SELECT v FROM smoke WHERE id = 5')"

# down --keep / up / down.
timed "down --keep" pg down --keep
if [[ -d $SWITCHYARD_PG_DIR/primary ]]; then ok "down --keep kept the data"; else ko "down --keep kept the data"; fi
timed "up from kept data" pg up
eq "kept data still there" five "$(q primary 'SELECT v FROM smoke WHERE id = 5')"
timed "down" pg down
if [[ ! -e $SWITCHYARD_PG_DIR ]]; then ok "down removed the directory"; else ko "down removed the directory"; fi
check "down when nothing runs" pg down
check_fails "kill-replica with no cluster fails cleanly" pg kill-replica

# The password must appear in no output except `env`.
if grep -qF -- "$SWITCHYARD_PG_PASSWORD" "$OUT"; then
  ko "password absent from all output (see $OUT)"
else
  ok "password absent from all output"
fi

echo "cluster-smoke: $passed passed, $failed failed"
[[ $failed -eq 0 ]] && rm -rf "$(dirname "$OUT")"
[[ $failed -eq 0 ]]
