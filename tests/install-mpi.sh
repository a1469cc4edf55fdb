#!/usr/bin/env bash
# Installs the MPI that the distributed tests (tests/Nabla.Tests/Distributed) launch: Debian's MPICH
# (mpiexec.mpich and libmpich.so.12). Idempotent: when both are present it returns at once.
set -euo pipefail
if command -v mpiexec.mpich >/dev/null 2>&1 && ldconfig -p | grep -q 'libmpich\.so\.12'; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() {
    if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi
}
# apt-get waits for a dpkg lock held by another install rather than failing.
apt_get -o DPkg::Lock::Timeout=600 update -qq
apt_get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends mpich >/dev/null
