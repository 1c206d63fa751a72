#!/usr/bin/env bash
# The whole suite: every lane runs even when an earlier one fails; each lane leaves
# test-results/<lane>.counts ("passed failed skipped"); the last line sums them.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf test-results && mkdir -p test-results
status=0
run_lane() {
  local name=$1; shift
  echo "=== lane: $name ==="
  if ! "$@"; then
    status=1
    [ -f "test-results/$name.counts" ] || echo "0 1 0" > "test-results/$name.counts"
  fi
}
run_lane ava node scripts/run-ava.mjs
# Lanes are the test-lane-NAME targets of mk/*.mk, wherever they stand in a rule's target list.
for lane in $(cat mk/*.mk 2>/dev/null | grep -o '^[^#:=]*:' | grep -o 'test-lane-[a-z0-9-]*' | sed 's/^test-lane-//' | sort -u); do
  run_lane "$lane" make --no-print-directory "test-lane-$lane"
done
node scripts/summarize-tests.mjs || status=1
exit $status
