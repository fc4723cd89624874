#!/usr/bin/env bash
# Stop the broker started by start.sh (SIGTERM, wait, then SIGKILL) and delete its temp data dir.
# The log (infra/kafka/.run/kafka.log) is kept for inspection. Safe to run when nothing is running.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$HERE/.run"
PIDFILE="$RUN/kafka.pid"
GRACE="${KAFKA_STOP_TIMEOUT:-30}"
say() { echo "stop.sh: $*" >&2; }

PID="$(cat "$PIDFILE" 2>/dev/null || true)"
# Only signal the pid if it still is our broker (pids get reused).
if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
  say "stopping Kafka (pid $PID)"
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq $((GRACE * 10))); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$PID" 2>/dev/null; then
    say "still running after ${GRACE}s; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  fi
  say "stopped"
elif [ -n "$PID" ]; then
  say "pid $PID from $PIDFILE is not a running broker; cleaning up"
else
  say "no broker pid file ($PIDFILE); nothing to stop"
fi
rm -f "$PIDFILE" "$RUN/kafka.port"

if [ -f "$RUN/kafka.datadir" ]; then
  DATA="$(cat "$RUN/kafka.datadir")"
  case "$DATA" in
    */finsentry-kafka.*) rm -rf "$DATA" && say "removed $DATA" ;;
    *) say "not removing unexpected data dir '$DATA'" ;;
  esac
  rm -f "$RUN/kafka.datadir"
fi
