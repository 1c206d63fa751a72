#!/usr/bin/env bash
# Turns a directory into an OCI image layout archive (one uncompressed layer), importable without a
# registry: `ctr -n NS images import FILE` (containerd) or `podman load -i FILE`.
#
# Usage: scripts/oci-image.sh --name REF --out FILE.tar [options] DIR
#   DIR                 the image's root filesystem (its contents become the single layer)
#   --name REF          full reference, e.g. localhost/engine-pause:1 (written as the
#                       io.containerd.image.name annotation; the tag as org.opencontainers.image.ref.name)
#   --out FILE          the archive to write (replaced atomically)
#   --entrypoint JSON   the config's Entrypoint, a JSON array of strings, e.g. '["/pause"]'
#   --cmd JSON          the config's Cmd, a JSON array of strings
#   --env K=V           an Env entry (repeatable); PATH defaults to the usual one when not given
#   --workdir DIR       the config's WorkingDir (default /)
# Prints the manifest digest on stdout. Bad input: one line on stderr, exit 2.
# The layer is reproducible: sorted names, mtime 0, owner root, so the same DIR gives the same digest.
set -euo pipefail

die() { echo "oci-image: $*" >&2; exit 2; }

name='' out='' dir='' entrypoint='null' cmd='null' workdir='/'
envs=()
while [ $# -gt 0 ]; do
  case $1 in
    --name) [ $# -ge 2 ] || die "--name needs a value"; name=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
    --entrypoint) [ $# -ge 2 ] || die "--entrypoint needs a value"; entrypoint=$2; shift 2 ;;
    --cmd) [ $# -ge 2 ] || die "--cmd needs a value"; cmd=$2; shift 2 ;;
    --env) [ $# -ge 2 ] || die "--env needs a value"; envs+=("$2"); shift 2 ;;
    --workdir) [ $# -ge 2 ] || die "--workdir needs a value"; workdir=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$dir" ] || die "one directory only (got '$dir' and '$1')"; dir=$1; shift ;;
  esac
done
[ -n "$dir" ] || die "no directory given (usage: oci-image.sh --name REF --out FILE DIR)"
[ -d "$dir" ] || die "$dir is not a directory"
[ -n "$name" ] || die "--name is required (e.g. localhost/busybox:1)"
[ -n "$out" ] || die "--out is required"
# A reference's tag follows the last ':' that comes after the last '/' (a registry port is not a tag).
last=${name##*/}
[[ $last == *:* ]] || die "--name $name has no tag (e.g. $name:1)"
tag=${last##*:}
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--name $name: '$tag' is not a valid tag"
for j in "$entrypoint" "$cmd"; do
  [ "$j" = null ] || jq -e 'type == "array" and all(type == "string")' <<<"$j" >/dev/null 2>&1 ||
    die "--entrypoint/--cmd must be a JSON array of strings, got: $j"
done
for e in "${envs[@]+"${envs[@]}"}"; do [[ $e == ?*=* ]] || die "--env $e is not K=V"; done
printf '%s\n' "${envs[@]+"${envs[@]}"}" | grep -q '^PATH=' ||
  envs+=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")

# Go's architecture names, which containerd matches against the host platform.
case $(uname -m) in
  x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armv7l) arch=arm ;; ppc64le) arch=ppc64le ;; s390x) arch=s390x ;;
  *) die "unsupported machine $(uname -m)" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/layout/blobs/sha256"
blobs=$work/layout/blobs/sha256

# Stores a file as a blob; prints "DIGEST SIZE".
put_blob() {
  local sum size
  sum=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$blobs/$sum"
  echo "sha256:$sum $size"
}

tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" . ||
  die "could not read $dir"
read -r layer_digest layer_size < <(put_blob "$work/layer.tar")

jq -n --arg arch "$arch" --arg diff "$layer_digest" --arg wd "$workdir" \
  --argjson ep "$entrypoint" --argjson cmd "$cmd" \
  --argjson env "$(printf '%s\n' "${envs[@]}" | jq -R . | jq -s .)" '{
    created: "1970-01-01T00:00:00Z", architecture: $arch, os: "linux",
    config: ({Env: $env, WorkingDir: $wd}
             + (if $ep then {Entrypoint: $ep} else {} end)
             + (if $cmd then {Cmd: $cmd} else {} end)),
    rootfs: {type: "layers", diff_ids: [$diff]},
    history: [{created: "1970-01-01T00:00:00Z", created_by: "scripts/oci-image.sh"}]
  }' >"$work/config.json"
read -r config_digest config_size < <(put_blob "$work/config.json")

jq -n --arg cd "$config_digest" --argjson cs "$config_size" --arg ld "$layer_digest" --argjson ls "$layer_size" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
    layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
  }' >"$work/manifest.json"
read -r manifest_digest manifest_size < <(put_blob "$work/manifest.json")

jq -n --arg md "$manifest_digest" --argjson ms "$manifest_size" --arg arch "$arch" --arg name "$name" --arg tag "$tag" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
                 platform: {architecture: $arch, os: "linux"},
                 annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag}}]
  }' >"$work/layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/layout/oci-layout"

mkdir -p "$(dirname "$out")"
tar -C "$work/layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/image.tar" oci-layout index.json blobs
mv -f "$work/image.tar" "$out"
echo "$manifest_digest"
