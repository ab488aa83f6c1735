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

import mpmath as mp
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


def qq_probabilities():
    lower = [10.0 ** (-6 + k / 5) for k in range(21)]
    body = [k / 100 for k in range(2, 99)]
    upper = [1 - p for p in reversed(lower)]
    return lower + body + upper


def t_ppf_mp(p, nu):
    """Student-t quantile to ~30 digits (scipy's t.ppf is off by up to ~1e-9 relative in the tails):
    root of the lower tail I_x(nu/2, 1/2)/2 = q in log|t|, started from scipy's value."""
    mp.mp.dps = 40
    if p == 0.5:
        return 0.0
    q = mp.mpf(p) if p < 0.5 else 1 - mp.mpf(p)
    num = mp.mpf(nu)

    def f(u):
        t2 = mp.exp(2 * u)
        return mp.log(mp.betainc(num / 2, mp.mpf(1) / 2, 0, num / (num + t2), regularized=True) / 2) - mp.log(q)

    u0 = mp.log(abs(mp.mpf(float(st.t.ppf(float(q), nu)))))
    t = mp.exp(mp.findroot(f, u0, tol=mp.mpf(10) ** -30))
    return float(-t if p < 0.5 else t)


def section_special():
    zs = [-30.0, -12.0, -8.5, -5.0, -3.0, -2.0001, -1.9999, -1.0, -0.3, -1e-8, 0.0, 1e-5, 0.5, 1.5, 2.0,
          2.5, 4.0, 6.0, 9.0, 26.0]
    xs = [1e-6, 0.01, 0.3, 0.5, 1.0, 2.7, 9.99, 10.0, 37.5, 1234.5, 5e3, 1e5]
    beta = []
    for a, b, x in [(0.5, 0.5, 0.3), (2.5, 0.5, 0.999), (0.1, 0.5, 0.01), (30, 0.5, 0.7), (5000, 0.5, 0.9995),
                    (1.5, 4.0, 0.2), (10.0, 10.0, 0.5), (0.25, 0.5, 1e-9)]:
        beta.append({"a": a, "b": b, "x": x, "value": float(scipy.special.betainc(a, b, x))})
    tcdf = []
    for nu in [0.3, 1.0, 2.5, 5.0, 30.0, 1e3, 1e4]:
        for t in [-1e4, -100.0, -7.0, -2.0, -0.5, 0.0, 0.25, 3.0, 50.0]:
            # mpmath at 40 digits: scipy's t.logpdf loses ~1e-12 to lgamma cancellation at large nu.
            mp.mp.dps = 40
            tm, num = mp.mpf(t), mp.mpf(nu)
            logpdf = (mp.loggamma((num + 1) / 2) - mp.loggamma(num / 2) - mp.log(num * mp.pi) / 2
                      - (num + 1) / 2 * mp.log1p(tm * tm / num))
            tail = mp.betainc(num / 2, mp.mpf(1) / 2, 0, num / (num + tm * tm), regularized=True) / 2
            cdf = tail if t <= 0 else 1 - tail
            tcdf.append({"t": t, "nu": nu, "cdf": float(cdf), "logpdf": float(logpdf),
                         "scipyCdf": float(st.t.cdf(t, nu))})
    probs = qq_probabilities()
    ppf = {"probabilities": probs,
           "normal": [float(v) for v in st.norm.ppf(probs)],
           "logistic": [float(v) for v in st.logistic.ppf(probs)],
           "studentT": {str(nu): [t_ppf_mp(p, nu) for p in probs] for nu in [0.5, 1.0, 2.5, 4.0, 30.0, 1e3]},
           "scipyStudentT": {str(nu): [float(v) for v in st.t.ppf(probs, nu)] for nu in [0.5, 1.0, 2.5, 4.0, 30.0, 1e3]}}
    extra_p = [1e-300, 1e-100, 1e-20, 1e-12, 0.3, 0.49999, 0.5, 0.7, 1 - 1e-12]
    ppf["extra"] = {"p": extra_p, "normal": [float(v) for v in st.norm.ppf(extra_p)]}
    expected["special"] = {
        "erf": [{"x": z, "erf": float(scipy.special.erf(z)), "erfc": float(scipy.special.erfc(z)),
                 "ndtr": float(scipy.special.ndtr(z))} for z in zs],
        "gamma": [{"x": x, "lgamma": float(scipy.special.gammaln(x)), "digamma": float(scipy.special.digamma(x)),
                   "trigamma": float(scipy.special.polygamma(1, x))} for x in xs],
        "betainc": beta, "tcdf": tcdf, "ppf": ppf,
    }


