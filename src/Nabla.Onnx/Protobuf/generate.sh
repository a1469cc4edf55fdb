#!/usr/bin/env bash
# Regenerates Onnx.cs from onnx.proto (ONNX 1.12's schema, IR version 8, copied from Debian's libonnx-dev
# with a csharp_namespace option added). The generated file is committed, so building needs no protoc.
# Needs: apt-get install -y protobuf-compiler (protoc 3.21, whose output the Google.Protobuf 3.x runtime reads).
set -euo pipefail
cd "$(dirname "$0")"
protoc --csharp_out=. --csharp_opt=internal_access onnx.proto
echo "wrote $(pwd)/Onnx.cs"
