#!/usr/bin/python3
"""Baseline for bench/spectra.mjs: torch.linalg.svdvals in float64 on a stored float32 weight.

  spectra_torch.py make OUT ROWS COLS SEED       write a random float32 weight (N(0, 0.02^2), raw LE)
  spectra_torch.py svd IN ROWS COLS THREADS OUT  time svdvals(float64), write the values (raw LE
                                                 float64) to OUT, print JSON {seconds, cpu_seconds,
                                                 peak_mb} (cpu: user + system of all threads)
Run with Debian's Python only (/usr/bin/python3).
"""
import json
import sys
import time

import numpy as np
import torch


def peak_mb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def main():
    mode = sys.argv[1]
    if mode == 'make':
        out, rows, cols, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        rng = np.random.default_rng(seed)
        w = np.empty((rows, cols), dtype=np.float32)
        step = max(1, (1 << 24) // cols)
        for r in range(0, rows, step):
            w[r:r + step] = rng.standard_normal((min(step, rows - r), cols), dtype=np.float32) * np.float32(0.02)
        w.astype('<f4').tofile(out)
        return
    if mode == 'svd':
        path, rows, cols, threads, out = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        torch.set_num_threads(threads)
        w32 = torch.from_numpy(np.fromfile(path, dtype='<f4').reshape(rows, cols))
        w64 = w32.double()
        t0 = time.perf_counter()
        c0 = time.process_time()
        s = torch.linalg.svdvals(w64)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        s.numpy().astype('<f8').tofile(out)
        print(json.dumps({'seconds': seconds, 'cpu_seconds': cpu, 'peak_mb': peak_mb()}))
        return
    raise SystemExit(f'unknown mode {mode}')


if __name__ == '__main__':
    main()
