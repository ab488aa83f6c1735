#!/usr/bin/python3
"""The PyTorch baseline of the full weight sweep (bench/sweep.mjs): per checkpoint of a step-folder
run, the statistics and distances of bench/weights_torch.py, then 100-bin histograms on run-wide
ranges, and all singular values of every 2-D tensor by torch.linalg.svdvals in float64.
Prints JSON: seconds and CPU seconds per part.
Usage: sweep_torch.py RUN_DIR THREADS
"""
import json, os, resource, sys, time
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weights_torch import read_safetensors, stats

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def main(run, threads):
    torch.set_num_threads(threads)
    folders = sorted((d for d in os.listdir(run) if d.startswith("step_")), key=lambda d: int(d.split("_")[1]))
    path = lambda f: os.path.join(run, f, "model.safetensors")
    out = {"checkpoints": len(folders)}
    t0, c0 = time.perf_counter(), cpu()
    init = read_safetensors(path(folders[0]))
    prev, ranges = None, {}
    for folder in folders:
        w = read_safetensors(path(folder))
        for name, x in w.items():
            s = stats(x)
            xd, i0 = x.double(), init[name].double()
            s["dist_to_init"] = (xd - i0).norm().item()
            if prev is not None:
                s["dist_to_prev"] = (xd - prev[name].double()).norm().item()
            lo, hi = ranges.get(name, (s["min"], s["max"]))
            ranges[name] = (min(lo, s["min"]), max(hi, s["max"]))
        prev = w
    out["stats_seconds"], out["stats_cpu"] = time.perf_counter() - t0, cpu() - c0
    t1, c1 = time.perf_counter(), cpu()
    for folder in folders:
        for name, x in read_safetensors(path(folder)).items():
            lo, hi = ranges[name]
            r = max(abs(lo), abs(hi)) or 0.5
            torch.histc(x.double(), bins=100, min=-r, max=r)
    out["histogram_seconds"], out["histogram_cpu"] = time.perf_counter() - t1, cpu() - c1
    t2, c2 = time.perf_counter(), cpu()
    for folder in folders:
        for name, x in read_safetensors(path(folder)).items():
            if x.dim() == 2 and min(x.shape) >= 2:
                torch.linalg.svdvals(x.double())
    out["svdvals_seconds"], out["svdvals_cpu"] = time.perf_counter() - t2, cpu() - c2
    out["total_seconds"] = out["stats_seconds"] + out["histogram_seconds"] + out["svdvals_seconds"]
    out["total_cpu"] = cpu()
    print(json.dumps(out))

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
