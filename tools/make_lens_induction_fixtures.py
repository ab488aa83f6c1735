#!/usr/bin/python3
"""Fixtures for the logit lens, per-token loss and induction score (DOMAIN.md `lens_loss`,
`lens_top1`, `induction_score`) on one small random model of each family: GPT-NeoX (parallel
residual), GPT-2 (learned positions, 128 of them so the 128-position induction probe fits, tied
unembedding) and Llama with grouped-query attention (4 query heads over 2 kv heads).

The float64 reference models are tools/make_forward_fixtures.py's (HF modeling code in PyTorch);
its causal_attention is wrapped here to record each block's softmax probabilities.
  lens: the probe tokens (2 x 8) run through the model; each resid.i through the final norm and
        the unembedding, scored as the probe's loss (mean next-token cross-entropy) and top-1
  token_loss: the per-prediction cross-entropy of the final logits, [B, L-1] row-major
  induction: the pinned probe x[b][j] = floor(V/4) + (7919 (64 b + j) + 13) mod floor(V/2),
        4 sequences of 64 ids each repeated twice; per block and query head the mean probability
        from t in 64..127 to t - 63
Writes test/fixtures/lens/<name>/{config.json, model.safetensors (F32), expected.json}, and
test/fixtures/lens/demo-tiny.json: the same numbers for the bundled demo's atlas-demo-tiny at steps
0, 512 and 2600 on its stored float16 weights, on the default probe (first 4 x 128 tokens of
resources/probe/default.txt, tokenised by tools/bpe_tokenizer.py with the run's merges).
Run: /usr/bin/python3 tools/make_lens_induction_fixtures.py
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_forward_fixtures as mff  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'lens')

MODELS = {
    'neox': ('gpt_neox', dict(mff.MODELS['neox_parallel'][1], max_position_embeddings=128)),
    'gpt2': ('gpt2', dict(mff.MODELS['gpt2'][1], n_positions=128)),
    'llama_gqa': ('llama', dict(mff.MODELS['llama'][1], max_position_embeddings=128)),
}


def final_norm(family, p, cfg, x):
    if family == 'gpt_neox':
        return mff.layer_norm(x, p['gpt_neox.final_layer_norm.weight'], p['gpt_neox.final_layer_norm.bias'], cfg['layer_norm_eps'])
    if family == 'gpt2':
        return mff.layer_norm(x, p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], cfg['layer_norm_epsilon'])
    return mff.rms_norm(x, p['model.norm.weight'], cfg['rms_norm_eps'])


def unembedding(family, p, cfg):
    if family == 'gpt_neox':
        return p['embed_out.weight']
    if family == 'gpt2':
        return p['transformer.wte.weight']
    return p['model.embed_tokens.weight'] if cfg.get('tie_word_embeddings') else p['lm_head.weight']


def layers(family, cfg):
    return cfg['n_layer'] if family == 'gpt2' else cfg['num_hidden_layers']


def score(logits, tokens):
    V = logits.shape[-1]
    per = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1), reduction='none')
    top1 = float((logits[:, :-1].argmax(-1) == tokens[:, 1:]).double().mean())
    return per, float(per.mean()), top1


def main():
    recorded = []
    plain = mff.causal_attention

    def recording(q, k, v, window=None):
        hd = q.shape[-1]
        scores = q @ k.transpose(-1, -2) / (hd ** 0.5)
        n = q.shape[-2]
        mask = torch.ones(n, n, dtype=torch.bool).tril()
        if window is not None:
            i = torch.arange(n)[:, None]
            j = torch.arange(n)[None, :]
            mask = mask & (j > i - window)
        probs = torch.softmax(scores.masked_fill(~mask, float('-inf')), dim=-1)
        recorded.append(probs)
        out = probs @ v
        assert torch.allclose(out, plain(q, k, v, window))
        return out

    mff.causal_attention = recording

    def induction_scores(forward, p, cfg, V):
        # The pinned probe: 4 x 64 ids, each sequence repeated twice.
        T = 64
        half = V // 2
        first = torch.tensor([[V // 4 + (7919 * (64 * b + j) + 13) % half for j in range(T)] for b in range(4)])
        ids = torch.cat([first, first], dim=1)
        mff.B, mff.L = 4, 2 * T
        recorded.clear()
        with torch.no_grad():
            forward(p, cfg, ids, {})
        t = torch.arange(T, 2 * T)
        return ids, [[float(probs[:, h, t, t - T + 1].mean()) for h in range(probs.shape[1])] for probs in recorded]
    for seed, (name, (family, cfg)) in enumerate(MODELS.items()):
        g = torch.Generator().manual_seed(4321 + seed)
        make_params, forward = mff.FORWARD[family]
        p = make_params(cfg, g)
        V = cfg['vocab_size']
        # Lens on a 2 x 8 probe.
        mff.B, mff.L = 2, 8
        tokens = torch.randint(0, V, (2, 8), generator=g)
        rec = {}
        with torch.no_grad():
            logits = forward(p, cfg, tokens, rec)
        per, loss, top1 = score(logits, tokens)
        U = unembedding(family, p, cfg)
        lens_loss, lens_top1 = [], []
        for i in range(layers(family, cfg) + 1):
            _, li, ti = score(final_norm(family, p, cfg, rec[f'resid.{i}']) @ U.T, tokens)
            lens_loss.append(li)
            lens_top1.append(ti)
        assert abs(lens_loss[-1] - loss) < 1e-12
        ids, induction = induction_scores(forward, p, cfg, V)
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, 'config.json'), 'w') as fh:
            json.dump(cfg, fh, indent=1)
        mff.write_safetensors(os.path.join(folder, 'model.safetensors'), {k: v.float() for k, v in p.items()})
        with open(os.path.join(folder, 'expected.json'), 'w') as fh:
            json.dump({'family': family, 'tokens': tokens.tolist(), 'loss': loss, 'top1_accuracy': top1,
                       'lens_loss': lens_loss, 'lens_top1': lens_top1, 'token_loss': per.tolist(),
                       'induction_ids': ids.tolist(), 'induction': induction}, fh, indent=1)
        print(name, 'loss', loss, 'lens', [round(x, 4) for x in lens_loss], 'induction', [[round(x, 4) for x in r] for r in induction])
    demo(lambda p, cfg: induction_scores(mff.neox_forward, p, cfg, cfg['vocab_size'])[1])


ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
DEMO = os.path.join(ROOT, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny')


def read_safetensors_f64(path):
    with open(path, 'rb') as fh:
        n = int.from_bytes(fh.read(8), 'little')
        header = json.loads(fh.read(n))
        data = fh.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        dt = {'F16': np.float16, 'F32': np.float32, 'F64': np.float64}[e['dtype']]
        a, b = e['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dt).astype(np.float64).reshape(e['shape']))
    return out


def demo(induction_of):
    import bpe_tokenizer
    steps = [0, 512, 2600]
    result = {'source': 'tools/make_lens_induction_fixtures.py: float64 PyTorch on the stored float16 weights', 'batch': 4, 'seq_len': 128, 'steps': {}}
    for step in steps:
        commit = open(os.path.join(DEMO, 'refs', f'step{step}')).read().strip()
        snap = os.path.join(DEMO, 'snapshots', commit)
        cfg = json.load(open(os.path.join(snap, 'config.json')))
        if step == steps[0]:
            tj = json.load(open(os.path.join(snap, 'tokenizer.json')))
            merges = [tuple(m.split(' ')) if isinstance(m, str) else tuple(m) for m in tj['model']['merges']]
            tok = bpe_tokenizer.ByteLevelBPE(merges)
            text = open(os.path.join(ROOT, 'resources', 'probe', 'default.txt'), encoding='utf-8').read()
            ids = tok.encode(text)[:4 * 128]
            tokens = torch.tensor(ids).view(4, 128)
            result['tokens'] = tokens.tolist()
        p = read_safetensors_f64(os.path.join(snap, 'model.safetensors'))
        mff.B, mff.L = 4, 128
        rec = {}
        with torch.no_grad():
            logits = mff.neox_forward(p, cfg, tokens, rec)
        per, loss, top1 = score(logits, tokens)
        lens = [score(final_norm('gpt_neox', p, cfg, rec[f'resid.{i}']) @ p['embed_out.weight'].T, tokens) for i in range(cfg['num_hidden_layers'] + 1)]
        result['steps'][str(step)] = {'loss': loss, 'top1_accuracy': top1, 'lens_loss': [x[1] for x in lens], 'lens_top1': [x[2] for x in lens],
                                      'token_loss': per.tolist(), 'induction': induction_of(p, cfg)}
        print('demo step', step, 'loss', loss, 'lens', [round(x[1], 4) for x in lens], 'induction max', max(max(r) for r in result['steps'][str(step)]['induction']))
    with open(os.path.join(OUT, 'demo-tiny.json'), 'w') as fh:
        json.dump(result, fh)


if __name__ == '__main__':
    main()
