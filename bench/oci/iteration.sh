#!/usr/bin/env bash
# One bench iteration for one runtime, timed with bash's $EPOCHREALTIME (no process is spawned
# to take a time, so each figure is the command alone plus one fork+exec of bash's).
#   iteration.sh TRUE_BUNDLE SLEEP_BUNDLE ID RUNTIME [RUNTIME ARGS...]
# Prints one line: "lifecycle create start state kill delete" in milliseconds, where lifecycle is
# create + start + wait for /bin/true to exit + delete, and the five verbs are timed one by one on
# a `sleep` container. Exits non-zero with the runtime's error on stderr if a call fails.
set -uo pipefail
true_bundle=$1 sleep_bundle=$2 id=$3; shift 3
rt=("$@")
err=$(mktemp)
trap 'rm -f "$err" "$err.pid"' EXIT

ms() { # ms START END -> milliseconds with 3 decimals ($EPOCHREALTIME is seconds.microseconds)
  local d=$(( 10#${2/./} - 10#${1/./} ))
  printf '%d.%03d' $(( d / 1000 )) $(( d % 1000 ))
}
call() { # call WHAT ARGS...: runs the runtime, fails the iteration on a non-zero exit
  if ! "${rt[@]}" "${@:2}" >/dev/null 2>"$err"; then
    echo "$1: ${rt[*]} ${*:2}: $(tail -c 500 "$err")" >&2
    exit 1
  fi
}
wait_exit() { # spin on /proc/PID/stat until it is gone or a zombie (we are not its reaper)
  local stat deadline=$(( ${EPOCHREALTIME/./} + 10000000 ))
  while read -r stat < "/proc/$1/stat" 2>/dev/null; do
    [[ ${stat##*) } == Z* ]] && return 0
    (( ${EPOCHREALTIME/./} > deadline )) && { echo "pid $1 did not exit in 10 s" >&2; exit 1; }
  done
}

t0=$EPOCHREALTIME
call create create --bundle "$true_bundle" --pid-file "$err.pid" "$id"
pid=$(<"$err.pid")
call start start "$id"
wait_exit "$pid"
call delete delete "$id"
t1=$EPOCHREALTIME
lifecycle=$(ms "$t0" "$t1")

sid=$id-s
a=$EPOCHREALTIME; call create create --bundle "$sleep_bundle" --pid-file "$err.pid" "$sid"; b=$EPOCHREALTIME
create=$(ms "$a" "$b"); spid=$(<"$err.pid")
a=$EPOCHREALTIME; call start start "$sid"; b=$EPOCHREALTIME; start=$(ms "$a" "$b")
a=$EPOCHREALTIME; call state state "$sid"; b=$EPOCHREALTIME; state=$(ms "$a" "$b")
a=$EPOCHREALTIME; call kill kill "$sid" KILL; b=$EPOCHREALTIME; kill=$(ms "$a" "$b")
wait_exit "$spid"
a=$EPOCHREALTIME; call delete delete "$sid"; b=$EPOCHREALTIME; delete=$(ms "$a" "$b")
echo "$lifecycle $create $start $state $kill $delete"