def neg_t_loglik(params, x):
    lognu, loc, logscale = params
    return -st.t.logpdf(x, math.exp(lognu), loc, math.exp(logscale)).sum()


def section_fits():
    rng = np.random.default_rng(2024)
    n = 20_000
    data = {
        "fit_normal": (rng.standard_normal(n) * 0.02 + 0.01).astype(np.float32),
        "fit_logistic": rng.logistic(-0.003, 0.01, n).astype(np.float32),
        "fit_t3": (rng.standard_t(3, n) * 0.02 + 0.001).astype(np.float32),
        "fit_mixture": np.where(rng.random(n) < 0.9, rng.standard_normal(n) * 0.02,
                                rng.standard_normal(n) * 0.06).astype(np.float32),
    }
    cases = {}
    probs = qq_probabilities()
    for name, x32 in data.items():
        save(name, x32)
        x = np.sort(x32.astype(np.float64))
        mu, sigma = st.norm.fit(x)
        gauss = {"mu": mu, "sigma": sigma, "loglik": float(st.norm.logpdf(x, mu, sigma).mean()),
                 "ks": float(st.kstest(x, "norm", args=(mu, sigma)).statistic)}
        lmu, ls = st.logistic.fit(x)
        # Reference MLE: solve the score equations tightly (scipy's fit is checked against it).
        def score(p):
            z = (x - p[0]) / p[1]
            t = np.tanh(z / 2)
            return [t.mean(), (z * t).mean() - 1]
        sol = scipy.optimize.root(score, [lmu, ls], tol=1e-15)
        rmu, rs = [float(v) for v in sol.x]
        logi = {"mu": rmu, "s": rs, "loglik": float(st.logistic.logpdf(x, rmu, rs).mean()),
                "ks": float(st.kstest(x, "logistic", args=(rmu, rs)).statistic),
                "scipyFit": {"mu": float(lmu), "s": float(ls),
                             "loglik": float(st.logistic.logpdf(x, lmu, ls).mean())}}
        df, tloc, tscale = st.t.fit(x)
        scipy_ll = float(st.t.logpdf(x, df, tloc, tscale).mean())
        res = scipy.optimize.minimize(neg_t_loglik, [math.log(df), tloc, math.log(tscale)], args=(x,),
                                      method="Nelder-Mead",
                                      options={"xatol": 1e-11, "fatol": 1e-13, "maxiter": 40000, "maxfev": 80000})
        rdf, rloc, rscale = math.exp(res.x[0]), float(res.x[1]), math.exp(res.x[2])
        tt = {"mu": rloc, "sigma": rscale, "nu": rdf,
              "loglik": float(st.t.logpdf(x, rdf, rloc, rscale).mean()),
              "ks": float(st.kstest(x, "t", args=(rdf, rloc, rscale)).statistic),
              "scipyFit": {"mu": float(tloc), "sigma": float(tscale), "nu": float(df), "loglik": scipy_ll}}
        # KS of fixed, known parameters (tests the KS statistic and the CDFs alone).
        ks_fixed = {"normal": float(st.kstest(x, "norm", args=(0.0, 0.021)).statistic),
                    "logistic": float(st.kstest(x, "logistic", args=(0.001, 0.011)).statistic),
                    "t": float(st.kstest(x, "t", args=(3.5, 0.0005, 0.018)).statistic)}
        mean = float(np.mean(x))
        std = float(np.std(x))
        qq = {"empirical": [(float(v) - mean) / std for v in np.quantile(x, probs)], "mean": mean, "std": std}
        cases[name] = {"array": name, "gaussian": gauss, "logistic": logi, "studentT": tt, "ksFixed": ks_fixed,
                       "qq": qq}
    expected["fits"] = cases


