#!/usr/bin/python3
"""Makes the fixtures and expected values for the main/metrics/ kernels' unit tests.

Run with Debian's Python (numpy, scipy, torch): /usr/bin/python3 tools/make_metric_expectations.py
Writes test/fixtures/metrics/: small raw little-endian arrays (*.f32 / *.f64) and
expected.json, which lists every input array (file, dtype, shape) and the reference values
numpy/scipy/torch compute for it. The tests never run Python; they read these files.

Large inputs are not stored: they are "synthetic" arrays generated bit-identically here and in
test/unit/metrics/synthetic.ts from a counter hash (murmur3 fmix32) using only integer ops and
exactly rounded float64 + - * /, so a 1M-element tensor costs no fixture bytes. Their reference
moments are computed in extended precision (numpy longdouble, 64-bit mantissa).
"""
import json
import math
import os
import sys

import numpy as np
import scipy
import scipy.optimize
import scipy.special
import scipy.stats as st
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "metrics")
os.makedirs(OUT, exist_ok=True)

arrays = {}
expected = {}


def save(name, arr):
    """Stores a float32/float64 array as raw little-endian bytes and records it."""
    arr = np.ascontiguousarray(arr)
    assert arr.dtype in (np.float32, np.float64)
    ext = "f32" if arr.dtype == np.float32 else "f64"
    fname = f"{name}.{ext}"
    arr.astype(arr.dtype.newbyteorder("<")).tofile(os.path.join(OUT, fname))
    arrays[name] = {"file": fname, "dtype": ext, "shape": list(arr.shape)}
    return arr


# ---------------------------------------------------------------- synthetic (shared with TS)
M32 = np.uint64(0xFFFFFFFF)


def fmix32(h):
    h = h.astype(np.uint64)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & M32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & M32
    h ^= h >> np.uint64(16)
    return h


def hash_uniform(n, seed):
    """u_i in (0, 1): (fmix32((i + seed * 0x9E3779B9) mod 2^32) + 0.5) / 2^32, exact in float64."""
    i = np.arange(n, dtype=np.uint64)
    h = fmix32((i + np.uint64((seed * 0x9E3779B9) & 0xFFFFFFFF)) & M32)
    return (h.astype(np.float64) + 0.5) / 4294967296.0


def synthetic(n, seed, offset, scale):
    """offset + scale * (u1 + u2 + u3 + u4 - 2): Irwin-Hall(4), bell-shaped, all ops exact-rounded."""
    s = hash_uniform(n, seed)
    s = s + hash_uniform(n, seed + 1)
    s = s + hash_uniform(n, seed + 2)
    s = s + hash_uniform(n, seed + 3)
    s = s - 2.0
    return offset + scale * s


def ld_moments(x):
    """Reference moments in extended precision over the finite elements."""
    fin = np.isfinite(x)
    v = x[fin].astype(np.longdouble)
    n = v.size
    mean = v.sum() / n
    d = v - mean
    m2 = (d * d).sum() / n
    m3 = (d * d * d).sum() / n
    m4 = (d * d * d * d).sum() / n
    const = bool(m2 == 0)
    return {
        "count": int(n),
        "nonFinite": {
            "nan": int(np.isnan(x).sum()),
            "posInf": int(np.isposinf(x).sum()),
            "negInf": int(np.isneginf(x).sum()),
        },
        "mean": float(mean),
        "std": float(np.sqrt(m2)),
        "min": float(v.min()),
        "max": float(v.max()),
        "absmax": float(np.abs(v).max()),
        "skewness": None if const else float(m3 / m2**1.5),
        "excessKurtosis": None if const else float(m4 / m2**2 - 3),
        "sumSquares": float((v * v).sum()),
        "frobeniusNorm": float(np.sqrt((v * v).sum())),
    }


