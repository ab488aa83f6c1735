#!/usr/bin/python3
"""Make the reader fixtures in test/fixtures/readers/ with real PyTorch (torch.save) and a
hand-written safetensors writer (no safetensors package on this machine), plus the expected values
the TypeScript readers must reproduce exactly.

Expected values: for each weight file F, `F.expected.json` lists its tensors
({name, dtype, shape, offset, count}) and `F.expected.f64` holds torch's `.double()` values as raw
little-endian float64 (NaN/inf survive, which JSON could not carry), `offset`/`count` in elements.

Run: /usr/bin/python3 tools/make_reader_fixtures.py   (deterministic; rewrites the folder)
"""
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'readers')
MARKER_DIR = '/tmp'
MARKERS = {
    'os_system': os.path.join(MARKER_DIR, 'checkpoint-atlas-pwned-os-system'),
    'eval': os.path.join(MARKER_DIR, 'checkpoint-atlas-pwned-eval'),
    'popen': os.path.join(MARKER_DIR, 'checkpoint-atlas-pwned-popen'),
}

ST_DTYPE = {
    torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float32: 'F32', torch.float64: 'F64',
    torch.int8: 'I8', torch.uint8: 'U8', torch.int16: 'I16', torch.int32: 'I32', torch.int64: 'I64',
    torch.bool: 'BOOL',
}
NP_DTYPE = {np.dtype('uint16'): 'U16', np.dtype('uint32'): 'U32', np.dtype('uint64'): 'U64'}


def path(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def raw_bytes(t):
    """Little-endian C-order bytes and safetensors dtype of a torch tensor or numpy array."""
    if isinstance(t, np.ndarray):
        return np.ascontiguousarray(t).astype(t.dtype.newbyteorder('<')).tobytes(), NP_DTYPE[t.dtype]
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype('<i2').tobytes(), 'BF16'
    return t.numpy().tobytes(), ST_DTYPE[t.dtype]


def safetensors_bytes(tensors, metadata=None):
    """The safetensors layout: u64 LE header length, JSON header padded with spaces to 8, data."""
    header = OrderedDict()
    if metadata is not None:
        header['__metadata__'] = metadata
    data = bytearray()
    for name, t in tensors.items():
        b, dt = raw_bytes(t)
        header[name] = {'dtype': dt, 'shape': list(t.shape), 'data_offsets': [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + bytes(data)


def as_double(t):
    if isinstance(t, np.ndarray):
        return t.astype(np.float64).reshape(-1)
    return t.detach().double().contiguous().reshape(-1).numpy()


def write_expected(file_path, tensors):
    entries, values, offset = [], [], 0
    for name, t in tensors.items():
        d = as_double(t)
        dtype = NP_DTYPE[t.dtype] if isinstance(t, np.ndarray) else ST_DTYPE[t.dtype]
        entries.append({'name': name, 'dtype': dtype, 'shape': list(t.shape), 'offset': offset, 'count': int(d.size)})
        values.append(d)
        offset += d.size
    with open(file_path + '.expected.json', 'w') as f:
        json.dump({'tensors': entries}, f, indent=1)
    with open(file_path + '.expected.f64', 'wb') as f:
        f.write(np.concatenate(values).astype('<f8').tobytes() if values else b'')


def write_safetensors(file_path, tensors, metadata=None, expected=True):
    with open(file_path, 'wb') as f:
        f.write(safetensors_bytes(tensors, metadata))
    if expected:
        write_expected(file_path, tensors)


def write_torch(file_path, obj, expected_tensors=None, **kw):
    torch.save(obj, file_path, **kw)
    if expected_tensors is not None:
        write_expected(file_path, expected_tensors)


def all_dtypes():
    g = torch.Generator().manual_seed(1)
    half_specials = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035e-05, 5.96e-08, 3.0e-06,
                                  float('inf'), float('-inf'), float('nan'), 1 / 3], dtype=torch.float16)
    bf16_specials = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.3895e38, 9.2e-41, float('inf'), float('nan'), 1 / 3],
                                 dtype=torch.bfloat16)
    return OrderedDict([
        ('f16', torch.cat([half_specials, torch.randn(2, 5, generator=g).half().reshape(-1)]).reshape(2, 11)),
        ('bf16', torch.cat([bf16_specials, torch.randn(7, generator=g).bfloat16()]).reshape(4, 4)),
        ('f32', torch.randn(3, 4, 2, generator=g)),
        ('f64', torch.randn(5, generator=g).double() * 1e-3 + 1 / 3),
        ('i8', torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8)),
        ('u8', torch.tensor([[0, 1], [128, 255]], dtype=torch.uint8)),
        ('i16', torch.tensor([-32768, -7, 0, 32767], dtype=torch.int16)),
        ('i32', torch.tensor([-2 ** 31, -5, 0, 2 ** 31 - 1], dtype=torch.int32)),
        ('i64', torch.tensor([-2 ** 53, -3, 0, 2 ** 53, 123456789012], dtype=torch.int64)),
        ('bool', torch.tensor([[True, False, True], [False, False, True]])),
        ('scalar', torch.tensor(2.75)),
        ('empty', torch.zeros(0, 3)),
    ])


