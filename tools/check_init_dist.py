#!/usr/bin/python3
"""init-dist fixtures and the check of the documented PyTorch snippet (docs/INIT_DIST.md).

Step 1, `make`: a heavy-tailed tensor (Student-t, nu = 3, scale 0.02, 256 x 384 float32, seed 0)
written as a one-checkpoint step-folder run under test/fixtures/init-dist/heavy/step_1000/, and the
expected quantile function: numpy.quantile (type 7) of its float64 values at the cosine grid of
docs/INIT_DIST.md -> test/fixtures/init-dist/expected.json.

Step 2, `check FILE`: FILE is what `checkpoint-atlas init-dist` wrote for that tensor. The snippet
block of docs/INIT_DIST.md is executed as written (with a minimal stand-in for the `safetensors`
package when it is not installed: load_file / safe_open read the same layout), 4,194,304 values are
drawn with torch.Generator seed 1 (and one same-size tensor, seed 0), and their 1%..99% quantiles are compared with the trained tensor's, in
units of the trained tensor's standard deviation. The result is stored under `snippet_check` in
expected.json with the sha256 of FILE's two tensors, which test/integration/init-dist.test.ts
compares with what the code writes now.

Run:  /usr/bin/python3 tools/check_init_dist.py make
      npx checkpoint-atlas analyze test/fixtures/init-dist/heavy --db /tmp/i.sqlite --analyses weights
      npx checkpoint-atlas init-dist --db /tmp/i.sqlite --run heavy --tensor gpt_neox.layers.0.mlp.dense_4h_to_h.weight --out /tmp/heavy.safetensors
      /usr/bin/python3 tools/check_init_dist.py check /tmp/heavy.safetensors
"""
import hashlib
import json
import os
import re
import struct
import sys
import types

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, 'test', 'fixtures', 'init-dist')
TENSOR = 'gpt_neox.layers.0.mlp.dense_4h_to_h.weight'
POINTS = 2049


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', None)
    out = {}
    for name, e in header.items():
        a, b = e['data_offsets']
        dt = {'F64': np.float64, 'F32': np.float32}[e['dtype']]
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dt).copy().reshape(e['shape']))
    return out, meta


def write_safetensors(path, tensors):
    header, data = {}, bytearray()
    for name, t in tensors.items():
        b = t.contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + bytes(data))


def heavy_tensor():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(256, 384, generator=g, dtype=torch.float64)
    chi2 = torch.distributions.Chi2(torch.tensor(3.0, dtype=torch.float64))
    torch.manual_seed(0)
    v = chi2.sample((256, 384))
    return (0.02 * z / torch.sqrt(v / 3.0)).float()


def grid(points):
    i = np.arange(points, dtype=np.float64)
    p = (1 - np.cos(np.pi * i / (points - 1))) / 2
    p[0], p[-1] = 0.0, 1.0
    if points % 2:
        p[(points - 1) // 2] = 0.5
    return p


def make():
    t = heavy_tensor()
    folder = os.path.join(FIX, 'heavy', 'step_1000')
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, 'model.safetensors'), {TENSOR: t})
    x = t.double().reshape(-1).numpy()
    p = grid(POINTS)
    expected = {
        'tensor': TENSOR, 'shape': list(t.shape), 'step': 1000, 'points': POINTS,
        'std': float(x.std()), 'numpy_quantiles': np.quantile(x, p).tolist(),
        'probabilities_check': [float(p[1]), float(p[POINTS // 4]), float(p[-2])],
    }
    with open(os.path.join(FIX, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=0)
    print('std', x.std(), 'kurtosis', ((x - x.mean()) ** 4).mean() / x.var() ** 2 - 3)


def snippet():
    text = open(os.path.join(ROOT, 'docs', 'INIT_DIST.md')).read()
    m = re.search(r'# --- snippet: sample from an init-dist file ---\n(.*?)# --- end snippet ---', text, re.S)
    return m.group(1)


def check(path):
    try:
        import safetensors  # noqa: F401
    except ImportError:
        shim = types.ModuleType('safetensors')
        shim_torch = types.ModuleType('safetensors.torch')
        shim_torch.load_file = lambda p: read_safetensors(p)[0]

        class SafeOpen:
            def __init__(self, p, framework):
                self.meta = read_safetensors(p)[1]

            def __enter__(self):
                return self

            def __exit__(self, *a):
                return False

            def metadata(self):
                return self.meta

        shim.safe_open = SafeOpen
        shim.torch = shim_torch
        sys.modules['safetensors'] = shim
        sys.modules['safetensors.torch'] = shim_torch
    code = snippet()
    assert 15 <= len([l for l in code.splitlines() if l.strip()]) <= 24, 'the snippet should stay about 20 lines'
    env = {}
    exec(code, env)
    same = env['sample_init'](path, generator=torch.Generator().manual_seed(0))
    big = env['sample_init'](path, shape=[4096, 1024], generator=torch.Generator().manual_seed(1))
    trained = heavy_tensor().double()
    assert list(same.shape) == list(trained.shape)
    ps = torch.arange(1, 100, dtype=torch.float64) / 100
    qa = torch.quantile(trained.reshape(-1), ps)
    std = trained.std(unbiased=False).item()
    # torch.quantile is limited to 16M elements; 4M is within it.
    err = (qa - torch.quantile(big.reshape(-1), ps)).abs() / std
    err_same = (qa - torch.quantile(same.reshape(-1), ps)).abs() / std
    tensors, meta = read_safetensors(path)
    sha = {k: hashlib.sha256(v.numpy().astype('<f8').tobytes()).hexdigest() for k, v in tensors.items()}
    exp_path = os.path.join(FIX, 'expected.json')
    expected = json.load(open(exp_path))
    expected['snippet_check'] = {
        'torch': torch.__version__, 'seed': 0, 'max_error_over_std': err.max().item(),
        'worst_percentile': int(err.argmax().item()) + 1, 'errors_over_std': err.tolist(), 'draw': 4194304,
        'same_size_draw_max_error_over_std': err_same.max().item(),
        'sha256': sha, 'metadata': meta,
    }
    with open(exp_path, 'w') as f:
        json.dump(expected, f, indent=0)
    print('max |q_new - q_trained| / std over 1..99% =', err.max().item(), 'at', int(err.argmax()) + 1, '%')


if __name__ == '__main__':
    if sys.argv[1:2] == ['make']:
        make()
    elif sys.argv[1:2] == ['check'] and len(sys.argv) == 3:
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
