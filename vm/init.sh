#!/bin/busybox sh
# vm/init.sh: the guest's /init, shared by every QEMU lane (vm/boot.sh packs it).
# Mounts proc, sys and devtmpfs, then runs the lane's payload:
#   plain mode     /lane/payload.sh inside the initramfs, with /lane as the working directory;
#   hostroot mode  the host's / over 9p (read-only) under a tmpfs overlay, proc/sys/dev bound in,
#                  the overlay moved onto / (as switch_root does), then run the payload script at its
#                  host path from LANE_CWD
#                  (/tmp and /run get empty tmpfs unless the lane lives under them).
# Whatever the payload does, the last lines are "LANE-RESULT PASS|FAIL rc=N" and a power-off,
# so a lane never hangs on its init (vm/judge.sh reads those lines).
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
. /lane/config
echo "VM-INIT: kernel $(uname -r), lane ${LANE_NAME:-?}, mode ${LANE_MODE:-plain}, $(grep -c ^processor /proc/cpuinfo) cpu"

under() { case $2 in "$1" | "$1"/*) return 0 ;; esac; return 1; }

hostroot() {
  local m
  for m in $(cat /lane/kmod/order); do
    insmod "/lane/kmod/$m" || { echo "FAIL vm-init: insmod $m"; return 1; }
  done
  mkdir -p /mnt/lower /mnt/rw /mnt/root
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /mnt/lower ||
    { echo "FAIL vm-init: mount 9p hostroot"; return 1; }
  mount -t tmpfs -o mode=0755 tmpfs /mnt/rw && mkdir -p /mnt/rw/upper /mnt/rw/work
  mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /mnt/root ||
    { echo "FAIL vm-init: mount overlay"; return 1; }
  mount --bind /proc /mnt/root/proc && mount --bind /sys /mnt/root/sys && mount --bind /dev /mnt/root/dev ||
    { echo "FAIL vm-init: bind mounts"; return 1; }
  # an empty /tmp and /run, unless the lane itself lives there (a clone in /tmp): then the host's
  # view stays, still copy-on-write into the overlay's tmpfs
  for d in /tmp /run; do
    if under "$d" "$LANE_CWD" || under "$d" "$LANE_SCRIPT"; then
      echo "VM-INIT: keeping the host's $d (the lane lives there); writes stay in the guest"
    else
      mount -t tmpfs tmpfs "/mnt/root$d" || { echo "FAIL vm-init: tmpfs on $d"; return 1; }
    fi
  done
  mkdir -p /mnt/root/dev/pts /mnt/root/dev/shm
  mount -t devpts devpts /mnt/root/dev/pts 2>/dev/null; mount -t tmpfs tmpfs /mnt/root/dev/shm
  # The overlay becomes the mount namespace's root, not only this process's chroot: setns() into a
  # mount namespace (runc exec, engine exec) puts the caller at that namespace's root, and under a
  # plain chroot that was the initramfs, not the container's root. This shell keeps the initramfs.
  cd /mnt/root && mount --move . / || { echo "FAIL vm-init: move the overlay onto /"; return 1; }
  # the host's environment is not the guest's: start from a clean one
  chroot . /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root TERM=dumb CI="${CI:-}" ENGINE_IN_VM=1 /bin/sh -c 'cd "$1" && exec /bin/sh "$2"' - "$LANE_CWD" "$LANE_SCRIPT"
}

if [ "${LANE_MODE:-plain}" = hostroot ]; then
  hostroot
else
  cd /lane && sh /lane/payload.sh
fi
rc=$?
[ "$rc" = 0 ] && echo "LANE-RESULT PASS rc=0" || echo "LANE-RESULT FAIL rc=$rc"
sync
poweroff -f
sleep 5