def gpt_neox_state(seed, layers=2, d=8, vocab=16, old_buffers=False):
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    sd['gpt_neox.embed_in.weight'] = torch.randn(vocab, d, generator=g)
    for i in range(layers):
        p = f'gpt_neox.layers.{i}.'
        sd[p + 'input_layernorm.weight'] = torch.ones(d) + 0.01 * torch.randn(d, generator=g)
        sd[p + 'input_layernorm.bias'] = 0.01 * torch.randn(d, generator=g)
        sd[p + 'post_attention_layernorm.weight'] = torch.ones(d)
        sd[p + 'post_attention_layernorm.bias'] = torch.zeros(d)
        if old_buffers:
            sd[p + 'attention.bias'] = torch.tril(torch.ones(4, 4, dtype=torch.bool)).view(1, 1, 4, 4)
            sd[p + 'attention.masked_bias'] = torch.tensor(-1e9)
            sd[p + 'attention.rotary_emb.inv_freq'] = 1.0 / (10000 ** (torch.arange(0, 2).float() / 2))
        sd[p + 'attention.query_key_value.weight'] = torch.randn(3 * d, d, generator=g)
        sd[p + 'attention.query_key_value.bias'] = torch.randn(3 * d, generator=g)
        sd[p + 'attention.dense.weight'] = torch.randn(d, d, generator=g)
        sd[p + 'attention.dense.bias'] = torch.randn(d, generator=g)
        sd[p + 'mlp.dense_h_to_4h.weight'] = torch.randn(4 * d, d, generator=g)
        sd[p + 'mlp.dense_h_to_4h.bias'] = torch.randn(4 * d, generator=g)
        sd[p + 'mlp.dense_4h_to_h.weight'] = torch.randn(d, 4 * d, generator=g)
        sd[p + 'mlp.dense_4h_to_h.bias'] = torch.randn(d, generator=g)
    sd['gpt_neox.final_layer_norm.weight'] = torch.ones(d)
    sd['gpt_neox.final_layer_norm.bias'] = torch.zeros(d)
    sd['embed_out.weight'] = torch.randn(vocab, d, generator=g)
    return sd


def neox_config(layers=2, d=8, vocab=16):
    return {'architectures': ['GPTNeoXForCausalLM'], 'model_type': 'gpt_neox', 'hidden_size': d,
            'num_attention_heads': 2, 'num_hidden_layers': layers, 'intermediate_size': 4 * d,
            'vocab_size': vocab, 'max_position_embeddings': 4, 'layer_norm_eps': 1e-5,
            'rotary_pct': 0.25, 'rotary_emb_base': 10000, 'use_parallel_residual': True,
            'hidden_act': 'gelu', 'tie_word_embeddings': False, 'torch_dtype': 'float16'}


