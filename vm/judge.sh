#!/usr/bin/env bash
# vm/judge.sh LOG [--expect REGEX]...: decide a lane from its serial log. Exit 0 only when
#   - the guest's init printed "LANE-RESULT PASS" (the payload exited 0), and
#   - every --expect REGEX (extended, anchored by the caller) matches some line, and
#   - no line starts with FAIL, and
#   - no kernel error appears anywhere: panic, Oops, BUG:, WARNING:, Call Trace:, soft lockup,
#     hung task, RCU stall, general protection fault, and the harness saw no timeout.
# Escape codes (SeaBIOS puts some on the first line) and CRs are stripped before matching.
# Prints "judge: PASS ..." or "judge: FAIL: reason" with the offending lines.
set -uo pipefail
log=${1:-}; shift || true
expects=()
while [ $# -gt 0 ]; do
  case $1 in --expect) expects+=("$2"); shift 2 ;; *) echo "judge: unknown argument $1" >&2; exit 2 ;; esac
done
[ -s "$log" ] || { echo "judge: FAIL: no serial log at '$log'"; exit 1; }
clean=$(sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\r//g' "$log")
fail() { echo "judge: FAIL: $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | head -20 | sed 's/^/  | /'; exit 1; }

kernel_re='Kernel panic|BUG:|Oops|WARNING:|Call Trace:|soft lockup|hung task|blocked for more than|rcu.*stall|general protection fault|kernel BUG'
bad=$(printf '%s\n' "$clean" | grep -E "$kernel_re")
[ -z "$bad" ] || fail "kernel error in the log" "$bad"
bad=$(printf '%s\n' "$clean" | grep -E '^BOOT-HARNESS: TIMEOUT')
[ -z "$bad" ] || fail "the guest did not finish in time" "$bad"
bad=$(printf '%s\n' "$clean" | grep -E '^FAIL')
[ -z "$bad" ] || fail "$(printf '%s\n' "$bad" | wc -l) FAIL line(s)" "$bad"
printf '%s\n' "$clean" | grep -qE '^LANE-RESULT PASS' ||
  fail "no 'LANE-RESULT PASS' line (the payload failed or the guest died)" "$(printf '%s\n' "$clean" | tail -5)"
for re in ${expects[@]+"${expects[@]}"}; do
  printf '%s\n' "$clean" | grep -qE "$re" || fail "no line matches /$re/"
done
echo "judge: PASS ($(printf '%s\n' "$clean" | grep -cE '^PASS') PASS lines) $log"
