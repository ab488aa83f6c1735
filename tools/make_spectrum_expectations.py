#!/usr/bin/python3
"""Make the spectrum fixtures: small weight matrices and their reference spectra.

Run with Debian's Python only:  /usr/bin/python3 tools/make_spectrum_expectations.py
Writes test/fixtures/spectrum/<name>.f32 (raw little-endian float32, row-major) and
test/fixtures/spectrum/expectations.json with, per matrix: numpy and torch float64 singular values
(of the float32 values upcast exactly), spectral scalars, and the WeightWatcher power-law fit of
the eigenvalues s^2; plus synthetic eigenvalue samples with their power-law fits.

The power-law fit below is an independent numpy implementation of WeightWatcher's default method
(weightwatcher.py fit_powerlaw + WW_powerlaw.WWFit, pl_package='ww', xmax=None): keep
eigenvalues > 1e-5, sort, every value but the largest is a candidate xmin, continuous MLE
alpha = 1 + n / sum(log(x / xmin)), KS distance max |1 - (x/xmin)^(1-alpha) - arange(n)/n| (only
when alpha > 1, else 1), first argmin. The `powerlaw` package is not installed here, so the method
is re-implemented from its definition rather than imported.
"""
import json
import os
import sys

import numpy as np
import torch

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'spectrum')
EVALS_THRESH = 1e-5


def powerlaw_fit(eigs, thresh=EVALS_THRESH):
    x = np.sort(np.asarray(eigs, dtype=np.float64))
    x = x[x > thresh]
    total = len(x)
    if total < 2:
        return None
    log_x = np.log(x)
    alphas = np.empty(total - 1)
    ds = np.ones(total - 1)
    for i in range(total - 1):
        n = total - i
        alpha = 1.0 + n / (np.sum(log_x[i:]) - n * log_x[i])
        alphas[i] = alpha
        if alpha > 1:
            fitted = 1.0 - (x[i:] / x[i]) ** (1.0 - alpha)
            empirical = np.arange(n) / n
            ds[i] = np.max(np.abs(fitted - empirical))
    best = int(np.argmin(ds))
    xmin = float(x[best])
    return {
        'alpha': float(alphas[best]),
        'xmin': xmin,
        'ks': float(ds[best]),
        'n_tail': int(np.count_nonzero(x >= xmin)),
        'sigma': float((alphas[best] - 1.0) / np.sqrt(total - best)),
        'xmin_index': best,
        'n_candidates': total - 1,
    }


def scalars(s):
    s = np.asarray(s, dtype=np.float64)
    s_max = float(np.max(s))
    fro_sq = float(np.sum(s * s))
    if s_max == 0:
        return {'spectral_norm': 0.0, 'stable_rank': None, 'effective_rank': None, 'frobenius_sq': fro_sq}
    p = s / np.sum(s)
    p = p[p > 0]
    return {
        'spectral_norm': s_max,
        'stable_rank': fro_sq / (s_max * s_max),
        'effective_rank': float(np.exp(-np.sum(p * np.log(p)))),
        'frobenius_sq': fro_sq,
    }