def section_moments():
    cases = {}
    for name, n, seed, offset, scale, dtype in [
        ("offset_f64", 1_000_000, 11, 1e3, 1e-3, np.float64),
        ("centred_f64", 1_000_000, 21, 0.0, 0.02, np.float64),
        ("offset_f32", 300_000, 31, 5.0, 0.25, np.float32),
    ]:
        x = synthetic(n, seed, offset, scale).astype(dtype)
        cases[name] = {
            "synthetic": {"n": n, "seed": seed, "offset": offset, "scale": scale,
                          "dtype": "f32" if dtype == np.float32 else "f64"},
            "expected": ld_moments(x.astype(np.float64)),
            # what numpy's float64 (pairwise) gives, for the record
            "numpy": {"mean": float(np.mean(x.astype(np.float64))),
                      "std": float(np.std(x.astype(np.float64)))},
        }
    # Heavy-tailed real-valued fixture from numpy's generator, stored (with non-finite values).
    rng = np.random.default_rng(1234)
    t = rng.standard_t(3, size=20_000).astype(np.float32) * np.float32(0.02)
    t[17] = np.nan
    t[1000] = np.inf
    t[1001] = np.inf
    t[5000] = -np.inf
    save("moments_t3_nonfinite", t)
    cases["t3_nonfinite"] = {"array": "moments_t3_nonfinite",
                             "expected": ld_moments(t.astype(np.float64))}
    # torch's own float64 statistics on the same data, as an independent second opinion.
    tt = torch.from_numpy(t[np.isfinite(t)].astype(np.float64))
    cases["t3_nonfinite"]["torch"] = {"mean": tt.mean().item(), "std": tt.std(unbiased=False).item()}
    expected["moments"] = cases


def section_distance():
    rng = np.random.default_rng(99)
    a = (rng.standard_normal(50_000) * 0.02).astype(np.float32)
    b = (a + rng.standard_normal(50_000).astype(np.float32) * np.float32(0.001)).astype(np.float32)
    save("distance_a", a)
    save("distance_b", b)
    a64 = a.astype(np.longdouble)
    b64 = b.astype(np.longdouble)
    dist = np.sqrt(((a64 - b64) ** 2).sum())
    na = np.sqrt((a64 * a64).sum())
    nb = np.sqrt((b64 * b64).sum())
    cos = (a64 * b64).sum() / na / nb
    at = torch.from_numpy(a.astype(np.float64))
    bt = torch.from_numpy(b.astype(np.float64))
    expected["distance"] = {
        "a": "distance_a", "b": "distance_b",
        "dist": float(dist), "normA": float(na), "normB": float(nb), "cos": float(cos),
        "relDist": float(dist / nb),
        "torch": {"dist": torch.dist(at, bt).item(),
                  "cos": torch.nn.functional.cosine_similarity(at, bt, dim=0).item()},
    }


def section_histogram():
    rng = np.random.default_rng(7)
    # Three "checkpoints" of one tensor whose spread grows, as in training.
    cps = []
    for k, s in enumerate([0.02, 0.03, 0.05]):
        x = (rng.standard_normal(30_000) * s).astype(np.float32)
        save(f"hist_cp{k}", x)
        cps.append(x)
    cases = []
    r = max(float(np.abs(c).max()) for c in cps)
    for bins in (64, 100):
        edges = np.linspace(-r, r, bins + 1)
        for k, c in enumerate(cps):
            counts, e = np.histogram(c.astype(np.float64), bins=edges)
            cases.append({"array": f"hist_cp{k}", "range": [-r, r], "bins": bins,
                          "edges": e.tolist(), "counts": counts.tolist()})
    # A range fixed from checkpoint 0 only: later checkpoints under/overflow.
    lo0, hi0 = float(cps[0].min()), float(cps[0].max())
    edges0 = np.linspace(lo0, hi0, 51)
    for k, c in enumerate(cps):
        c64 = c.astype(np.float64)
        counts, e = np.histogram(c64, bins=edges0)
        cases.append({"array": f"hist_cp{k}", "range": [lo0, hi0], "bins": 50,
                      "edges": e.tolist(), "counts": counts.tolist(),
                      "underflow": int((c64 < lo0).sum()), "overflow": int((c64 > hi0).sum())})
    # numpy's own range= path (linspace inside np.histogram) must give the same edges.
    counts, e = np.histogram(cps[2].astype(np.float64), bins=37, range=(-0.1, 0.07))
    cases.append({"array": "hist_cp2", "range": [-0.1, 0.07], "bins": 37, "edges": e.tolist(),
                  "counts": counts.tolist(),
                  "underflow": int((cps[2] < -0.1).sum()), "overflow": int((cps[2] > 0.07).sum())})
    expected["histogram"] = {"symmetricR": r, "cases": cases}


SECTIONS = [section_moments, section_distance, section_histogram]

if __name__ == "__main__":
    for f in SECTIONS:
        f()
    expected["versions"] = {"numpy": np.__version__, "scipy": scipy.__version__,
                            "torch": torch.__version__, "python": sys.version.split()[0]}
    with open(os.path.join(OUT, "expected.json"), "w") as fh:
        json.dump({"arrays": arrays, "expected": expected}, fh, indent=1, allow_nan=False)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(arrays)} arrays to {OUT}, {total / 1e6:.2f} MB in all")
