#!/usr/bin/env bash
# vm/kernel.sh: make sure the Debian kernel the lanes boot is present, and print facts about it.
#   vm/kernel.sh kver      the pinned version (from the linux-image-amd64 package, never uname -r)
#   vm/kernel.sh vmlinux   path of the uncompressed ELF kernel (extracted once from the bzImage
#                          into vm/out/; QEMU boots it through the PVH entry, ~30% faster than bzImage)
#   vm/kernel.sh ensure    install the Debian packages the lanes need when missing
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${VM_OUT:-$here/out}
PKGS=(linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static cpio xz-utils gcc make libc6-dev kmod)

kver() {
  local v
  v=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
  if [ -z "$v" ]; then  # no meta package: the newest packaged kernel that has headers
    v=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -1 | cut -d/ -f4)
  fi
  [ -n "$v" ] || { echo "vm/kernel.sh: no packaged kernel found (install linux-image-amd64)" >&2; return 1; }
  echo "$v"
}

extract_vmlinux() {  # the kernel's scripts/extract-vmlinux, reduced to the XZ and ZSTD cases Debian uses
  local img=$1 dst=$2 magic pos tmp=$2.tmp
  for magic in '\xfd7zXZ\x00' '\x28\xb5\x2f\xfd'; do
    for pos in $(LC_ALL=C grep -aboP "$magic" "$img" | cut -d: -f1); do
      case $magic in *7zXZ*) tail -c +$((pos + 1)) "$img" | xz -dc >"$tmp" 2>/dev/null || true ;;
                    *) tail -c +$((pos + 1)) "$img" | zstd -dc >"$tmp" 2>/dev/null || true ;; esac
      if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then mv "$tmp" "$dst"; return 0; fi
    done
  done
  rm -f "$tmp"; return 1
}

vmlinux() {
  local v img dst
  v=$(kver); img=/boot/vmlinuz-$v; dst=$out/vmlinux-$v
  [ -r "$img" ] || { echo "vm/kernel.sh: $img missing (linux-image-$v not installed?)" >&2; return 1; }
  if [ ! -s "$dst" ] || [ "$img" -nt "$dst" ]; then
    mkdir -p "$out"
    extract_vmlinux "$img" "$dst" || { echo "vm/kernel.sh: could not extract vmlinux, booting the bzImage" >&2; echo "$img"; return 0; }
  fi
  echo "$dst"
}

case ${1:-} in
  kver) kver ;;
  vmlinux) vmlinux ;;
  ensure) "$root/scripts/ensure-debs.sh" "${PKGS[@]}" ;;
  packages) echo "${PKGS[@]}" ;;
  *) echo "usage: vm/kernel.sh kver|vmlinux|ensure|packages" >&2; exit 2 ;;
esac
