#!/usr/bin/env bash
# Builds the conformance suite offline into $CONFORMANCE_CACHE (default .cache/conformance):
#   bin/<program>            one validation program per test/conformance/suite/validation/<program>
#   bin/runtimetest          the in-container checker, static
#   bin/rootfs-amd64.tar.gz  the busybox rootfs every bundle is unpacked from (from ./rootfs-base)
# Go and the Go libraries come from Debian (golang-go, golang-github-opencontainers-runtime-tools-dev
# and what it depends on), built in GOPATH mode: no Go proxy, no network.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
cache=${CONFORMANCE_CACHE:-$repo/.cache/conformance}
debs=(golang-go golang-github-opencontainers-runtime-tools-dev golang-golang-x-sys-dev golang-gocapability-dev)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "conformance: missing Debian packages: ${missing[*]} (run as root)" >&2; exit 1; }
  echo "conformance: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -qq -o DPkg::Lock::Timeout=600 && apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null; }
fi
[ -f rootfs-base/.engine-rootfs ] || { echo "conformance: ./rootfs-base is missing: run make first" >&2; exit 1; }

mkdir -p "$cache/bin" "$cache/gopath/src/engine.local"
ln -sfn "$repo/test/conformance/suite" "$cache/gopath/src/engine.local/conformance"
export GO111MODULE=off GOPATH="$cache/gopath:/usr/share/gocode" GOCACHE="$cache/gocache" CGO_ENABLED=0 GOFLAGS=
programs=()
for d in test/conformance/suite/validation/*/; do programs+=("engine.local/conformance/validation/$(basename "$d")"); done
# -o DIR with several main packages writes one binary per package, named after its folder.
go build -trimpath -o "$cache/bin/" "${programs[@]}" engine.local/conformance/runtimetest

# The rootfs tarball: rebuilt only when rootfs-base changed. Workloads are left out (small bundles).
tarball=$cache/bin/rootfs-amd64.tar.gz
if [ ! -f "$tarball" ] || [ rootfs-base/.engine-rootfs -nt "$tarball" ]; then
  tar -C rootfs-base --exclude=./memory_hog --exclude=./cpu_hog --exclude=./io_pulse --exclude=./probe \
    -czf "$tarball.tmp" . && mv -f "$tarball.tmp" "$tarball"
fi
echo "conformance: built ${#programs[@]} programs, runtimetest and the rootfs in $cache/bin"
