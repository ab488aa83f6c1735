#!/usr/bin/python3
"""Baseline for bench/svd-directions.mjs: SVD directions (DOMAIN.md) of one synthetic GPT-NeoX
checkpoint in PyTorch float64.

  svd_directions_torch.py make DIR D DFF LAYERS HEADS VOCAB SEED
      write a synthetic checkpoint as raw little-endian float32 files under DIR: unembed.f32
      [VOCAB, D] and per block b: mlp{b}.f32 [D, DFF] (mlp.out as GPT-NeoX stores it: rows =
      residual side), qkv{b}.f32 [3D, D] (fused, [heads, 3, hd, D]), dense{b}.f32 [D, D]. Every
      matrix is N(0, 0.02^2) noise; mlp.out and each head's W_V / W_O get a few planted rank-one
      terms with large singular values so that the leading directions are well separated.
  svd_directions_torch.py run DIR D DFF LAYERS HEADS VOCAB THREADS OUT
      time the whole computation (file reads included) in float64: per block, mlp.out's top-30
      left singular vectors from torch.linalg.eigh(W W^T); each head's OV circuit exactly (QR of
      W_O^h, eigh of R (W_V^h W_V^h^T) R^T); all directions of the block mapped at once through
      the float64 unembedding (one U @ D product) and torch.topk(20) of +logits and -logits.
      Writes OUT (raw LE): per direction in order [block, mlp.out, heads 0..], float64 singular
      value then int32 top[20], bottom[20]; prints JSON {seconds, cpu_seconds, peak_mb}.
Run with Debian's Python only (/usr/bin/python3).
"""
import json
import os
import sys
import time

import numpy as np
import torch

K_DIRECTIONS = 30
TOP_K = 20


def peak_mb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def noise(rng, rows, cols):
    w = np.empty((rows, cols), dtype=np.float32)
    step = max(1, (1 << 24) // cols)
    for r in range(0, rows, step):
        w[r:r + step] = rng.standard_normal((min(step, rows - r), cols), dtype=np.float32) * np.float32(0.02)
    return w


def unit(rng, n):
    v = rng.standard_normal(n)
    return v / np.linalg.norm(v)


def plant(rng, w, values, rows=None, cols=None):
    """Adds sum_p s_p a_p b_p^T on the given row / column ranges (float64 sum, stored float32)."""
    rs = rows if rows is not None else slice(0, w.shape[0])
    cs = cols if cols is not None else slice(0, w.shape[1])
    block = w[rs, cs].astype(np.float64)
    for s in values:
        block += s * np.outer(unit(rng, block.shape[0]), unit(rng, block.shape[1]))
    w[rs, cs] = block.astype(np.float32)


def make(out, d, dff, layers, heads, vocab, seed):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    hd = d // heads
    noise(rng, vocab, d).astype('<f4').tofile(os.path.join(out, 'unembed.f32'))
    # Bulk edge of N(0, 0.02^2) [d, dff]: 0.02 (sqrt(d) + sqrt(dff)); plant 8 values well above it.
    edge = 0.02 * (d ** 0.5 + dff ** 0.5)
    for b in range(layers):
        w = noise(rng, d, dff)
        plant(rng, w, [edge * f for f in (4.0, 3.4, 2.9, 2.5, 2.1, 1.8, 1.6, 1.45)])
        w.astype('<f4').tofile(os.path.join(out, f'mlp{b}.f32'))
        qkv = noise(rng, 3 * d, d)
        dense = noise(rng, d, d)
        for h in range(heads):
            v_rows = slice((3 * h + 2) * hd, (3 * h + 3) * hd)
            plant(rng, qkv, [1.5, 1.2, 1.0], rows=v_rows)
            plant(rng, dense, [1.4, 1.1], cols=slice(h * hd, (h + 1) * hd))
        qkv.astype('<f4').tofile(os.path.join(out, f'qkv{b}.f32'))
        dense.astype('<f4').tofile(os.path.join(out, f'dense{b}.f32'))


def read(path, rows, cols):
    return torch.from_numpy(np.fromfile(path, dtype='<f4').reshape(rows, cols))


def top_left(c, k):
    """Top-k eigenpairs of a symmetric float64 matrix, descending."""
    e, v = torch.linalg.eigh(c)
    order = torch.argsort(e, descending=True)[:k]
    return e[order].clamp(min=0).sqrt(), v[:, order]


def run(folder, d, dff, layers, heads, vocab, threads, out):
    torch.set_num_threads(threads)
    hd = d // heads
    t0 = time.perf_counter()
    c0 = time.process_time()
    unembed = read(os.path.join(folder, 'unembed.f32'), vocab, d).double()
    records = []
    for b in range(layers):
        w = read(os.path.join(folder, f'mlp{b}.f32'), d, dff).double()
        s_mlp, u_mlp = top_left(w @ w.T, K_DIRECTIONS)
        del w
        qkv = read(os.path.join(folder, f'qkv{b}.f32'), 3 * d, d).double()
        dense = read(os.path.join(folder, f'dense{b}.f32'), d, d).double()
        values = [s_mlp]
        vectors = [u_mlp]
        for h in range(heads):
            w_o = dense[:, h * hd:(h + 1) * hd]
            w_v = qkv[(3 * h + 2) * hd:(3 * h + 3) * hd, :]
            q, r = torch.linalg.qr(w_o)
            s_h, v_h = top_left(r @ (w_v @ w_v.T) @ r.T, min(K_DIRECTIONS, hd))
            values.append(s_h)
            vectors.append(q @ v_h)
        directions = torch.cat(vectors, dim=1)
        logits = unembed @ directions
        top = torch.topk(logits, TOP_K, dim=0).indices.T
        bottom = torch.topk(-logits, TOP_K, dim=0).indices.T
        records.append((torch.cat(values), top, bottom))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    with open(out, 'wb') as f:
        for values, top, bottom in records:
            for i in range(values.shape[0]):
                f.write(np.float64(values[i].item()).astype('<f8').tobytes())
                f.write(top[i].numpy().astype('<i4').tobytes())
                f.write(bottom[i].numpy().astype('<i4').tobytes())
    print(json.dumps({'seconds': seconds, 'cpu_seconds': cpu, 'peak_mb': peak_mb()}))


def main():
    mode = sys.argv[1]
    if mode == 'make':
        out, d, dff, layers, heads, vocab, seed = sys.argv[2], *map(int, sys.argv[3:9])
        make(out, d, dff, layers, heads, vocab, seed)
        return
    if mode == 'run':
        folder, d, dff, layers, heads, vocab, threads, out = sys.argv[2], *map(int, sys.argv[3:9]), sys.argv[9]
        run(folder, d, dff, layers, heads, vocab, threads, out)
        return
    raise SystemExit(f'unknown mode {mode}')


if __name__ == '__main__':
    main()
