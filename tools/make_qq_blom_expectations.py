#!/usr/bin/python3
"""Expected values for the QQ plot's plotting positions (main/metrics/qq.ts, issue 15 #10).

Run with Debian's Python: /usr/bin/python3 tools/make_qq_blom_expectations.py
Reads the fits fixtures written by tools/make_metric_expectations.py (test/fixtures/metrics/),
adds one N(0,1) sample of 2,304 values (a 48 x 48 matrix, the demo's attention size) drawn with
numpy's default_rng(15), and writes test/fixtures/metrics/qq-blom.json: for each array the grid
of probabilities its n values support (the fixed 139-point grid inside Blom's [p_1, p_n] plus
p_1 and p_n, p_i = (i - 3/8) / (n + 1/4)), numpy.quantile(..., method="normal_unbiased")
(Hyndman-Fan type 9) standardised by the population mean and std, and scipy's norm.ppf there.
"""
import json
import os

import numpy as np
import scipy.stats as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "test", "fixtures", "metrics")


def grid():
    lower = [10 ** (-6 + k / 5) for k in range(21)]
    body = [k / 100 for k in range(2, 99)]
    upper = [1 - p for p in reversed(lower)]
    return lower + body + upper


def supported(n):
    first = (1 - 0.375) / (n + 0.25)
    last = (n - 0.375) / (n + 0.25)
    return [first] + [p for p in grid() if first < p < last] + [last]


def main():
    manifest = json.load(open(os.path.join(DIR, "expected.json")))
    arrays = {}
    for name in ["fit_normal", "fit_logistic", "fit_t3", "fit_mixture"]:
        entry = manifest["arrays"][name]
        dtype = np.float32 if entry["dtype"] == "f32" else np.float64
        arrays[name] = {"file": entry["file"], "dtype": entry["dtype"],
                        "x": np.fromfile(os.path.join(DIR, entry["file"]), dtype=np.dtype(dtype).newbyteorder("<"))}
    gauss = np.random.default_rng(15).standard_normal(2304).astype(np.float32)
    gauss.astype(np.dtype(np.float32).newbyteorder("<")).tofile(os.path.join(DIR, "qq_gauss_2304.f32"))
    arrays["qq_gauss_2304"] = {"file": "qq_gauss_2304.f32", "dtype": "f32", "x": gauss}
    out = {}
    for name, a in arrays.items():
        x = a["x"].astype(np.float64)
        x = x[np.isfinite(x)]
        p = supported(len(x))
        mean = float(np.mean(x))
        std = float(np.std(x))
        q = np.quantile(x, p, method="normal_unbiased")
        out[name] = {"file": a["file"], "dtype": a["dtype"], "n": int(len(x)), "probabilities": p,
                     "empirical": [(float(v) - mean) / std for v in q],
                     "normalPpf": [float(v) for v in st.norm.ppf(p)]}
    with open(os.path.join(DIR, "qq-blom.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
