#!/usr/bin/env bash
# Runs on the GPU machine (call 2 of bench/gpu/prepare.sh's plan), from the checkout's root:
# rebuilds node and libonnxruntime from the carried halves, installs the Vulkan loaders, lists what
# the machine offers, then runs the bundled check with its output in $OUT.
set -uo pipefail
unxz() { python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; }
cat .gpu/keep/node.xz.1 .gpu/b/node.xz.2 > /tmp/node.xz && unxz /tmp/node.xz /tmp/node && chmod +x /tmp/node
pkg=.gpu/b/pkg
unxz .gpu/b/ort.xz $pkg/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
# onnxruntime-node loads a CUDA provider library from its binding folder when one is there: use one
# of onnxruntime's own version if the machine has it (its Python packages), else report its absence.
for so in $(find / -xdev -name 'libonnxruntime_providers_cuda.so' 2>/dev/null | head -1); do
  cp "$so" "$(dirname "$so")/libonnxruntime_providers_shared.so" $pkg/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ 2>/dev/null
  echo "CUDA provider library found: $so"
done
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; /tmp/node --version; ldconfig -p | grep -E 'libvulkan|libcudart|libcublas\.' | head; } 2>&1 | tee "$OUT/machine.txt"
/tmp/node $pkg/check.mjs "$OUT" resources/demo/hub 2>&1 | tee "$OUT/log.txt"
echo "check exit: ${PIPESTATUS[0]}"