def write_json(p, obj):
    with open(path(p) if not os.path.isabs(p) else p, 'w') as f:
        json.dump(obj, f, indent=1)


# ---------- zip helpers for hostile torch files ----------

def torch_zip_entries(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write_zip(file_path, entries, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(file_path, 'w', compression=method) as z:
        for name, data in entries:
            z.writestr(name, data)


def write_zip64(file_path, entries):
    """A stored zip whose every size and offset goes through ZIP64 records, as torch.save writes
    archives over 4 GB (Pythia-12B shards): 0xFFFFFFFF placeholders plus zip64 extra fields, a
    zip64 end record and its locator. Data 64-byte aligned like torch's writer."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        nb = name.encode()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        extra = struct.pack('<HHQQ', 1, 16, len(data), len(data))
        header_len = 30 + len(nb) + len(extra)
        pad = (-(offset + header_len + 4)) % 64
        extra += struct.pack('<HH', 0xCAFE, pad) + b'Z' * pad  # alignment padding field
        out += struct.pack('<IHHHHHIIIHH', 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(extra)) + nb + extra
        assert len(out) % 64 == 0
        out += data
        cextra = struct.pack('<HHQQQ', 1, 24, len(data), len(data), offset)
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(nb), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF) + nb + cextra
    cd_offset = len(out)
    out += central
    z64_offset = len(out)
    out += struct.pack('<IQHHIIQQQQ', 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central), cd_offset)
    out += struct.pack('<IIQI', 0x07064B50, 0, z64_offset, 1)
    out += struct.pack('<IHHHHIIH', 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(file_path, 'wb') as f:
        f.write(out)


class Evil:
    """Unpickling calls fn(*args): a real torch.load(weights_only=False) would run it."""
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def main():
    if os.path.exists(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    torch.manual_seed(0)

    # ---- every dtype, both formats ----
    dt = all_dtypes()
    st = OrderedDict(dt)
    st['u16'] = np.array([0, 1, 65535], dtype=np.uint16)
    st['u32'] = np.array([0, 7, 2 ** 32 - 1], dtype=np.uint32)
    st['u64'] = np.array([0, 9, 2 ** 53], dtype=np.uint64)
    write_safetensors(path('dtypes.safetensors'), st, metadata={'format': 'pt'})
    write_torch(path('dtypes.pt'), dt, dt)

    # ---- views: storage_offset, non-contiguous strides, shared storage ----
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    half_base = torch.randn(3, 5).half()
    views = OrderedDict([
        ('base', base), ('transposed', base.t()), ('row2', base[2]), ('block', base[1:3, 2:5]),
        ('every_other_col', base[:, ::2]), ('column3', base[:, 3]),
        ('half_t', half_base.t()), ('half_tail', half_base[2, 1:]),
        ('expanded', torch.tensor([1.5, -2.0, 4.0]).expand(4, 3)),  # stride 0
    ])
    write_torch(path('views.pt'), views, views)
    # A real nn.Module state_dict: an OrderedDict with a `_metadata` attribute (pickled via BUILD)
    # and a BatchNorm's int64 num_batches_tracked buffer.
    torch.manual_seed(7)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.BatchNorm1d(4))
    msd = module.state_dict()
    write_torch(path('module-state-dict.pt'), msd, msd)
    # Parameters pickled as such (torch._utils._rebuild_parameter) inside a nested dict.
    params = OrderedDict([('weight', module[0].weight), ('bias', module[0].bias)])
    write_torch(path('parameters.pt'), {'model': params, 'step': 12, 'note': 'nested'},
                OrderedDict((f'model.{k}', v) for k, v in params.items()))
    # The same views through ZIP64 records; torch.load must accept the archive too.
    write_zip64(path('views-zip64.pt'), torch_zip_entries(views))
    loaded = torch.load(path('views-zip64.pt'))
    assert all(torch.equal(loaded[k], v) for k, v in views.items())
    write_expected(path('views-zip64.pt'), views)
    # Protocol 4 exercises STACK_GLOBAL, MEMOIZE, FRAME and SHORT_BINUNICODE.
    write_torch(path('views-proto4.pt'), views, views, pickle_protocol=4)

    # ---- sharded pairs ----
    sd = gpt_neox_state(3)
    names = list(sd)
    first, second = OrderedDict((n, sd[n]) for n in names[:9]), OrderedDict((n, sd[n]) for n in names[9:])
    total = sum(t.numel() * t.element_size() for t in sd.values())
    for kind in ('safetensors', 'bin'):
        folder = f'sharded-{kind}'
        write_json(f'{folder}/config.json', neox_config())
        wm = {}
        for k, part in enumerate((first, second), start=1):
            fname = f'model-0000{k}-of-00002.safetensors' if kind == 'safetensors' else f'pytorch_model-0000{k}-of-00002.bin'
            if kind == 'safetensors':
                write_safetensors(path(folder, fname), part, metadata={'format': 'pt'})
            else:
                write_torch(path(folder, fname), part, part)
            for n in part:
                wm[n] = fname
        idx = 'model.safetensors.index.json' if kind == 'safetensors' else 'pytorch_model.bin.index.json'
        write_json(f'{folder}/{idx}', {'metadata': {'total_size': total}, 'weight_map': wm})
        write_expected(path(folder, 'all'), sd)

    # ---- old Pythia buffers (torch zip) ----
    old = gpt_neox_state(4, old_buffers=True)
    write_json('pythia-old/config.json', neox_config())
    write_torch(path('pythia-old', 'pytorch_model.bin'), old, old)

    # ---- tied GPT-2 (Conv1D [in, out]) ----
    g = torch.Generator().manual_seed(5)
    d, vocab, npos = 8, 16, 4
    wte = torch.randn(vocab, d, generator=g)
    gpt2 = OrderedDict()
    gpt2['transformer.wte.weight'] = wte
    gpt2['transformer.wpe.weight'] = torch.randn(npos, d, generator=g)
    for i in range(2):
        p = f'transformer.h.{i}.'
        gpt2[p + 'ln_1.weight'] = torch.ones(d); gpt2[p + 'ln_1.bias'] = torch.zeros(d)
        gpt2[p + 'attn.bias'] = torch.tril(torch.ones(npos, npos)).view(1, 1, npos, npos)
        gpt2[p + 'attn.masked_bias'] = torch.tensor(-1e4)
        gpt2[p + 'attn.c_attn.weight'] = torch.randn(d, 3 * d, generator=g)
        gpt2[p + 'attn.c_attn.bias'] = torch.randn(3 * d, generator=g)
        gpt2[p + 'attn.c_proj.weight'] = torch.randn(d, d, generator=g)
        gpt2[p + 'attn.c_proj.bias'] = torch.randn(d, generator=g)
        gpt2[p + 'ln_2.weight'] = torch.ones(d); gpt2[p + 'ln_2.bias'] = torch.zeros(d)
        gpt2[p + 'mlp.c_fc.weight'] = torch.randn(d, 4 * d, generator=g)
        gpt2[p + 'mlp.c_fc.bias'] = torch.randn(4 * d, generator=g)
        gpt2[p + 'mlp.c_proj.weight'] = torch.randn(4 * d, d, generator=g)
        gpt2[p + 'mlp.c_proj.bias'] = torch.randn(d, generator=g)
    gpt2['transformer.ln_f.weight'] = torch.ones(d); gpt2['transformer.ln_f.bias'] = torch.zeros(d)
    gpt2['lm_head.weight'] = wte  # tied: the same storage, saved once
    write_json('gpt2-tied/config.json', {'architectures': ['GPT2LMHeadModel'], 'model_type': 'gpt2', 'n_embd': d,
                                          'n_head': 2, 'n_layer': 2, 'n_positions': npos, 'vocab_size': vocab,
                                          'layer_norm_epsilon': 1e-5, 'activation_function': 'gelu_new',
                                          'tie_word_embeddings': True})
    write_torch(path('gpt2-tied', 'pytorch_model.bin'), gpt2, gpt2)

    # ---- grouped-query Llama (safetensors, bf16) ----
    g = torch.Generator().manual_seed(6)
    d, heads, kv, hd, inter = 8, 4, 2, 2, 12
    ll = OrderedDict()
    ll['model.embed_tokens.weight'] = torch.randn(vocab, d, generator=g).bfloat16()
    for i in range(2):
        p = f'model.layers.{i}.'
        ll[p + 'input_layernorm.weight'] = torch.ones(d).bfloat16()
        ll[p + 'self_attn.q_proj.weight'] = torch.randn(heads * hd, d, generator=g).bfloat16()
        ll[p + 'self_attn.k_proj.weight'] = torch.randn(kv * hd, d, generator=g).bfloat16()
        ll[p + 'self_attn.v_proj.weight'] = torch.randn(kv * hd, d, generator=g).bfloat16()
        ll[p + 'self_attn.o_proj.weight'] = torch.randn(d, heads * hd, generator=g).bfloat16()
        ll[p + 'post_attention_layernorm.weight'] = torch.ones(d).bfloat16()
        ll[p + 'mlp.gate_proj.weight'] = torch.randn(inter, d, generator=g).bfloat16()
        ll[p + 'mlp.up_proj.weight'] = torch.randn(inter, d, generator=g).bfloat16()
        ll[p + 'mlp.down_proj.weight'] = torch.randn(d, inter, generator=g).bfloat16()
    ll['model.norm.weight'] = torch.ones(d).bfloat16()
    ll['lm_head.weight'] = torch.randn(vocab, d, generator=g).bfloat16()
    write_json('llama-gqa/config.json', {'architectures': ['LlamaForCausalLM'], 'model_type': 'llama',
                                          'hidden_size': d, 'num_attention_heads': heads, 'num_key_value_heads': kv,
                                          'num_hidden_layers': 2, 'intermediate_size': inter, 'vocab_size': vocab,
                                          'max_position_embeddings': 16, 'rms_norm_eps': 1e-6, 'rope_theta': 500000.0,
                                          'hidden_act': 'silu', 'tie_word_embeddings': False})
    write_safetensors(path('llama-gqa', 'model.safetensors'), ll, metadata={'format': 'pt'})

    make_layouts()
    make_hostile()
    make_tokenizer()
    print('fixtures written to', os.path.normpath(ROOT))


def tiny_weights(seed):
    g = torch.Generator().manual_seed(seed)
    return OrderedDict([('gpt_neox.embed_in.weight', torch.randn(4, 2, generator=g).half()),
                        ('embed_out.weight', torch.randn(4, 2, generator=g).half())])


def make_layouts():
    # Hugging Face hub cache: refs -> snapshots (relative symlinks) -> blobs.
    model = path('layouts', 'hub', 'models--EleutherAI--pythia-tiny')
    os.makedirs(os.path.join(model, 'blobs'))
    os.makedirs(os.path.join(model, 'refs'))
    cfg = json.dumps(neox_config(layers=1, d=2, vocab=4)).encode()

    def blob(data):
        import hashlib
        h = hashlib.sha256(data).hexdigest()
        with open(os.path.join(model, 'blobs', h), 'wb') as f:
            f.write(data)
        return h

    revisions = [('step0', 0, True), ('step1', 0, True), ('step2', 2, True), ('step4', 4, False), ('step8', 8, True)]
    commits = {}
    for k, (rev, seed, has_weights) in enumerate(revisions):
        commit = f'{k + 1:x}' * 40
        commit = commit[:40]
        commits[rev] = commit
        snap = os.path.join(model, 'snapshots', commit)
        os.makedirs(snap)
        files = {'config.json': cfg}
        if has_weights:
            files['model.safetensors'] = safetensors_bytes(tiny_weights(seed))  # step0 == step1 (Pythia #83)
        for name, data in files.items():
            os.symlink(os.path.join('..', '..', 'blobs', blob(data)), os.path.join(snap, name))
        with open(os.path.join(model, 'refs', rev), 'w') as f:
            f.write(commit)
    with open(os.path.join(model, 'refs', 'main'), 'w') as f:
        f.write(commits['step8'])  # main aliases the last revision
    write_json(os.path.join(model, 'training_log.json'),
               [{'step': s, 'loss': 10.0 / (1 + s), 'eval_loss': 11.0 / (1 + s), 'learning_rate': 1e-3} for s in (0, 1, 2, 4, 8)])
    write_expected(os.path.join(model, 'step8'), tiny_weights(8))

    # HF Trainer output: checkpoint-N folders + final model in the parent.
    run = path('layouts', 'trainer', 'my-run', 'x')[:-2]
    log = []
    for n in (10, 20, 30):
        ck = os.path.join(run, f'checkpoint-{n}')
        os.makedirs(ck)
        write_json(os.path.join(ck, 'config.json'), neox_config(layers=1, d=2, vocab=4))
        write_safetensors(os.path.join(ck, 'model.safetensors'), tiny_weights(100 + n), expected=False)
        log += [{'step': n - 5, 'loss': 3.0 - n / 20, 'learning_rate': 1e-4, 'grad_norm': 1.5, 'epoch': n / 60},
                {'step': n, 'loss': 2.9 - n / 20, 'learning_rate': 1e-4, 'grad_norm': 1.25, 'epoch': n / 60},
                {'step': n, 'eval_loss': 3.1 - n / 20, 'epoch': n / 60}]
        write_json(os.path.join(ck, 'trainer_state.json'), {'global_step': n, 'log_history': list(log)})
        with open(os.path.join(ck, 'optimizer.pt'), 'wb') as f:
            f.write(b'not read')
    write_json(os.path.join(run, 'config.json'), neox_config(layers=1, d=2, vocab=4))
    write_safetensors(os.path.join(run, 'model.safetensors'), tiny_weights(130), expected=False)
    write_json(os.path.join(run, 'trainer_state.json'), {'global_step': 30, 'log_history': log})

    # Step folders with assorted naming schemes.
    for name, seed in (('global_step100', 1), ('global_step200', 2), ('global_step300', 3)):
        folder = path('layouts', 'steps-a', name, 'x')[:-2]
        write_json(os.path.join(folder, 'config.json'), neox_config(layers=1, d=2, vocab=4))
        write_torch(os.path.join(folder, 'pytorch_model.bin'), tiny_weights(seed))
    for name, seed in (('iter_0001000', 1), ('iter_0002000', 2), ('step_500', 3), ('ckpt-1500', 4), ('2500', 5)):
        folder = path('layouts', 'steps-b', name, 'x')[:-2]
        write_safetensors(os.path.join(folder, 'model.safetensors'), tiny_weights(seed), expected=False)

    # A single weights file.
    write_safetensors(path('layouts', 'single', 'weights.safetensors'), tiny_weights(9), expected=False)


def make_hostile():
    good = safetensors_bytes(OrderedDict([('a', torch.arange(4, dtype=torch.float32)), ('b', torch.ones(2, dtype=torch.float16))]))
    hlen = struct.unpack('<Q', good[:8])[0]

    def st_with_header(header, data_len, pad=True):
        h = json.dumps(header).encode()
        if pad:
            h += b' ' * ((8 - len(h) % 8) % 8)
        return struct.pack('<Q', len(h)) + h + bytes(data_len)

    hostile = {
        'truncated.safetensors': good[:-3],
        'trailing-bytes.safetensors': good + b'\0' * 8,
        'lying-header-length.safetensors': struct.pack('<Q', hlen + 4096) + good[8:],
        'huge-header-length.safetensors': struct.pack('<Q', 2 ** 40) + good[8:],
        'tiny.safetensors': good[:5],
        'not-json.safetensors': struct.pack('<Q', 8) + b'{"a":1,,',
        'bad-utf8.safetensors': struct.pack('<Q', 8) + b'{"\xff\xfe":1}',
        'not-object.safetensors': struct.pack('<Q', 8) + b'[1,2,3] ',
        'overlapping.safetensors': st_with_header({'a': {'dtype': 'F32', 'shape': [4], 'data_offsets': [0, 16]},
                                                   'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [8, 16]}}, 16),
        'gap.safetensors': st_with_header({'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},
                                           'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [16, 24]}}, 24),
        'out-of-range.safetensors': st_with_header({'a': {'dtype': 'F32', 'shape': [1024], 'data_offsets': [0, 4096]}}, 16),
        'size-mismatch.safetensors': st_with_header({'a': {'dtype': 'F32', 'shape': [3], 'data_offsets': [0, 16]}}, 16),
        'overflow.safetensors': st_with_header({'a': {'dtype': 'F32', 'shape': [2 ** 32, 2 ** 32, 2 ** 32], 'data_offsets': [0, 16]}}, 16),
        'unknown-dtype.safetensors': st_with_header({'a': {'dtype': 'Q7', 'shape': [4], 'data_offsets': [0, 4]}}, 4),
        'f8.safetensors': st_with_header({'a': {'dtype': 'F8_E4M3', 'shape': [4], 'data_offsets': [0, 4]}}, 4),
        'negative-shape.safetensors': st_with_header({'a': {'dtype': 'F32', 'shape': [-1], 'data_offsets': [0, 4]}}, 4),
    }
    # Duplicate names cannot come out of json.dumps: write the header text by hand.
    dup = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    dup += b' ' * ((8 - len(dup) % 8) % 8)
    hostile['duplicate-names.safetensors'] = struct.pack('<Q', len(dup)) + dup + bytes(4)
    no_brace = b' {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    hostile['no-leading-brace.safetensors'] = struct.pack('<Q', len(no_brace)) + no_brace + bytes(4)
    for name, data in hostile.items():
        with open(path('hostile', name), 'wb') as f:
            f.write(data)

    # Malicious pickles inside otherwise valid torch.save zips: a real unpickler would create the marker.
    w = torch.arange(3, dtype=torch.float32)
    for marker_key, evil in (
        ('os_system', Evil(os.system, (f'touch {MARKERS["os_system"]}',))),
        ('eval', Evil(eval, (f"__import__('os').system('touch {MARKERS['eval']}')",))),
        ('popen', Evil(subprocess.Popen, (['touch', MARKERS['popen']],))),
    ):
        torch.save(OrderedDict([('w', w), ('payload', evil)]), path('hostile', f'evil-{marker_key.replace("_", "-")}.pt'))
    for m in MARKERS.values():
        if os.path.exists(m):
            os.remove(m)
    # A plain pickle protocol 4 (not torch) with a nested malicious REDUCE as the only content.
    entries = torch_zip_entries(OrderedDict([('w', w)]))
    top = entries[0][0].split('/')[0]
    entries = [(n, pickle.dumps(Evil(os.system, (f'touch {MARKERS["os_system"]}',)), protocol=4) if n.endswith('data.pkl') else d)
               for n, d in entries]
    write_zip(path('hostile', 'evil-proto4.pt'), entries)
    # torch.storage._load_from_bytes is on PyTorch's own list of dangers (it calls torch.load).
    with open(path('hostile', 'load-from-bytes.pt'), 'wb') as f:
        buf = io.BytesIO()
        zf = zipfile.ZipFile(buf, 'w')
        p = b'\x80\x02ctorch.storage\n_load_from_bytes\nq\x00C\x03abcq\x01\x85q\x02Rq\x03.'
        zf.writestr(f'{top}/data.pkl', p)
        zf.writestr(f'{top}/version', b'3\n')
        zf.close()
        f.write(buf.getvalue())

    # Zip bombs and broken archives.
    good_entries = torch_zip_entries(OrderedDict([('w', w)]))
    write_zip(path('hostile', 'compressed.pt'), good_entries, method=zipfile.ZIP_DEFLATED)
    raw = open(path('hostile', 'compressed.pt'), 'rb').read()
    stored = io.BytesIO()
    write_zip(stored, good_entries)
    stored = bytearray(stored.getvalue())
    # Declared sizes far beyond the file: patch every central-directory entry's sizes to ~4 GB.
    bomb = bytearray(stored)
    pos = bomb.find(b'PK\x01\x02')
    while pos != -1:
        struct.pack_into('<II', bomb, pos + 20, 0xFFFFFFF0, 0xFFFFFFF0)
        pos = bomb.find(b'PK\x01\x02', pos + 4)
    with open(path('hostile', 'zip-bomb.pt'), 'wb') as f:
        f.write(bomb)
    # End record claiming a million entries.
    many = bytearray(stored)
    eocd = many.rfind(b'PK\x05\x06')
    struct.pack_into('<HH', many, eocd + 8, 65535, 65535)
    with open(path('hostile', 'too-many-entries.pt'), 'wb') as f:
        f.write(many)
    with open(path('hostile', 'truncated.pt'), 'wb') as f:
        f.write(bytes(stored[: len(stored) // 2]))
    assert raw  # the deflated archive exists and differs from the stored one
    # Legacy (non-zip) torch.save.
    torch.save(OrderedDict([('w', w)]), path('hostile', 'legacy.pt'), _use_new_zipfile_serialization=False)
    # The oldest torch.save format: a tar archive (sys_info, pickle, storages, tensors).
    import tarfile
    with tarfile.open(path('hostile', 'legacy-tar.pt'), 'w', format=tarfile.USTAR_FORMAT) as tar:
        for name in ('sys_info', 'pickle', 'storages', 'tensors'):
            info = tarfile.TarInfo(name)
            payload = pickle.dumps({'name': name}, protocol=2)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    with open(path('hostile', 'garbage.bin'), 'wb') as f:
        f.write(b'this is not a checkpoint at all' * 4)


def bytes_to_unicode():
    """GPT-2's byte -> printable character table."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def make_tokenizer():
    """A tiny byte-level BPE in the Hugging Face tokenizer.json format, Pythia-like ids:
    <|endoftext|>=0, <|padding|>=1, then the 256 byte characters, then merges."""
    table = bytes_to_unicode()
    vocab = {'<|endoftext|>': 0, '<|padding|>': 1}
    for b in range(256):
        vocab[table[b]] = len(vocab)
    merges = [('h', 'e'), ('l', 'l'), ('he', 'll'), ('hell', 'o'), ('Ġ', 'w'), ('o', 'r'), ('Ġw', 'or'), ('Ġwor', 'l'), ('Ġworl', 'd')]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    tok = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [
            {'id': 0, 'content': '<|endoftext|>', 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True},
            {'id': 1, 'content': '<|padding|>', 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True},
        ],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'post_processor': None,
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None,
                  'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False,
                  'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges]},
    }
    write_json('tokenizer/tokenizer.json', tok)
    write_json('tokenizer/tokenizer_config.json', {'tokenizer_class': 'GPTNeoXTokenizer', 'eos_token': '<|endoftext|>'})
    # Expected ids from an independent plain-Python BPE (merge ranks applied greedily per word).
    import re
    pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
    ranks = {m: i for i, m in enumerate(merges)}

    def bpe(word):
        parts = list(word)
        while len(parts) > 1:
            pairs = [(ranks.get((parts[i], parts[i + 1]), 1e9), i) for i in range(len(parts) - 1)]
            r, i = min(pairs)
            if r == 1e9:
                break
            parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
        return parts

    cases = {}
    for text in ('hello world', 'hello, world!', 'héllo wörld 123', 'A\tB\nC'):
        ids = []
        for w in pat.findall(text):
            mapped = ''.join(table[b] for b in w.encode('utf-8'))
            ids += [vocab[p] for p in bpe(mapped)]
        cases[text] = ids
    write_json('tokenizer/expected.json', {'vocab_size': len(vocab), 'cases': cases,
                                           'decode': {str(vocab['Ġworld']): ' world', str(vocab[table[ord('A')]]): 'A', '0': '<|endoftext|>'}})


if __name__ == '__main__':
    sys.exit(main())
