#!/usr/bin/env bash
# Times one command with bash's $EPOCHREALTIME; prints milliseconds. floor.sh CMD [ARGS...]
set -u
a=$EPOCHREALTIME
"$@" >/dev/null 2>&1 || { echo "floor: $* failed" >&2; exit 1; }
b=$EPOCHREALTIME
d=$(( 10#${b/./} - 10#${a/./} ))
printf '%d.%03d\n' $(( d / 1000 )) $(( d % 1000 ))
