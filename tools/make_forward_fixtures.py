#!/usr/bin/python3
"""Make the forward/backward fixtures for main/compute/forward and main/compute/backward.

Tiny random models of each supported family (GPT-NeoX parallel and sequential residual, GPT-2,
Llama with grouped-query attention, Llama with tied embeddings and q/k/v biases, and the Llama-family
variants: rope_scaling llama3 / linear / dynamic, Llama attention_bias + mlp_bias, Mistral sliding
window, Qwen2 q/k/v biases with a sliding window on its upper layers) are written as
Hugging Face checkpoints (config.json + model.safetensors with F32 weights), together with a token
batch (2 x 8, or 1 x 40 for the *_long models that exercise rotary at more positions;
llama_long also has head_dim 16 != hidden / heads) and the
expected values computed by reference models implemented here in PyTorch float64,
following Hugging Face's modeling code (GPTNeoXForCausalLM, GPT2LMHeadModel, LlamaForCausalLM,
MistralForCausalLM, Qwen2ForCausalLM; RoPE frequencies as transformers' modeling_rope_utils):
  expected.json         tokens, loss, top-1 accuracy, per-tensor stats of resid.i / final_norm / mlp.i
  expected.safetensors  F64: resid.{i}, final_norm, logits, mlp.{i}, grad.{raw parameter name}
Gradients are torch autograd's, of the mean next-token cross-entropy over B x (L-1).

No safetensors package exists on this machine, so the (simple) format is written by hand:
8-byte little-endian header length, JSON header padded with spaces to a multiple of 8, raw bytes.
Run: /usr/bin/python3 tools/make_forward_fixtures.py  (writes test/fixtures/forward/)
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'forward')
# Batch and sequence length of the model being made (set per model in main(); read at call time).
B, L = 2, 8
SHAPES = {'neox_long': (1, 40), 'llama_long': (1, 40), 'llama_rope_llama3': (2, 24), 'llama_rope_linear': (2, 16),
          'llama_rope_dynamic': (1, 40), 'mistral_sliding': (2, 12), 'qwen2_bias': (2, 12)}


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64'}[t.dtype]
        raw = t.numpy().tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as fh:
        fh.write(struct.pack('<Q', len(h)))
        fh.write(h)
        for c in chunks:
            fh.write(c)


def stats(x):
    x = x.reshape(-1).double()
    n = x.numel()
    mean = x.mean()
    c = x - mean
    m2 = (c * c).mean()
    m4 = (c ** 4).mean()
    nonfinite = int((~torch.isfinite(x)).sum())
    return {
        'max_abs': float(x.abs().max()),
        'mean': float(mean),
        'std': float(m2.sqrt()),
        'rms': float((x * x).mean().sqrt()),
        'excess_kurtosis': float(m4 / (m2 * m2) - 3.0),
        'count': n,
        'non_finite': nonfinite,
    }


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def rms_norm(x, w, eps):
    # LlamaRMSNorm: x * rsqrt(mean(x^2) + eps), then weight *.
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


def gelu_exact(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rotary_cos_sin(dim, base, seq_len, inv_freq=None):
    if inv_freq is None:
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    t = torch.arange(seq_len, dtype=torch.float64)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rope_inv_freq(cfg, dim, seq_len):
    """LlamaRotaryEmbedding's inverse frequencies in float64, after transformers' modeling_rope_utils:
    _compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
    _compute_dynamic_ntk_parameters (which dynamic_rope_update calls again with seq_len = max
    position id + 1 when that exceeds max_position_embeddings) and _compute_llama3_parameters."""
    base = cfg.get('rope_theta', 10000.0)
    scaling = cfg.get('rope_scaling') or {}
    # LlamaConfig copies a legacy 'type' over 'rope_type'.
    rope_type = scaling.get('type', scaling.get('rope_type', 'default'))
    if rope_type == 'dynamic':
        factor, max_pos = scaling['factor'], cfg['max_position_embeddings']
        if seq_len > max_pos:
            base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    if rope_type == 'linear':
        inv_freq = inv_freq / scaling['factor']
    elif rope_type == 'llama3':
        factor = scaling['factor']
        low_freq_factor, high_freq_factor = scaling['low_freq_factor'], scaling['high_freq_factor']
        old_context_len = scaling['original_max_position_embeddings']
        low_freq_wavelen = old_context_len / low_freq_factor
        high_freq_wavelen = old_context_len / high_freq_factor
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
        inv_freq = torch.where(is_medium, smoothed, scaled)
    elif rope_type not in ('default', 'dynamic'):
        raise ValueError(f'rope type {rope_type} has no reference here')
    return inv_freq


def causal_attention(q, k, v, window=None):
    # q, k, v: [B, H, L, hd]; window W: query i sees keys i - W < j <= i (transformers'
    # sliding_window_overlay and causal_mask_function).
    hd = q.shape[-1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    n = q.shape[-2]
    mask = torch.ones(n, n, dtype=torch.bool).tril()
    if window is not None:
        i = torch.arange(n)[:, None]
        j = torch.arange(n)[None, :]
        mask = mask & (j > i - window)
    scores = scores.masked_fill(~mask, float('-inf'))
    return torch.softmax(scores, dim=-1) @ v


def neox_forward(p, cfg, tokens, rec):
    d, H = cfg['hidden_size'], cfg['num_attention_heads']
    hd = d // H
    rd = int(hd * cfg['rotary_pct'])
    eps = cfg['layer_norm_eps']
    x = p['gpt_neox.embed_in.weight'][tokens]
    rec['resid.0'] = x
    cos, sin = rotary_cos_sin(rd, cfg['rotary_emb_base'], tokens.shape[1])
    for i in range(cfg['num_hidden_layers']):
        pre = f'gpt_neox.layers.{i}.'

        def attn(h):
            qkv = h @ p[pre + 'attention.query_key_value.weight'].T + p[pre + 'attention.query_key_value.bias']
            qkv = qkv.view(B, L, H, 3 * hd)
            q = qkv[..., :hd].permute(0, 2, 1, 3)
            k = qkv[..., hd:2 * hd].permute(0, 2, 1, 3)
            v = qkv[..., 2 * hd:].permute(0, 2, 1, 3)
            q_rot, q_pass = q[..., :rd], q[..., rd:]
            k_rot, k_pass = k[..., :rd], k[..., rd:]
            q = torch.cat((q_rot * cos + rotate_half(q_rot) * sin, q_pass), dim=-1)
            k = torch.cat((k_rot * cos + rotate_half(k_rot) * sin, k_pass), dim=-1)
            o = causal_attention(q, k, v).permute(0, 2, 1, 3).reshape(B, L, d)
            return o @ p[pre + 'attention.dense.weight'].T + p[pre + 'attention.dense.bias']

        def mlp(h):
            a = gelu_exact(h @ p[pre + 'mlp.dense_h_to_4h.weight'].T + p[pre + 'mlp.dense_h_to_4h.bias'])
            rec[f'mlp.{i}'] = a
            return a @ p[pre + 'mlp.dense_4h_to_h.weight'].T + p[pre + 'mlp.dense_4h_to_h.bias']

        ln1 = layer_norm(x, p[pre + 'input_layernorm.weight'], p[pre + 'input_layernorm.bias'], eps)
        if cfg['use_parallel_residual']:
            ln2 = layer_norm(x, p[pre + 'post_attention_layernorm.weight'], p[pre + 'post_attention_layernorm.bias'], eps)
            x = mlp(ln2) + attn(ln1) + x
        else:
            a = attn(ln1) + x
            ln2 = layer_norm(a, p[pre + 'post_attention_layernorm.weight'], p[pre + 'post_attention_layernorm.bias'], eps)
            x = mlp(ln2) + a
        rec[f'resid.{i + 1}'] = x
    fn = layer_norm(x, p['gpt_neox.final_layer_norm.weight'], p['gpt_neox.final_layer_norm.bias'], eps)
    rec['final_norm'] = fn
    return fn @ p['embed_out.weight'].T


def gpt2_forward(p, cfg, tokens, rec):
    d, H = cfg['n_embd'], cfg['n_head']
    hd = d // H
    eps = cfg['layer_norm_epsilon']
    x = p['transformer.wte.weight'][tokens] + p['transformer.wpe.weight'][torch.arange(L)]
    rec['resid.0'] = x
    for i in range(cfg['n_layer']):
        pre = f'transformer.h.{i}.'
        h = layer_norm(x, p[pre + 'ln_1.weight'], p[pre + 'ln_1.bias'], eps)
        qkv = h @ p[pre + 'attn.c_attn.weight'] + p[pre + 'attn.c_attn.bias']
        q, k, v = qkv.split(d, dim=2)
        split = lambda t: t.view(B, L, H, hd).permute(0, 2, 1, 3)
        o = causal_attention(split(q), split(k), split(v)).permute(0, 2, 1, 3).reshape(B, L, d)
        x = x + o @ p[pre + 'attn.c_proj.weight'] + p[pre + 'attn.c_proj.bias']
        h = layer_norm(x, p[pre + 'ln_2.weight'], p[pre + 'ln_2.bias'], eps)
        a = gelu_new(h @ p[pre + 'mlp.c_fc.weight'] + p[pre + 'mlp.c_fc.bias'])
        rec[f'mlp.{i}'] = a
        x = x + a @ p[pre + 'mlp.c_proj.weight'] + p[pre + 'mlp.c_proj.bias']
        rec[f'resid.{i + 1}'] = x
    fn = layer_norm(x, p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], eps)
    rec['final_norm'] = fn
    return fn @ p['transformer.wte.weight'].T


def llama_biases(cfg):
    """(q/k/v bias, o_proj bias, mlp bias) as the three modeling files build their Linear layers:
    LlamaAttention bias=config.attention_bias on q, k, v and o, LlamaMLP bias=config.mlp_bias;
    Qwen2Attention bias=True on q, k, v and False on o; Mistral no biases."""
    if cfg['model_type'] == 'qwen2':
        return True, False, False
    if cfg['model_type'] == 'mistral':
        return False, False, False
    b = cfg.get('attention_bias', False)
    return b, b, cfg.get('mlp_bias', False)


def sliding_windows(cfg):
    """Per-layer window (None: full causal). Mistral: sliding_window on every layer. Qwen2: only with
    use_sliding_window, on layers i >= max_window_layers (Qwen2Config layer_types)."""
    n, w = cfg['num_hidden_layers'], cfg.get('sliding_window')
    if cfg['model_type'] == 'mistral' and w is not None:
        return [w] * n
    if cfg['model_type'] == 'qwen2' and cfg.get('use_sliding_window', False) and w is not None:
        return [w if i >= cfg.get('max_window_layers', 28) else None for i in range(n)]
    return [None] * n


def llama_forward(p, cfg, tokens, rec):
    d, H, KV = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    hd = cfg.get('head_dim') or d // H  # may differ from d / H (Mistral-Nemo, Qwen3)
    eps = cfg['rms_norm_eps']
    bias, out_bias, mlp_bias = llama_biases(cfg)
    windows = sliding_windows(cfg)
    x = p['model.embed_tokens.weight'][tokens]
    rec['resid.0'] = x
    inv_freq = rope_inv_freq(cfg, hd, L) if cfg.get('rope_scaling') else None
    cos, sin = rotary_cos_sin(hd, cfg['rope_theta'], L, inv_freq)
    for i in range(cfg['num_hidden_layers']):
        pre = f'model.layers.{i}.'
        h = rms_norm(x, p[pre + 'input_layernorm.weight'], eps)

        def proj(name, heads):
            y = h @ p[pre + f'self_attn.{name}.weight'].T
            if bias:
                y = y + p[pre + f'self_attn.{name}.bias']
            return y.view(B, L, heads, hd).transpose(1, 2)

        q, k, v = proj('q_proj', H), proj('k_proj', KV), proj('v_proj', KV)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // KV
        # repeat_kv: [B, KV, L, hd] -> [B, KV*rep, L, hd], head h uses kv head h // rep.
        k = k[:, :, None].expand(B, KV, rep, L, hd).reshape(B, H, L, hd)
        v = v[:, :, None].expand(B, KV, rep, L, hd).reshape(B, H, L, hd)
        o = causal_attention(q, k, v, windows[i]).transpose(1, 2).reshape(B, L, H * hd)
        x = x + o @ p[pre + 'self_attn.o_proj.weight'].T
        if out_bias:
            x = x + p[pre + 'self_attn.o_proj.bias']
        h = rms_norm(x, p[pre + 'post_attention_layernorm.weight'], eps)

        def mlp_linear(name, t):
            y = t @ p[pre + f'mlp.{name}.weight'].T
            return y + p[pre + f'mlp.{name}.bias'] if mlp_bias else y

        a = torch.nn.functional.silu(mlp_linear('gate_proj', h)) * mlp_linear('up_proj', h)
        rec[f'mlp.{i}'] = a
        x = x + mlp_linear('down_proj', a)
        rec[f'resid.{i + 1}'] = x
    fn = rms_norm(x, p['model.norm.weight'], eps)
    rec['final_norm'] = fn
    head = p['model.embed_tokens.weight'] if cfg.get('tie_word_embeddings', False) else p['lm_head.weight']
    return fn @ head.T


def neox_params(cfg, g):
    d, V, F = cfg['hidden_size'], cfg['vocab_size'], cfg['intermediate_size']
    p = {'gpt_neox.embed_in.weight': randn(g, V, d, std=1.0)}
    for i in range(cfg['num_hidden_layers']):
        pre = f'gpt_neox.layers.{i}.'
        p.update({
            pre + 'input_layernorm.weight': 1 + randn(g, d, std=0.1), pre + 'input_layernorm.bias': randn(g, d, std=0.1),
            pre + 'post_attention_layernorm.weight': 1 + randn(g, d, std=0.1), pre + 'post_attention_layernorm.bias': randn(g, d, std=0.1),
            pre + 'attention.query_key_value.weight': randn(g, 3 * d, d, std=0.3), pre + 'attention.query_key_value.bias': randn(g, 3 * d, std=0.1),
            pre + 'attention.dense.weight': randn(g, d, d, std=0.2), pre + 'attention.dense.bias': randn(g, d, std=0.1),
            pre + 'mlp.dense_h_to_4h.weight': randn(g, F, d, std=0.2), pre + 'mlp.dense_h_to_4h.bias': randn(g, F, std=0.1),
            pre + 'mlp.dense_4h_to_h.weight': randn(g, d, F, std=0.1), pre + 'mlp.dense_4h_to_h.bias': randn(g, d, std=0.1),
        })
    p['gpt_neox.final_layer_norm.weight'] = 1 + randn(g, d, std=0.1)
    p['gpt_neox.final_layer_norm.bias'] = randn(g, d, std=0.1)
    p['embed_out.weight'] = randn(g, V, d, std=0.3)
    return p


def gpt2_params(cfg, g):
    d, V, F = cfg['n_embd'], cfg['vocab_size'], cfg['n_inner']
    p = {'transformer.wte.weight': randn(g, V, d, std=0.5), 'transformer.wpe.weight': randn(g, cfg['n_positions'], d, std=0.2)}
    for i in range(cfg['n_layer']):
        pre = f'transformer.h.{i}.'
        p.update({
            pre + 'ln_1.weight': 1 + randn(g, d, std=0.1), pre + 'ln_1.bias': randn(g, d, std=0.1),
            pre + 'attn.c_attn.weight': randn(g, d, 3 * d, std=0.3), pre + 'attn.c_attn.bias': randn(g, 3 * d, std=0.1),
            pre + 'attn.c_proj.weight': randn(g, d, d, std=0.2), pre + 'attn.c_proj.bias': randn(g, d, std=0.1),
            pre + 'ln_2.weight': 1 + randn(g, d, std=0.1), pre + 'ln_2.bias': randn(g, d, std=0.1),
            pre + 'mlp.c_fc.weight': randn(g, d, F, std=0.2), pre + 'mlp.c_fc.bias': randn(g, F, std=0.1),
            pre + 'mlp.c_proj.weight': randn(g, F, d, std=0.1), pre + 'mlp.c_proj.bias': randn(g, d, std=0.1),
        })
    p['transformer.ln_f.weight'] = 1 + randn(g, d, std=0.1)
    p['transformer.ln_f.bias'] = randn(g, d, std=0.1)
    return p


def llama_params(cfg, g):
    d, V, F = cfg['hidden_size'], cfg['vocab_size'], cfg['intermediate_size']
    H, KV = cfg['num_attention_heads'], cfg['num_key_value_heads']
    hd = cfg.get('head_dim') or d // H
    bias, out_bias, mlp_bias = llama_biases(cfg)
    # A tied embedding also serves as the unembedding: keep it smaller so the logits stay moderate.
    p = {'model.embed_tokens.weight': randn(g, V, d, std=0.3 if cfg.get('tie_word_embeddings', False) else 1.0)}
    for i in range(cfg['num_hidden_layers']):
        pre = f'model.layers.{i}.'
        p.update({
            pre + 'input_layernorm.weight': 1 + randn(g, d, std=0.1),
            pre + 'self_attn.q_proj.weight': randn(g, H * hd, d, std=0.3),
            pre + 'self_attn.k_proj.weight': randn(g, KV * hd, d, std=0.3),
            pre + 'self_attn.v_proj.weight': randn(g, KV * hd, d, std=0.3),
            pre + 'self_attn.o_proj.weight': randn(g, d, H * hd, std=0.2),
            pre + 'post_attention_layernorm.weight': 1 + randn(g, d, std=0.1),
            pre + 'mlp.gate_proj.weight': randn(g, F, d, std=0.2),
            pre + 'mlp.up_proj.weight': randn(g, F, d, std=0.2),
            pre + 'mlp.down_proj.weight': randn(g, d, F, std=0.2),
        })
        if bias:
            for name, rows in (('q_proj', H * hd), ('k_proj', KV * hd), ('v_proj', KV * hd)):
                p[pre + f'self_attn.{name}.bias'] = randn(g, rows, std=0.1)
        if out_bias:
            p[pre + 'self_attn.o_proj.bias'] = randn(g, d, std=0.1)
        if mlp_bias:
            for name, rows in (('gate_proj', F), ('up_proj', F), ('down_proj', d)):
                p[pre + f'mlp.{name}.bias'] = randn(g, rows, std=0.1)
    p['model.norm.weight'] = 1 + randn(g, d, std=0.1)
    if not cfg.get('tie_word_embeddings', False):
        p['lm_head.weight'] = randn(g, V, d, std=0.3)
    return p


def randn(g, *shape, std):
    # Drawn in float32 so that the F32 file holds exactly the values the float64 reference uses.
    return (torch.randn(*shape, generator=g, dtype=torch.float32) * std).double()


MODELS = {
    'neox_parallel': ('gpt_neox', {
        'model_type': 'gpt_neox', 'architectures': ['GPTNeoXForCausalLM'], 'vocab_size': 97, 'hidden_size': 32,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'intermediate_size': 128, 'rotary_pct': 0.25,
        'rotary_emb_base': 10000, 'layer_norm_eps': 1e-5, 'use_parallel_residual': True, 'hidden_act': 'gelu',
        'max_position_embeddings': 64, 'tie_word_embeddings': False}),
    'neox_sequential': ('gpt_neox', {
        'model_type': 'gpt_neox', 'architectures': ['GPTNeoXForCausalLM'], 'vocab_size': 97, 'hidden_size': 32,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'intermediate_size': 128, 'rotary_pct': 0.5,
        'rotary_emb_base': 100, 'layer_norm_eps': 1e-5, 'use_parallel_residual': False, 'hidden_act': 'gelu',
        'max_position_embeddings': 64, 'tie_word_embeddings': False}),
    'gpt2': ('gpt2', {
        'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'vocab_size': 97, 'n_embd': 32, 'n_layer': 2,
        'n_head': 4, 'n_inner': 128, 'n_positions': 16, 'layer_norm_epsilon': 1e-5, 'activation_function': 'gelu_new',
        'tie_word_embeddings': True}),
    'llama': ('llama', {
        'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'vocab_size': 97, 'hidden_size': 32,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2, 'intermediate_size': 64,
        'rope_theta': 10000.0, 'rms_norm_eps': 1e-6, 'hidden_act': 'silu', 'max_position_embeddings': 64,
        'tie_word_embeddings': False, 'attention_bias': False}),
    'llama_tied_bias': ('llama', {
        'model_type': 'qwen2', 'architectures': ['Qwen2ForCausalLM'], 'vocab_size': 97, 'hidden_size': 32,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 1, 'intermediate_size': 48,
        'rope_theta': 1000.0, 'rms_norm_eps': 1e-5, 'hidden_act': 'silu', 'max_position_embeddings': 64,
        'tie_word_embeddings': True, 'attention_bias': True}),
}
MODELS['neox_long'] = ('gpt_neox', dict(MODELS['neox_parallel'][1], rotary_emb_base=10000))
MODELS['llama_long'] = ('llama', dict(MODELS['llama'][1], head_dim=16))
# Llama-family variants (appended: the seeds of the models above stay as they were). Sizes are
# picked so each feature acts on the probe: llama3 with head_dim 16 and original context 64 puts
# frequencies in all three bands (kept, interpolated, divided); dynamic runs 40 positions past
# max_position_embeddings 16; the Mistral window 4 < 12 positions; Qwen2 windows layer 1 only.
LLAMA_SMALL = dict(MODELS['llama'][1], vocab_size=61, intermediate_size=48)
MODELS['llama_rope_llama3'] = ('llama', dict(LLAMA_SMALL, head_dim=16, rope_theta=10000.0, max_position_embeddings=256,
    rope_scaling={'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                  'original_max_position_embeddings': 64, 'rope_type': 'llama3'}))
MODELS['llama_rope_linear'] = ('llama', dict(LLAMA_SMALL, rope_theta=500.0, rope_scaling={'type': 'linear', 'factor': 4.0}))
MODELS['llama_rope_dynamic'] = ('llama', dict(LLAMA_SMALL, rope_theta=100.0, max_position_embeddings=16,
    rope_scaling={'type': 'dynamic', 'factor': 2.0}))
MODELS['llama_bias'] = ('llama', dict(LLAMA_SMALL, attention_bias=True, mlp_bias=True))
MODELS['mistral_sliding'] = ('llama', {
    'model_type': 'mistral', 'architectures': ['MistralForCausalLM'], 'vocab_size': 61, 'hidden_size': 32,
    'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2, 'intermediate_size': 48,
    'rope_theta': 10000.0, 'rms_norm_eps': 1e-5, 'hidden_act': 'silu', 'max_position_embeddings': 128,
    'sliding_window': 4, 'tie_word_embeddings': False, 'head_dim': None})
MODELS['qwen2_bias'] = ('llama', {
    'model_type': 'qwen2', 'architectures': ['Qwen2ForCausalLM'], 'vocab_size': 61, 'hidden_size': 32,
    'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2, 'intermediate_size': 48,
    'rope_theta': 1000000.0, 'rms_norm_eps': 1e-6, 'hidden_act': 'silu', 'max_position_embeddings': 128,
    'rope_scaling': None, 'use_sliding_window': True, 'sliding_window': 3, 'max_window_layers': 1,
    'tie_word_embeddings': False})
FORWARD = {'gpt_neox': (neox_params, neox_forward), 'gpt2': (gpt2_params, gpt2_forward), 'llama': (llama_params, llama_forward)}


def main():
    global B, L
    for seed, (name, (family, cfg)) in enumerate(MODELS.items()):
        B, L = SHAPES.get(name, (2, 8))
        g = torch.Generator().manual_seed(1234 + seed)
        make_params, forward = FORWARD[family]
        params = make_params(cfg, g)
        tokens = torch.randint(0, cfg['vocab_size'], (B, L), generator=g)
        # Make about half the next tokens the model's own greedy prediction (causal, so position t
        # only depends on tokens <= t) so that top-1 accuracy is a non-trivial number.
        with torch.no_grad():
            for t in range(1, L):
                if t % 2 == 0:
                    tokens[:, t] = forward(params, cfg, tokens, {})[:, t - 1].argmax(-1)
        leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        rec = {}
        logits = forward(leaves, cfg, tokens, rec)
        V = cfg['vocab_size']
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1))
        loss.backward()
        pred = logits[:, :-1].argmax(-1)
        accuracy = float((pred == tokens[:, 1:]).double().mean())
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, 'config.json'), 'w') as fh:
            json.dump(cfg, fh, indent=1)
        write_safetensors(os.path.join(folder, 'model.safetensors'), {k: v.float() for k, v in params.items()})
        expected = {k: v.detach() for k, v in rec.items()}
        expected['logits'] = logits.detach()
        for k, v in leaves.items():
            expected['grad.' + k] = v.grad
        write_safetensors(os.path.join(folder, 'expected.safetensors'), expected)
        summary = {
            'family': family, 'batch': B, 'seq_len': L, 'tokens': tokens.tolist(),
            'loss': float(loss), 'top1_accuracy': accuracy,
            'stats': {k: stats(v) for k, v in rec.items()},
            'grad_norms': {k: float(v.grad.norm()) for k, v in leaves.items()},
        }
        with open(os.path.join(folder, 'expected.json'), 'w') as fh:
            json.dump(summary, fh, indent=1)
        print(name, 'loss', float(loss), 'acc', accuracy)


if __name__ == '__main__':
    main()
