#!/usr/bin/env bash
# Runs the OCI lane, or part of it, by hand. Arguments are test/oci/lane.ts's (see its header):
#   test/oci/run.sh --runtime runc test/oci/podman.test.ts --match '*stop -t 2*' --verbose
#   test/oci/run.sh --runtime engine --keep test/oci/containerd.test.ts
#   test/oci/run.sh --scrub
set -euo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory -s oci-tools
exec node --import tsx test/oci/lane.ts "$@"
