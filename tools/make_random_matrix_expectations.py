#!/usr/bin/python3
"""Make the fixtures of issue 19's weight and activation numbers, in float64 PyTorch/numpy:

- WeightWatcher parity (main/metrics/weightwatcher.ts): log_norm, log_spectral_norm,
  alpha_weighted, num_pl_spikes, sigma of the spectrum fixture matrices (test/fixtures/spectrum),
  from numpy singular values and the power-law fit of tools/make_spectrum_expectations.py, with
  WeightWatcher's definitions (weightwatcher.py apply_norm_metrics / fit_powerlaw): eigenvalues
  lambda = s^2; log_norm = log10(sum lambda); log_spectral_norm = log10(max lambda);
  alpha_weighted = alpha * log_spectral_norm; num_pl_spikes = #{lambda >= xmin};
  sigma = (alpha - 1) / sqrt(n from xmin up).
- Per-head spectra (main/jobs/units/head-spectra.ts): every head's Q, K, V of every block of the
  forward fixtures gpt_neox (fused, rows per head), gpt2 (Conv1D [d, 3d]) and llama (grouped-query
  attention: 2 kv heads for 4 query heads), and of the bundled demo-tiny run at step 2600 (float16):
  torch.linalg.svdvals in float64 of the slice and of its entries shuffled by the seeded
  Fisher-Yates of main/metrics/random-matrix.ts (xorshift32 13/17/5, seed 0x9E3779B9, swap i with
  r mod (i + 1), i from the last index down), the entries' population std and the
  Marchenko-Pastur edges sigma (sqrt(max) +- sqrt(min)).
- A Gaussian 120 x 480 matrix (std 0.02) with its singular values, to check the MP edges bound them.
- Outlier dimensions (main/jobs/units/outlier-dims.ts): per resid.{i} of the forward fixtures
  (float64 residual streams of tools/make_forward_fixtures.py), max |x| per dimension, the top 8
  dimensions, and the gains of the norms reading that stream (block i's ln.attn, plus ln.mlp when
  the residual is parallel; ln.final after the last block).

Run: /usr/bin/python3 tools/make_random_matrix_expectations.py
Writes test/fixtures/random-matrix/expectations.json and gaussian_120x480.f32.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'random-matrix')
sys.path.insert(0, HERE)
from make_spectrum_expectations import powerlaw_fit  # noqa: E402

SEED = 0x9E3779B9
TOP = 8
M32 = 0xFFFFFFFF


def read_safetensors(path):
    with open(path, 'rb') as fh:
        n = struct.unpack('<Q', fh.read(8))[0]
        header = json.loads(fh.read(n))
        base = 8 + n
        out = {}
        for name, meta in header.items():
            if name == '__metadata__':
                continue
            a, b = meta['data_offsets']
            fh.seek(base + a)
            raw = fh.read(b - a)
            dt = {'F16': np.float16, 'F32': np.float32, 'F64': np.float64}.get(meta['dtype'])
            if dt is None:
                continue
            out[name] = np.frombuffer(raw, dtype=dt).astype(np.float64).reshape(meta['shape'])
        return out


def shuffled(flat):
    x = SEED
    out = flat.copy()
    for i in range(len(out) - 1, 0, -1):
        x ^= (x << 13) & M32
        x ^= x >> 17
        x ^= (x << 5) & M32
        j = x % (i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def svdvals(m):
    return torch.linalg.svdvals(torch.from_numpy(np.ascontiguousarray(m, dtype=np.float64))).numpy()


def head_entry(block, head, part, m):
    rows, cols = m.shape
    s = svdvals(m)
    sh = svdvals(shuffled(m.reshape(-1)).reshape(rows, cols))
    sigma = float(np.std(m))
    p, n = min(rows, cols), max(rows, cols)
    lower, upper = sigma * (math.sqrt(n) - math.sqrt(p)), sigma * (math.sqrt(n) + math.sqrt(p))
    fit = powerlaw_fit(s * s)
    return {
        'alpha': fit and fit['alpha'], 'alpha_xmin': fit and fit['xmin'],
        'tensor': f'attn.{block}.head.{head}.{part}', 'rows': rows, 'cols': cols,
        'singular_values': s.tolist(), 'shuffled_singular_values': sh.tolist(),
        'mp_sigma': sigma, 'mp_lower': lower, 'mp_upper': upper,
        'mp_spikes': int(np.sum(s > upper)), 'spike_ratio': float(s[0] / sh[0]),
    }


def heads_of(family, w, cfg):
    """[(block, head, part, [hd, d] slice)] with each family's own layout, via torch reshapes."""
    out = []
    d = cfg.get('hidden_size', cfg.get('n_embd'))
    heads = cfg.get('num_attention_heads', cfg.get('n_head'))
    layers = cfg.get('num_hidden_layers', cfg.get('n_layer'))
    hd = d // heads
    for b in range(layers):
        if family == 'gpt_neox':
            qkv = torch.from_numpy(w[f'gpt_neox.layers.{b}.attention.query_key_value.weight']).view(heads, 3, hd, d)
            for h in range(heads):
                for p, part in enumerate('qkv'):
                    out.append((b, h, part, qkv[h, p].numpy()))
        elif family == 'gpt2':
            c = torch.from_numpy(w[f'transformer.h.{b}.attn.c_attn.weight'])  # [d, 3d]
            for h in range(heads):
                for p, part in enumerate('qkv'):
                    out.append((b, h, part, c[:, p * d + h * hd: p * d + (h + 1) * hd].T.contiguous().numpy()))
        else:
            kv = cfg.get('num_key_value_heads', heads)
            for part, n in (('q', heads), ('k', kv), ('v', kv)):
                m = torch.from_numpy(w[f'model.layers.{b}.self_attn.{part}_proj.weight']).view(n, hd, d)
                for h in range(n):
                    out.append((b, h, part, m[h].numpy()))
    return out


