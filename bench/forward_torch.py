#!/usr/bin/python3
"""Baseline for bench/forward.mjs: the same GPT-NeoX forward (and forward + backward) in PyTorch
float32 on the CPU with the same thread count, timed the same way (warm-up, then the median of
repeats). Prints one JSON line: {"forward_s": ..., "forward_backward_s": ..., "loss": ...}.
Usage: forward_torch.py <threads> <d> <layers> <heads> <vocab> <batch> <seq_len> <repeats>
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

threads, d, layers, H, V, B, L, repeats = (int(a) for a in sys.argv[1:9])
torch.set_num_threads(threads)
torch.manual_seed(0)
hd = d // H
rd = hd // 4  # rotary_pct 0.25, as Pythia
FF = 4 * d


def p(*shape, std=0.02):
    return (torch.randn(*shape) * std).requires_grad_(True)


params = {'embed': p(V, d, std=1.0), 'ln_f_w': p(d, std=0.0) , 'ln_f_b': p(d), 'unembed': p(V, d)}
with torch.no_grad():
    params['ln_f_w'] += 1
for i in range(layers):
    params.update({f'{i}.ln1_w': p(d), f'{i}.ln1_b': p(d), f'{i}.ln2_w': p(d), f'{i}.ln2_b': p(d),
                   f'{i}.qkv_w': p(3 * d, d), f'{i}.qkv_b': p(3 * d), f'{i}.dense_w': p(d, d), f'{i}.dense_b': p(d),
                   f'{i}.fc1_w': p(FF, d), f'{i}.fc1_b': p(FF), f'{i}.fc2_w': p(d, FF), f'{i}.fc2_b': p(d)})
tokens = torch.randint(0, V, (B, L))
inv_freq = 1.0 / (10000 ** (torch.arange(0, rd, 2).float() / rd))
freqs = torch.outer(torch.arange(L).float(), inv_freq)
emb = torch.cat((freqs, freqs), -1)
cos, sin = emb.cos(), emb.sin()
mask = torch.ones(L, L, dtype=torch.bool).tril()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), -1)


def forward(pr):
    x = pr['embed'][tokens]
    acts = [x]
    for i in range(layers):
        h = F.layer_norm(x, (d,), pr[f'{i}.ln1_w'], pr[f'{i}.ln1_b'], 1e-5)
        qkv = F.linear(h, pr[f'{i}.qkv_w'], pr[f'{i}.qkv_b']).view(B, L, H, 3 * hd).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        q = torch.cat((q[..., :rd] * cos + rotate_half(q[..., :rd]) * sin, q[..., rd:]), -1)
        k = torch.cat((k[..., :rd] * cos + rotate_half(k[..., :rd]) * sin, k[..., rd:]), -1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(~mask, float('-inf'))
        o = (torch.softmax(s, -1) @ v).permute(0, 2, 1, 3).reshape(B, L, d)
        attn = F.linear(o, pr[f'{i}.dense_w'], pr[f'{i}.dense_b'])
        h2 = F.layer_norm(x, (d,), pr[f'{i}.ln2_w'], pr[f'{i}.ln2_b'], 1e-5)
        a = F.gelu(F.linear(h2, pr[f'{i}.fc1_w'], pr[f'{i}.fc1_b']))
        acts.append(a)
        x = x + attn + F.linear(a, pr[f'{i}.fc2_w'], pr[f'{i}.fc2_b'])
        acts.append(x)
    fn = F.layer_norm(x, (d,), pr['ln_f_w'], pr['ln_f_b'], 1e-5)
    logits = F.linear(fn, pr['unembed'])
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1))
    return loss, logits, acts


def timed(fn):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fwd():
    with torch.no_grad():
        return forward(params)


def fwd_bwd():
    for t in params.values():
        t.grad = None
    loss, _, _ = forward(params)
    loss.backward()


result = {'forward_s': timed(fwd), 'forward_backward_s': timed(fwd_bwd), 'loss': float(fwd()[0])}
print(json.dumps(result))
