#!/usr/bin/env bash
# Regenerates WardenONNX's protobuf code from the official ONNX schema.
# The output is committed; builds and tests never run this.
#
# 1. Protos/onnx-ml.proto3 comes from ONNX's own generator in the onnx wheel:
#      pip install onnx==1.23.2
#      python3 -m onnx.gen_proto -p onnx -m -o /tmp/onnxproto onnx   # writes onnx-ml.proto3
# 2. Sources/WardenONNX/Proto/onnx-ml.pb.swift comes from protoc (Debian's
#    protobuf-compiler) with protoc-gen-swift built from swift-protobuf 1.39.0,
#    the version Package.swift depends on.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)

if [ "${REFRESH_PROTO:-0}" = 1 ]; then
  python3 -m onnx.gen_proto -p onnx -m -o "$work/proto" onnx
  cp "$work/proto/onnx-ml.proto3" "$repo/Protos/onnx-ml.proto3"
fi

command -v protoc >/dev/null || { echo "install protoc: apt-get install protobuf-compiler" >&2; exit 2; }
plugin=${PROTOC_GEN_SWIFT:-}
if [ -z "$plugin" ]; then
  git clone -q https://github.com/apple/swift-protobuf.git "$work/swift-protobuf"
  git -C "$work/swift-protobuf" checkout -q 1.39.0
  (cd "$work/swift-protobuf" && swift build -c release --product protoc-gen-swift >&2)
  plugin="$work/swift-protobuf/.build/release/protoc-gen-swift"
fi

protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
  --swift_out="$repo/Sources/WardenONNX/Proto" \
  -I "$repo/Protos" onnx-ml.proto3
echo "wrote Sources/WardenONNX/Proto/onnx-ml.pb.swift" >&2