NORMS = {
    'gpt_neox': ('gpt_neox.layers.{b}.input_layernorm.weight', 'gpt_neox.layers.{b}.post_attention_layernorm.weight', 'gpt_neox.final_layer_norm.weight'),
    'gpt2': ('transformer.h.{b}.ln_1.weight', 'transformer.h.{b}.ln_2.weight', 'transformer.ln_f.weight'),
    'llama': ('model.layers.{b}.input_layernorm.weight', 'model.layers.{b}.post_attention_layernorm.weight', 'model.norm.weight'),
}


def outlier_dims(family, folder, cfg):
    w = read_safetensors(os.path.join(folder, 'model.safetensors'))
    e = read_safetensors(os.path.join(folder, 'expected.safetensors'))
    layers = cfg.get('num_hidden_layers', cfg.get('n_layer'))
    parallel = family == 'gpt_neox' and cfg.get('use_parallel_residual', True)
    attn, mlp, final = NORMS[family]
    out = []
    for i in range(layers + 1):
        x = torch.from_numpy(e[f'resid.{i}'])
        d = x.shape[-1]
        dim_max = x.reshape(-1, d).abs().amax(dim=0).numpy()
        order = sorted(range(d), key=lambda k: (-dim_max[k], k))[:TOP]
        if i < layers:
            norms = [('ln.attn', attn.format(b=i))] + ([('ln.mlp', mlp.format(b=i))] if parallel else [])
        else:
            norms = [('ln.final', final)]
        out.append({
            'tensor': f'resid.{i}', 'dim_max_abs': dim_max.tolist(), 'top_dims': order,
            'norms': [{'component': c, 'tensor': t, 'gain': w[t].tolist()} for c, t in norms],
        })
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(2)
    result = {'generator': 'tools/make_random_matrix_expectations.py', 'torch': torch.__version__, 'numpy': np.__version__, 'seed': SEED}

    spec = json.load(open(os.path.join(ROOT, 'test', 'fixtures', 'spectrum', 'expectations.json')))
    ww = []
    for m in spec['matrices']:
        w = np.fromfile(os.path.join(ROOT, 'test', 'fixtures', 'spectrum', m['file']), dtype='<f4').astype(np.float64).reshape(m['rows'], m['cols'])
        lam = svdvals(w) ** 2
        fit = powerlaw_fit(lam)
        log_spec = math.log10(float(np.max(lam)))
        ww.append({
            'name': m['name'], 'spectral_norm_ww': float(np.max(lam)),
            'log_norm': math.log10(float(np.sum(lam))), 'log_spectral_norm': log_spec,
            'alpha': fit and fit['alpha'],
            'alpha_weighted': fit and fit['alpha'] * log_spec,
            'num_pl_spikes': fit and int(np.sum(lam[lam > 1e-5] >= fit['xmin'])),
            'sigma': fit and fit['sigma'],
        })
    result['weightwatcher'] = ww

    heads = {}
    for name, family in (('neox_parallel', 'gpt_neox'), ('gpt2', 'gpt2'), ('llama', 'llama')):
        folder = os.path.join(ROOT, 'test', 'fixtures', 'forward', name)
        cfg = json.load(open(os.path.join(folder, 'config.json')))
        w = read_safetensors(os.path.join(folder, 'model.safetensors'))
        heads[name] = [head_entry(b, h, p, m) for b, h, p, m in heads_of(family, w, cfg)]
    demo = os.path.join(ROOT, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny')
    rev = open(os.path.join(demo, 'refs', 'step2600')).read().strip()
    snap = os.path.join(demo, 'snapshots', rev)
    cfg = json.load(open(os.path.join(snap, 'config.json')))
    w = read_safetensors(os.path.join(snap, 'model.safetensors'))
    heads['demo_tiny_step2600'] = [head_entry(b, h, p, m) for b, h, p, m in heads_of('gpt_neox', w, cfg)]
    result['head_spectra'] = heads

    rng = np.random.default_rng(19)
    g = rng.normal(0, 0.02, size=(120, 480)).astype(np.float32)
    g.astype('<f4').tofile(os.path.join(OUT, 'gaussian_120x480.f32'))
    g64 = g.astype(np.float64)
    s = svdvals(g64)
    sigma = float(np.std(g64))
    result['gaussian'] = {'file': 'gaussian_120x480.f32', 'rows': 120, 'cols': 480, 'sigma': sigma,
                          'mp_lower': sigma * (math.sqrt(480) - math.sqrt(120)), 'mp_upper': sigma * (math.sqrt(480) + math.sqrt(120)),
                          's_max': float(s[0]), 's_min': float(s[-1])}

    od = {}
    for name, family in (('neox_parallel', 'gpt_neox'), ('neox_sequential', 'gpt_neox'), ('gpt2', 'gpt2'), ('llama', 'llama')):
        folder = os.path.join(ROOT, 'test', 'fixtures', 'forward', name)
        od[name] = outlier_dims(family, folder, json.load(open(os.path.join(folder, 'config.json'))))
    result['outlier_dims'] = od

    with open(os.path.join(OUT, 'expectations.json'), 'w') as fh:
        json.dump(result, fh, indent=1)
        fh.write('\n')
    print('wrote', os.path.join(OUT, 'expectations.json'))


if __name__ == '__main__':
    main()
