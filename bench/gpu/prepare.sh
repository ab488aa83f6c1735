#!/usr/bin/env bash
# Prepares what the GPU check carries to the GPU machine (which has CUDA and Python but no node and
# no npm), in the git-ignored folder .gpu/ of the checkout the device tool sends (add /.gpu/ and
# /.gl/ to .git/info/exclude). The machine accepts 64 MiB per call with the tracked tree, so the
# load is split in two calls made back to back on the same warm machine:
#   .gpu/a: three quarters of node (xz)                    -> call 1 keeps it in .gpu/keep/
#   .gpu/b: the rest of node, libonnxruntime (xz), onnxruntime-node's JS and binding, the bundled
#           check (bench/gpu/bundle.mjs) and run.sh          -> call 2 runs bench/gpu/run.sh
# .gl/ holds Debian's Vulkan/GL loaders (see the device README) for onnxruntime's WebGPU (Dawn).
# Usage: bash bench/gpu/prepare.sh [CHECKOUT]   (default: this checkout)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:-$here}/.gpu"
ort="$here/node_modules/onnxruntime-node"
rm -rf "$dest/a" "$dest/b"
mkdir -p "$dest/a" "$dest/b/pkg/node_modules/onnxruntime-node/bin/napi-v6/linux/x64" "$dest/b/pkg/node_modules/onnxruntime-common"
if [ ! -f "$here/.gpu-cache/node.xz" ] || [ "$(command -v node)" -nt "$here/.gpu-cache/node.xz" ]; then
  mkdir -p "$here/.gpu-cache"
  xz -9 -T2 -c "$(command -v node)" > "$here/.gpu-cache/node.xz"
fi
size=$(stat -c %s "$here/.gpu-cache/node.xz")
head -c $((size * 3 / 4)) "$here/.gpu-cache/node.xz" > "$dest/a/node.xz.1"
tail -c +$((size * 3 / 4 + 1)) "$here/.gpu-cache/node.xz" > "$dest/b/node.xz.2"
lib="$ort/bin/napi-v6/linux/x64/libonnxruntime.so.1"
if [ ! -f "$here/.gpu-cache/ort.xz" ] || [ "$lib" -nt "$here/.gpu-cache/ort.xz" ]; then xz -9 -T2 -c "$lib" > "$here/.gpu-cache/ort.xz"; fi
cp "$here/.gpu-cache/ort.xz" "$dest/b/ort.xz"
cp "$ort/package.json" "$dest/b/pkg/node_modules/onnxruntime-node/"
cp -r "$ort/dist" "$dest/b/pkg/node_modules/onnxruntime-node/"
cp "$ort/bin/napi-v6/linux/x64/onnxruntime_binding.node" "$dest/b/pkg/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/"
cp -r "$here/node_modules/onnxruntime-common/package.json" "$here/node_modules/onnxruntime-common/dist" "$dest/b/pkg/node_modules/onnxruntime-common/"
(cd "$here" && node bench/gpu/bundle.mjs "$dest/b/pkg/check.mjs")
cp "$here/bench/gpu/run.sh" "$dest/b/run.sh"
du -sh "$dest/a" "$dest/b"
