#!/usr/bin/env bash
# Times one command with bash's $EPOCHREALTIME (no process is spawned to take a time, so the figure
# is the command plus one fork+exec of bash's); prints milliseconds. time-cli.sh CMD [ARGS...]
# A command that fails fails the measurement, with the end of its stderr.
set -u
err=$(mktemp)
trap 'rm -f "$err"' EXIT
a=$EPOCHREALTIME
"$@" >/dev/null 2>"$err" || { echo "$*: exit $?: $(tail -c 500 "$err")" >&2; exit 1; }
b=$EPOCHREALTIME
d=$(( 10#${b/./} - 10#${a/./} ))
printf '%d.%03d\n' $(( d / 1000 )) $(( d % 1000 ))
