#!/usr/bin/python3
"""The PyTorch baseline of the weight sweep: the same statistics and histograms as Checkpoint
Atlas's `weights` analysis (Frobenius norm, mean, std, min, max, absmax, skewness, excess
kurtosis, distance/cosine to init, distance to previous, 100-bin histograms on run-wide fixed
ranges), float64 accumulation, over every checkpoint of a step-folder run. Prints JSON timings.
Usage: weights_torch.py RUN_DIR THREADS
"""
import json, os, struct, sys, time
import torch

DT = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64}

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        b, e = meta["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=DT[meta["dtype"]]).reshape(meta["shape"])
    return out

def stats(x):
    x = x.double().flatten()
    m = x.mean()
    c = x - m
    m2, m3, m4 = (c * c).mean(), (c ** 3).mean(), (c ** 4).mean()
    return {"frobenius_norm": x.norm().item(), "mean": m.item(), "std": m2.sqrt().item(), "min": x.min().item(), "max": x.max().item(),
            "absmax": x.abs().max().item(), "skewness": (m3 / m2 ** 1.5).item() if m2 > 0 else None,
            "excess_kurtosis": (m4 / m2 ** 2 - 3).item() if m2 > 0 else None}

def main(run, threads):
    torch.set_num_threads(threads)
    folders = sorted((d for d in os.listdir(run) if d.startswith("step_")), key=lambda d: int(d.split("_")[1]))
    t0 = time.perf_counter()
    init = read_safetensors(os.path.join(run, folders[0], "model.safetensors"))
    prev = None
    ranges = {}
    results = []
    for folder in folders:
        w = read_safetensors(os.path.join(run, folder, "model.safetensors"))
        for name, x in w.items():
            s = stats(x)
            xd = x.double()
            i0 = init[name].double()
            s["dist_to_init"] = (xd - i0).norm().item()
            n0 = i0.norm()
            s["cos_to_init"] = ((xd * i0).sum() / (xd.norm() * n0)).item() if n0 > 0 and xd.norm() > 0 else None
            if prev is not None:
                s["dist_to_prev"] = (xd - prev[name].double()).norm().item()
            lo, hi = ranges.get(name, (s["min"], s["max"]))
            ranges[name] = (min(lo, s["min"]), max(hi, s["max"]))
            results.append(s)
        prev = w
    t_stats = time.perf_counter() - t0
    t1 = time.perf_counter()
    for folder in folders:
        w = read_safetensors(os.path.join(run, folder, "model.safetensors"))
        for name, x in w.items():
            lo, hi = ranges[name]
            r = max(abs(lo), abs(hi)) or 0.5
            torch.histc(x.double(), bins=100, min=-r, max=r)
    t_hist = time.perf_counter() - t1
    print(json.dumps({"checkpoints": len(folders), "stats_seconds": t_stats, "histogram_seconds": t_hist, "total_seconds": t_stats + t_hist}))

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
