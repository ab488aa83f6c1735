#!/usr/bin/python3
"""Reference for the on-demand embedding correlation over a chosen token range
(main/api/embedding-range.ts), computed with PyTorch from the bundled demo's real checkpoints.

Run with Debian's Python: /usr/bin/python3 tools/make_embedding_range_fixture.py
Reads the float16 input embedding (gpt_neox.embed_in.weight) of the final checkpoint (refs/step2600)
of both demo runs with a plain safetensors header parse, upcasts to float64 and writes, for rows
300..363 (a range outside the stored analysis' 0..255), torch.corrcoef of those rows as raw
little-endian float64 (test/fixtures/embedding-range/<run>-300-364.f64) and expected.json (the
files, the shape and the run/checkpoint they came from). The tests never run Python.
"""
import json
import os
import struct

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HUB = os.path.join(ROOT, "resources", "demo", "hub")
OUT = os.path.join(ROOT, "test", "fixtures", "embedding-range")
FROM, TO = 300, 364
REF = "step2600"


def read_tensor(path, name):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        e = header[name]
        assert e["dtype"] == "F16", e["dtype"]
        a, b = e["data_offsets"]
        f.seek(8 + n + a)
        data = np.frombuffer(f.read(b - a), dtype="<f2").reshape(e["shape"])
    return torch.from_numpy(data.astype(np.float64))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {"from": FROM, "to": TO, "checkpoint": REF, "runs": {}}
    for model in sorted(os.listdir(HUB)):
        if not model.startswith("models--"):
            continue
        run = model.split("--")[-1]
        commit = open(os.path.join(HUB, model, "refs", REF)).read().strip()
        path = os.path.realpath(os.path.join(HUB, model, "snapshots", commit, "model.safetensors"))
        w = read_tensor(path, "gpt_neox.embed_in.weight")
        corr = torch.corrcoef(w[FROM:TO])
        name = f"{run}-{FROM}-{TO}.f64"
        corr.numpy().astype("<f8").tofile(os.path.join(OUT, name))
        expected["runs"][run] = {"file": name, "shape": list(corr.shape), "embedding_shape": list(w.shape)}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
