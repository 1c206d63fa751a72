#!/usr/bin/env bash
# vm/boot.sh: boot the packaged Debian kernel under QEMU (TCG) with a generated initramfs,
# run one payload script as the guest's job, keep the serial log. Judge it with vm/judge.sh.
#
#   vm/boot.sh --init SCRIPT [--add FILE[:NAME]]... [--hostroot [--cwd DIR]]
#              [--timeout SECONDS] [--log FILE] [--mem SIZE] [--name NAME] [--append ARGS]
#              [--accel tcg|kvm|auto] [--init-override FILE]
#
#   --init SCRIPT     busybox-sh script run in the guest after proc/sys/dev are mounted; its exit
#                     status becomes the log's "LANE-RESULT PASS|FAIL rc=N" line.
#   --add FILE[:NAME] extra file for the initramfs at /lane/NAME (plain mode's working directory).
#   --hostroot        mount the host's / read-only over 9p with a tmpfs overlay, switch to it and
#                     run SCRIPT there by its host path, from --cwd (default: the repo root). The host's
#                     node, the built addon and modules work unchanged; nothing written reaches the host.
#   --timeout N       wall-clock limit for QEMU (default 180); on expiry the log says so and the lane fails.
#   --log FILE        serial log (default vm/out/NAME.log), also streamed to stdout.
#   --accel           tcg (default); kvm or auto try KVM behind a 25 s boot deadline and fall back to TCG
#                     (on these hosts /dev/kvm opens but guests never boot).
#   --init-override   use FILE as /init instead of vm/init.sh (the harness self-test's crashing init).
# Exit status: QEMU's (124 on timeout). Pass/fail is vm/judge.sh's decision, not this script's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${VM_OUT:-$here/out}

script='' hostroot=0 cwd=$root timeout=180 log='' mem='' name='' append='' accel=${VM_ACCEL:-tcg} init=$here/init.sh
adds=()
while [ $# -gt 0 ]; do
  case $1 in
    --init) script=$2; shift 2 ;;
    --add) adds+=("$2"); shift 2 ;;
    --hostroot) hostroot=1; shift ;;
    --cwd) cwd=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --accel) accel=$2; shift 2 ;;
    --init-override) init=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "vm/boot.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$script" ] && [ -r "$script" ] || { echo "vm/boot.sh: --init SCRIPT is required and must be readable" >&2; exit 2; }
script=$(realpath "$script")
name=${name:-$(basename "$script" .sh)}
log=${log:-$out/$name.log}
[ -n "$mem" ] || { [ $hostroot = 1 ] && mem=1G || mem=512M; }

kver=$("$here/kernel.sh" kver)
kernel=$("$here/kernel.sh" vmlinux)

# ---- initramfs -------------------------------------------------------------------------------
stage=$out/initramfs-$name
rm -rf "$stage" && mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,mnt,lane,root}
cp /bin/busybox "$stage/bin/busybox"
if command -v readelf >/dev/null && readelf -l /bin/busybox 2>/dev/null | grep -q 'INTERP'; then
  echo "vm/boot.sh: /bin/busybox is dynamically linked (install busybox-static)" >&2; exit 1
fi
ln -s busybox "$stage/bin/sh"
cp "$init" "$stage/init" && chmod 0755 "$stage/init"
for a in ${adds[@]+"${adds[@]}"}; do
  src=${a%%:*}; dst=$(basename "$src"); [ "$a" != "$src" ] && dst=${a#*:}
  cp "$src" "$stage/lane/$dst"
done
if [ $hostroot = 1 ]; then
  mkdir -p "$stage/lane/kmod"
  : >"$stage/lane/kmod/order"
  for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
  done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$stage/lane/kmod/" && basename "$ko" >>"$stage/lane/kmod/order"
  done
  mode=hostroot
  lane_script=$script
else
  cp "$script" "$stage/lane/payload.sh"
  mode=plain
  lane_script=/lane/payload.sh
fi
cat >"$stage/lane/config" <<CFG
LANE_NAME='$name'
LANE_MODE='$mode'
LANE_SCRIPT='$lane_script'
LANE_CWD='$cwd'
CI='${CI:-}'
CFG
initrd=$out/initramfs-$name.cpio
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$initrd"

# ---- boot ------------------------------------------------------------------------------------
cmdline="console=ttyS0 loglevel=4 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1 hung_task_panic=1 rdinit=/init $append"
qemu_args=(-cpu max -m "$mem" -smp 1 -M pc -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
  -display none -nodefaults -serial stdio -monitor none -no-reboot -net none)
[ $hostroot = 1 ] && qemu_args+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
mkdir -p "$(dirname "$log")"

run_qemu() {  # accel-args... ; the serial log streams to $log and stdout
  local t=$1; shift
  set +e
  timeout -k 5 "$t" qemu-system-x86_64 "$@" "${qemu_args[@]}" </dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

start=$(date +%s%N)
rc=0
if [ "$accel" != tcg ] && [ -c /dev/kvm ]; then
  # KVM only behind a boot deadline: the guest must print VM-INIT within 25 s or TCG takes over.
  rc=0; run_qemu 25 -accel kvm || rc=$?
  if grep -q '^VM-INIT' "$log" && [ $rc != 124 ]; then accel=kvm; else
    echo "vm/boot.sh: KVM did not boot within 25 s (rc=$rc); falling back to TCG" >&2; accel=tcg; fi
fi
if [ "$accel" != kvm ]; then
  rc=0; run_qemu "$timeout" -accel tcg,thread=multi || rc=$?
fi
secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
[ $rc = 124 ] && echo "BOOT-HARNESS: TIMEOUT after ${timeout}s" | tee -a "$log"
echo "BOOT-HARNESS: qemu rc=$rc accel=$accel kernel=$kver seconds=$secs" | tee -a "$log"
exit "$rc"