def section_embedding():
    import scipy.cluster.hierarchy as sch
    import scipy.spatial.distance as ssd
    rng = np.random.default_rng(5)
    rows, cols = 300, 64
    centres = rng.standard_normal((4, cols))
    group = rng.integers(0, 4, rows)
    emb = (centres[group] * 2.0 + rng.standard_normal((rows, cols))).astype(np.float32) * np.float32(0.02)
    emb[20] = np.float32(0.25)  # a constant row: no defined correlation
    save("embed_300x64", emb)
    r0, r1 = 10, 138
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(emb[r0:r1].astype(np.float64))
    save("embed_corr_10_138", corr)
    dist = np.where(np.isnan(corr), 1.0, 1.0 - corr)
    np.fill_diagonal(dist, 0.0)
    z = sch.linkage(ssd.squareform(dist, checks=False), method="average")
    expected["embedding"] = {"array": "embed_300x64", "rows": rows, "cols": cols, "r0": r0, "r1": r1,
                             "corr": "embed_corr_10_138", "linkageHeights": sorted(z[:, 2].tolist()),
                             "groups": group[r0:r1].tolist(), "constantRow": 20 - r0}


def section_svd():
    rng = np.random.default_rng(77)
    d, dff, heads, vocab = 48, 192, 4, 500
    hd = d // heads
    # mlp.out [d, 4d] with a well-separated spectrum (ratio 0.9 between neighbours).
    u, _ = np.linalg.qr(rng.standard_normal((d, d)))
    v, _ = np.linalg.qr(rng.standard_normal((dff, d)))
    s = 3.0 * 0.9 ** np.arange(d)
    w_out = save("svd_mlp_out", ((u * s) @ v.T).astype(np.float32))
    uu, ss, _ = np.linalg.svd(w_out.astype(np.float64))
    qkv = save("svd_qkv", (rng.standard_normal((3 * d, d)) * 0.1).astype(np.float32))
    dense = save("svd_dense", (rng.standard_normal((d, d)) * 0.1).astype(np.float32))
    unembed = save("svd_unembed", rng.standard_normal((vocab, d)).astype(np.float32))
    # Head slices through torch's view of the fused QKV ([heads, 3, hd, d], GPT-NeoX).
    qkv_t = torch.from_numpy(qkv.astype(np.float64)).view(heads, 3, hd, d)
    dense_t = torch.from_numpy(dense.astype(np.float64))
    ov = []
    for h in range(heads):
        wv = qkv_t[h, 2]                       # [hd, d]
        wo = dense_t[:, h * hd:(h + 1) * hd]   # [d, hd]
        m = (wo @ wv).numpy()
        ou, os_, _ = np.linalg.svd(m)
        ov.append({"head": h, "u": ou[:, :hd].T.tolist(), "s": os_[:hd].tolist()})
    expected["svd"] = {"d": d, "dff": dff, "heads": heads, "vocab": vocab,
                       "mlpOut": {"array": "svd_mlp_out", "u": uu[:, :30].T.tolist(), "s": ss[:30].tolist()},
                       "qkv": "svd_qkv", "dense": "svd_dense", "unembed": "svd_unembed", "ov": ov}


SECTIONS = [section_moments, section_distance, section_histogram, section_special, section_fits,
            section_embedding, section_svd]

if __name__ == "__main__":
    # Optional section names (e.g. `fits svd`) re-make only those sections and keep the rest of
    # an existing expected.json (the Student-t reference fits take minutes).
    wanted = sys.argv[1:]
    path = os.path.join(OUT, "expected.json")
    if wanted and os.path.exists(path):
        with open(path) as fh:
            old = json.load(fh)
        arrays.update(old["arrays"])
        expected.update(old["expected"])
    for f in SECTIONS:
        if not wanted or f.__name__.replace("section_", "") in wanted:
            f()
    expected["versions"] = {"numpy": np.__version__, "scipy": scipy.__version__,
                            "torch": torch.__version__, "python": sys.version.split()[0]}
    with open(os.path.join(OUT, "expected.json"), "w") as fh:
        json.dump({"arrays": arrays, "expected": expected}, fh, indent=1, allow_nan=False)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(arrays)} arrays to {OUT}, {total / 1e6:.2f} MB in all")