def make_matrices(rng):
    mats = {}
    # GPT-2 Conv1D layout [in, out] (c_fc is [768, 3072]); scaled down, init-like std 0.02 plus a
    # few strong learned directions so the spectrum has outliers.
    n_in, n_out = 128, 512
    w = rng.normal(0, 0.02, size=(n_in, n_out))
    for k in range(4):
        u = rng.normal(size=n_in); u /= np.linalg.norm(u)
        v = rng.normal(size=n_out); v /= np.linalg.norm(v)
        w += (2.0 - 0.4 * k) * np.outer(u, v)
    mats['gpt2_like_c_fc_128x512'] = w
    # Heavy-tailed entries (Student-t, 2.5 degrees of freedom): a power-law ESD tail.
    mats['heavy_tailed_t2p5_200x300'] = rng.standard_t(2.5, size=(200, 300)) * 0.05
    # Tall rectangular: the Gram is W^T W.
    mats['tall_300x90'] = rng.normal(0, 1.0, size=(300, 90))
    # Square with a decaying spectrum spanning 1e4.
    n = 160
    q1, _ = np.linalg.qr(rng.normal(size=(n, n)))
    q2, _ = np.linalg.qr(rng.normal(size=(n, n)))
    mats['square_decaying_160'] = (q1 * np.logspace(1, -3, n)) @ q2.T
    # Rank-deficient: rank 10 in an 80 x 120 matrix (70 zero singular values up to rounding).
    mats['rank10_80x120'] = rng.normal(size=(80, 10)) @ rng.normal(size=(10, 120)) * 0.1
    # Sizes that exercise panel edges of the blocked reduction (n = 67 is not a multiple of 32).
    mats['odd_67x203'] = rng.uniform(-1, 1, size=(67, 203))
    mats['tiny_5x3'] = rng.normal(size=(5, 3))
    mats['row_1x7'] = rng.normal(size=(1, 7))
    return {k: v.astype(np.float32) for k, v in mats.items()}


def make_eigenvalue_samples(rng):
    samples = {}
    # Pareto tail (density ~ x^-2.5 above 1) over a uniform bulk on [0.05, 1).
    tail = (1.0 - rng.uniform(size=600)) ** (-1.0 / 1.5)
    bulk = rng.uniform(0.05, 1.0, size=1400)
    samples['bulk_plus_pareto_2p5'] = np.concatenate([bulk, tail])
    # Pure Pareto alpha = 4 from xmin = 0.3: the fit should pick a small xmin.
    samples['pareto_4'] = 0.3 * (1.0 - rng.uniform(size=500)) ** (-1.0 / 3.0)
    # Marchenko-Pastur-like bulk: eigenvalues of a random Gram (no true power law).
    g = rng.normal(size=(150, 400))
    samples['mp_bulk_150x400'] = np.linalg.eigvalsh(g @ g.T / 400)
    # Values at and below the threshold are dropped (1e-5 itself is dropped: strict >).
    samples['with_tiny_values'] = np.concatenate([[0.0, 1e-9, 1e-5], rng.uniform(0.1, 10, size=50) ** 2])
    return samples


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    rng = np.random.default_rng(20260101)
    torch.set_num_threads(2)
    out = {
        'generator': 'tools/make_spectrum_expectations.py',
        'numpy': np.__version__,
        'torch': torch.__version__,
        'eigenvalue_threshold': EVALS_THRESH,
        'matrices': [],
        'eigenvalue_samples': [],
    }
    for name, w32 in make_matrices(rng).items():
        w64 = w32.astype(np.float64)
        s_np = np.linalg.svd(w64, compute_uv=False)
        s_torch = torch.linalg.svdvals(torch.from_numpy(w64)).numpy()
        diff = float(np.max(np.abs(s_np - s_torch)))
        assert diff <= 1e-12 * s_np[0], (name, diff)
        file_name = name + '.f32'
        w32.astype('<f4').tofile(os.path.join(OUT_DIR, file_name))
        entry = {
            'name': name,
            'file': file_name,
            'rows': int(w32.shape[0]),
            'cols': int(w32.shape[1]),
            'singular_values': [float(v) for v in s_np],
            'max_abs_diff_numpy_torch': diff,
            'frobenius_sq_from_entries': float(np.sum(w64 * w64)),
            'scalars': scalars(s_np),
            'powerlaw': powerlaw_fit(s_np * s_np),
        }
        out['matrices'].append(entry)
        print(name, w32.shape, 's_max=%.6g' % s_np[0], 'alpha', entry['powerlaw'] and entry['powerlaw']['alpha'],
              file=sys.stderr)
    for name, eigs in make_eigenvalue_samples(rng).items():
        fit = powerlaw_fit(eigs)
        out['eigenvalue_samples'].append({'name': name, 'eigenvalues': [float(v) for v in eigs], 'powerlaw': fit})
        print(name, len(eigs), fit, file=sys.stderr)
    with open(os.path.join(OUT_DIR, 'expectations.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
