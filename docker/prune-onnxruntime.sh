#!/usr/bin/env sh
# onnxruntime-node ships its native binaries for every platform (~290 MB); the image runs on
# linux-x64 only, so everything else goes. Usage: prune-onnxruntime.sh <node_modules dir>
set -eu
bin="$1/onnxruntime-node/bin/napi-v6"
test -f "$bin/linux/x64/onnxruntime_binding.node"
find "$bin" -mindepth 2 -maxdepth 2 -type d ! -path "$bin/linux/x64" -exec rm -rf {} +
find "$bin" -mindepth 1 -maxdepth 1 -type d -empty -delete
