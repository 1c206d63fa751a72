#!/usr/bin/env bash
# vm/module-lane.sh: the kernel module lane (issue 4), driven by mk/module.mk.
#   vm/module-lane.sh test       install what is missing, build monitor.ko against the packaged kernel,
#                                build the static probe, boot under QEMU/TCG, judge the serial log
#                                (vm/out/module.log); then a second boot in hostroot mode runs
#                                vm/addon-check.mjs (the native addon and ModuleDevice against the
#                                real module, vm/out/addon.log; skipped when the addon or TypeScript
#                                build fails, or with MODULE_LANE_ADDON=0). Exit 0 only on PASS.
#   vm/module-lane.sh selftest   prove the harness fails when it should: a broken module, an oopsing
#                                module, a crashing init, a hung guest, and judge checks on synthetic logs.
#   vm/module-lane.sh lane       both, then test-results/module.counts = "passed failed skipped"
#                                (the probe's PASS/FAIL lines plus one per self-test case).
# Exit 77 = skipped: a needed Debian package cannot be installed (the reason is printed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${VM_OUT:-$here/out}
mkdir -p "$out"
say() { echo "module-lane: $*"; }
count() { local n; n=$(grep -cE "$1" "$2" 2>/dev/null); echo "${n:-0}"; }  # REGEX FILE -> lines, 0 if no file

prepare() {  # packages, kernel version, probe; 77 when packages cannot be had
  if ! "$here/kernel.sh" ensure; then
    say "SKIP: cannot install $("$here/kernel.sh" packages) (no root or no Debian archive)"
    return 77
  fi
  KVER=$("$here/kernel.sh" kver) || return 77
  [ -d "/lib/modules/$KVER/build" ] || { say "SKIP: no headers for $KVER"; return 77; }
  "$here/kernel.sh" vmlinux >/dev/null || return 1
  gcc -static -O2 -Wall -Wextra -Wno-sign-compare -I "$root/module" -o "$out/probe" "$here/probe/probe.c" || return 1
}

