#!/usr/bin/env bash
# A narrated tour of engine: supervisor, containers, ps, run, logs, exec, top, --overlay, stop, orderly shutdown.
# Run by `make demo` after the build. Uses its own socket and state directory, so it does not
# disturb a supervisor you may already run; everything it makes is under $DEMO_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_DIR=${DEMO_DIR:-/tmp/engine-demo}
export ENGINE_SOCKET="$DEMO_DIR/engine.sock"
ENGINE=./engine
bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)

step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

cleanup() {
  if [ -n "${SUP_PID:-}" ] && kill -0 "$SUP_PID" 2>/dev/null; then kill -TERM "$SUP_PID"; wait "$SUP_PID" || true; fi
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (containers need namespaces and mounts)" >&2; exit 1; }
rm -rf "$DEMO_DIR" && mkdir -p "$DEMO_DIR"

step "Each container needs its own writable root filesystem: copies of ./rootfs-base (busybox + workloads)"
for name in alpha beta gamma; do show $ENGINE rootfs create "$DEMO_DIR/rootfs-$name" --from rootfs-base; done

step "Start the supervisor: the long-running daemon that owns every container (its log is pino JSON, shown pretty here)"
$ENGINE supervisor rootfs-base --state-dir "$DEMO_DIR" --log-format pretty 2>"$DEMO_DIR/supervisor.log" &
SUP_PID=$!
for _ in $(seq 100); do $ENGINE ps >/dev/null 2>&1 && break; sleep 0.05; done
echo "supervisor pid $SUP_PID listening on $ENGINE_SOCKET"
sed -n '1,12p' "$DEMO_DIR/supervisor.log"

step "Start two containers in the background: alpha runs a shell loop, beta runs memory_hog at nice 10"
show $ENGINE start alpha "$DEMO_DIR/rootfs-alpha" "echo hello-from-alpha; hostname; while true; do echo alpha tick; sleep 1; done" --soft-mib 48 --hard-mib 80
show $ENGINE start beta "$DEMO_DIR/rootfs-beta" /memory_hog --nice 10 --soft-mib 16 --hard-mib 96

step "The same rootfs cannot serve two live containers"
show $ENGINE start alpha2 "$DEMO_DIR/rootfs-alpha" /bin/true || echo "(refused, exit $?)"

step "List them: host PIDs, states, limits, nice"
sleep 1.5
show $ENGINE ps

step "Run a container in the foreground: its output, then its exit status"
show $ENGINE run gamma "$DEMO_DIR/rootfs-gamma" "echo hello from gamma; echo I am PID \$\$ on \$(hostname); exit 3" || echo "(engine run exited $?)"

step "Read alpha's log (logs/alpha.log holds its stdout and stderr byte for byte)"
show $ENGINE logs alpha -n 5

step "Into a running container: exec joins its namespaces, cgroups and security profile; top lists its processes"
show $ENGINE exec alpha /bin/sh -c 'echo "hostname $(hostname), my pid $$, pid 1 is: $(tr "\0" " " </proc/1/cmdline)"'
show $ENGINE top alpha
echo "data through stdin" | show $ENGINE exec -i alpha /bin/cat

step "Contained by default, as Docker: 14 capabilities, a seccomp filter, only lo in its own network namespace"
show $ENGINE exec alpha /bin/sh -c 'grep -E "^(CapEff|Seccomp)" /proc/self/status; ls /sys/class/net'

step "Copy-on-write: --overlay reads the base template and writes to its own layer; --rm leaves nothing behind"
show $ENGINE run --rm --overlay -e WHO=demo scratch rootfs-base /bin/sh -c 'echo "hello $WHO" > /etc/motd; cat /etc/motd'
[ -e rootfs-base/etc/motd ] && echo "the template changed?!" || echo "rootfs-base/etc/motd does not exist: the template is unchanged"

step "Stop beta: SIGTERM, then SIGKILL after the grace period (PID 1 ignores signals it has no handler for)"
show $ENGINE stop beta

step "Inspect beta's record"
show $ENGINE inspect beta

step "ps again: beta is stopped, gamma exited 3, alpha still running"
show $ENGINE ps

step "SIGTERM to the supervisor: it stops alpha, reaps everything, flushes the logs, removes its socket"
kill -TERM "$SUP_PID"; wait "$SUP_PID" && echo "supervisor exited 0"
SUP_PID=
tail -n 12 "$DEMO_DIR/supervisor.log"
[ -e "$ENGINE_SOCKET" ] && echo "socket still there?!" || echo "socket removed"
if pgrep -f "$DEMO_DIR/rootfs-" >/dev/null; then echo "container processes left?!"; exit 1; else echo "no container process left"; fi

step "Done. Logs are in $DEMO_DIR/logs/; README.md and docs/CONTRACT.md explain every verb."
ls -l "$DEMO_DIR/logs"
