#!/usr/bin/env bash
# Installs Debian's libonnx-testdata, the ONNX per-operator backend cases (model.onnx + input/output protobufs in
# /usr/share/libonnx-testdata/data/node) that tests/Nabla.Tests/Onnx/OnnxConformanceTests runs through Nabla's ONNX
# import. Idempotent: when the cases are present it returns at once.
set -euo pipefail
if [ -d /usr/share/libonnx-testdata/data/node ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() {
    if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi
}
# apt-get waits for a dpkg lock held by another install rather than failing.
apt_get -o DPkg::Lock::Timeout=600 update -qq
apt_get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends libonnx-testdata >/dev/null