build_module() {  # DIR [MONITOR_CFLAGS]: build monitor.ko in DIR (a scratch copy unless DIR is module/)
  local dir=$1 cflags=${2:-}
  if [ "$dir" != "$root/module" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$root/module/monitor.c" "$root/module/monitor_ioctl.h" "$root/module/Kbuild" "$root/module/Makefile" "$dir/"
  fi
  make --no-print-directory -s -C "$dir" KVER="$KVER" MONITOR_CFLAGS="$cflags" modules >"$out/build-$(basename "$dir").log" 2>&1 ||
    { cat "$out/build-$(basename "$dir").log"; say "module build failed in $dir"; return 1; }
}

boot_probe() {  # NAME KO [boot.sh args...]
  local name=$1 ko=$2; shift 2
  "$here/boot.sh" --init "$here/module-payload.sh" --add "$out/probe:probe" --add "$ko:monitor.ko" \
    --name "$name" --log "$out/$name.log" --timeout "${MODULE_LANE_TIMEOUT:-300}" "$@"
}

judge_probe() {  # LOG
  "$here/judge.sh" "$1" --expect '^PROBE-SUMMARY passed=[0-9]+ failed=0$'
}

addon_check() {  # the addon and ModuleDevice against the real module: Node in the guest over 9p
  if ! make --no-print-directory -s -C "$root" native ts >"$out/addon-build.log" 2>&1 ||
     [ ! -f "$root/dist/src/memory/module-device.js" ]; then
    say "SKIP addon check: the addon or the TypeScript build failed (see ${out#$root/}/addon-build.log)"
    return 77
  fi
  "$here/boot.sh" --init "$here/addon-payload.sh" --hostroot --name addon --log "$out/addon.log" \
    --timeout "${MODULE_LANE_TIMEOUT:-300}" >"$out/addon.console" 2>&1 ||
    [ -s "$out/addon.log" ] || tail -5 "$out/addon.console"
  grep -E '^(FAIL|info:|ADDON-SUMMARY|LANE-RESULT|BOOT-HARNESS)' "$out/addon.log" 2>/dev/null | sed 's/^/  /'
  "$here/judge.sh" "$out/addon.log" --expect '^ADDON-SUMMARY failed=0$'
}

cmd_test() {
  local t0=$SECONDS rc rc_a p f s=0
  prepare || return $?
  say "building monitor.ko for $KVER"
  build_module "$root/module" || return 1
  boot_probe module "$root/module/monitor.ko" >"$out/module.console" 2>&1 ||
    [ -s "$out/module.log" ] || tail -5 "$out/module.console"
  grep -E '^(FAIL|info:|PROBE-SUMMARY|LANE-RESULT|BOOT-HARNESS)' "$out/module.log" 2>/dev/null | sed 's/^/  /'
  judge_probe "$out/module.log"; rc=$?
  p=$(count '^PASS' "$out/module.log"); f=$(count '^FAIL' "$out/module.log")
  if [ "${MODULE_LANE_ADDON:-1}" = 1 ]; then
    rm -f "$out/addon.log"
    addon_check; rc_a=$?
    if [ $rc_a = 77 ]; then s=1; else
      p=$((p + $(count '^PASS' "$out/addon.log"))); f=$((f + $(count '^FAIL' "$out/addon.log")))
      [ $rc_a != 0 ] && rc=1
    fi
  fi
  echo "$p $f $s" >"$out/module.counts"
  say "test $([ $rc = 0 ] && echo PASSED || echo FAILED) in $((SECONDS - t0)) s (logs: ${out#$root/}/module.log, ${out#$root/}/addon.log)"
  return $rc
}

# ---- self-test: every case must make the lane FAIL, for the expected reason -------------------------
st_pass=0 st_fail=0
expect_fail() {  # NAME LOG REASON-REGEX: the judge must refuse LOG and its log must show REASON
  local name=$1 log=$2 why=$3 verdict
  verdict=$(judge_probe "$log" 2>&1)
  if [ $? -ne 0 ] && grep -qE "$why" "$log"; then
    echo "PASS selftest $name (lane failed as it should: $(echo "$verdict" | head -1 | cut -c1-100))"; st_pass=$((st_pass + 1))
  else
    echo "FAIL selftest $name: the judge said '$(echo "$verdict" | head -1)' or /$why/ not in $log"; st_fail=$((st_fail + 1))
  fi
}

synthetic() {  # the judge alone, on made-up logs
  local d=$out/selftest-judge good
  mkdir -p "$d"
  good=$'\e[2J\e[01;01HVM-INIT: kernel x\nPASS a\nPROBE-SUMMARY passed=1 failed=0\nLANE-RESULT PASS rc=0'
  printf '%s\n' "$good" >"$d/good.log"
  if judge_probe "$d/good.log" >/dev/null; then
    echo "PASS selftest judge_accepts_good_log"; st_pass=$((st_pass + 1))
  else
    echo "FAIL selftest judge_accepts_good_log: a clean log was refused"; st_fail=$((st_fail + 1))
  fi
  printf '%s\n[   3.1] Oops: 0002 [#1] SMP\n' "$good" >"$d/oops.log"
  expect_fail judge_oops "$d/oops.log" 'Oops'
  printf '%s\n[   3.1] WARNING: CPU: 0 PID: 1 at x.c:1\n' "$good" >"$d/warn.log"
  expect_fail judge_warning "$d/warn.log" 'WARNING:'
  printf '%s\nFAIL x: y\n' "$good" >"$d/failline.log"
  expect_fail judge_fail_line "$d/failline.log" '^FAIL'
  printf 'VM-INIT: kernel x\nPASS a\n' >"$d/nosentinel.log"
  expect_fail judge_no_sentinel "$d/nosentinel.log" 'PASS a'
  printf '%s\nBOOT-HARNESS: TIMEOUT after 9s\n' "$good" >"$d/timeout.log"
  expect_fail judge_timeout "$d/timeout.log" 'TIMEOUT'
  : >"$d/empty.log"
  if judge_probe "$d/empty.log" >/dev/null 2>&1; then
    echo "FAIL selftest judge_empty_log: accepted"; st_fail=$((st_fail + 1))
  else
    echo "PASS selftest judge_empty_log"; st_pass=$((st_pass + 1))
  fi
}

cmd_selftest() {
  local t0=$SECONDS d=$out/selftest rc
  prepare || return $?
  mkdir -p "$d"
  synthetic

  # 1. a module with a logic bug (the hard limit logs but never kills): the probe must catch it
  build_module "$d/break" -DMONITOR_SELFTEST_BREAK || return 1
  boot_probe selftest-break "$d/break/monitor.ko" >"$out/selftest-break.console" 2>&1
  expect_fail broken_module "$out/selftest-break.log" '^FAIL hard_kills'

  # 2. a module that oopses in its scan: the kernel error must fail the lane
  build_module "$d/oops" -DMONITOR_SELFTEST_OOPS || return 1
  boot_probe selftest-oops "$d/oops/monitor.ko" >"$out/selftest-oops.console" 2>&1
  expect_fail oopsing_module "$out/selftest-oops.log" 'BUG: kernel NULL pointer|Oops'

  # 3. an init that exits: the kernel panics ("Attempted to kill init")
  printf '#!/bin/busybox sh\necho "VM-INIT: crashing init"\necho "PASS pretend"\nexit 3\n' >"$d/crash-init"
  "$here/boot.sh" --init "$here/module-payload.sh" --init-override "$d/crash-init" --name selftest-crash \
    --log "$out/selftest-crash.log" --timeout 120 >"$out/selftest-crash.console" 2>&1
  expect_fail crashing_init "$out/selftest-crash.log" 'Kernel panic'

  # 4. a guest that never finishes: the harness timeout must fail the lane
  printf 'echo "PASS before the hang"\nwhile :; do sleep 1; done\n' >"$d/hang.sh"
  "$here/boot.sh" --init "$d/hang.sh" --name selftest-hang --log "$out/selftest-hang.log" \
    --timeout "${MODULE_SELFTEST_HANG_TIMEOUT:-15}" >"$out/selftest-hang.console" 2>&1
  expect_fail hung_guest "$out/selftest-hang.log" '^BOOT-HARNESS: TIMEOUT'

  echo "$st_pass $st_fail" >"$out/selftest.counts"
  rc=$([ $st_fail = 0 ] && echo 0 || echo 1)
  say "selftest: $st_pass cases behaved, $st_fail did not, in $((SECONDS - t0)) s"
  return "$rc"
}

cmd_lane() {
  local rc_t rc_s p f s=0 res=$root/test-results
  mkdir -p "$res"
  rm -f "$out/module.counts" "$out/selftest.counts"
  cmd_test; rc_t=$?
  if [ $rc_t = 77 ]; then echo "0 0 1" >"$res/module.counts"; return 0; fi
  cmd_selftest; rc_s=$?
  read -r p f s <"$out/module.counts" 2>/dev/null || { p=0; f=1; s=0; }
  [ -s "$out/module.counts" ] || f=1
  if [ -s "$out/selftest.counts" ]; then read -r sp sf <"$out/selftest.counts"; else sp=0 sf=1; fi
  # a failed lane with no FAIL line (build error, dead guest) still counts one failure
  [ $rc_t != 0 ] && [ "$f" = 0 ] && f=1
  [ $rc_s != 0 ] && [ "$sf" = 0 ] && sf=1
  echo "$((p + sp)) $((f + sf)) $s" >"$res/module.counts"
  say "lane: $(cat "$res/module.counts") (passed failed skipped)"
  [ $rc_t = 0 ] && [ $rc_s = 0 ]
}

case ${1:-} in
  test) cmd_test ;;
  selftest) cmd_selftest ;;
  lane) cmd_lane ;;
  *) echo "usage: vm/module-lane.sh test|selftest|lane" >&2; exit 2 ;;
esac
