#!/usr/bin/env bash
# Install the named Debian packages if any is missing. Quiet when all are present.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "engine: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "engine: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Other jobs on the machine may hold dpkg's lock: wait for it (up to 10 min) rather than fail.
lock=(-o DPkg::Lock::Timeout=600)
# apt-get update only when the lists are old or absent: it is slow and mostly needed once per machine.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  apt-get "${lock[@]}" update -qq
fi
apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
