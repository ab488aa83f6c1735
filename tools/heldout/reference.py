"""Float64 PyTorch reference values of Checkpoint Atlas's export contract (/work/shared/DOMAIN.md)
for the held-out series written by make_series.py.

Independent of the app: the checkpoints are read back from disk here (safetensors parsed by hand,
.bin through torch.load), upcast exactly to float64, and every number is computed with torch in
float64:
  - weight metrics: frobenius_norm mean std(population) min max absmax skewness excess_kurtosis,
    dist_to_init / rel_dist_to_init / cos_to_init (against the run's earliest checkpoint),
    dist_to_prev (previous checkpoint in step order), and for 2-D tensors the singular values
    (torch.linalg.svdvals) with spectral_norm, stable_rank and effective_rank derived from them;
  - power-law alpha / xmin / KS of the eigenvalues s^2 (WeightWatcher's default WWFit);
  - maximum-likelihood Gaussian / logistic / Student-t fits with log-likelihood per element and
    exact KS distance (scipy.optimize L-BFGS-B, analytic gradients);
  - embedding correlation: Pearson correlation of the input embedding's rows 0..min(256, V)-1;
  - SVD directions of mlp.out and of each head's OV circuit mapped through the unembedding
    (top-20 token ids of U u and U (-u));
  - the three models' forward passes, written here from Hugging Face's modelling code
    (GPT-NeoX parallel residual + partial rotary rotate-half, GPT-2 learned positions + Conv1D
    [in, out] + gelu_new, Llama RMSNorm + SwiGLU + grouped-query attention + rope), eval mode, on
    the probe batch (first B*L tokens of the probe text, row-major, no BOS): resid.i / final_norm
    statistics, loss over B*(L-1) predictions, top-1 accuracy, and autograd gradient norms per
    parameter plus their total norm.

Non-finite weights: moments and distances are computed over the finite elements and the counts of
NaN / +Inf / -Inf are reported, so a comparison can tell "finite-only" values from propagated NaN.

Usage (standalone): /usr/bin/python3 tools/heldout/reference.py SERIES_DIR B L OUT.json
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from bpe_tokenizer import ByteLevelBPE  # noqa: E402

PROBE_TEXT = os.path.join(ROOT, "resources", "probe", "default.txt")
EMBED_ROWS = 256

Weights = Dict[str, torch.Tensor]

# ----------------------------------------------------------------------------------------------
# reading checkpoints back (independent of the app's readers)

_NP_DTYPE = {"F16": np.float16, "F32": np.float32, "F64": np.float64}


def read_safetensors(path: str) -> Weights:
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    buf = data[8 + n :]
    out: Weights = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        raw = buf[a:b]
        if meta["dtype"] == "BF16":
            u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32).astype(np.float64)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_NP_DTYPE[meta["dtype"]]).newbyteorder("<")).astype(np.float64)
        out[name] = torch.from_numpy(arr.reshape(meta["shape"]).copy())
    return out


def read_checkpoint_folder(folder: str) -> Weights:
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        weight_map = json.load(open(index))["weight_map"]
        out: Weights = {}
        for fname in sorted(set(weight_map.values())):
            out.update(read_safetensors(os.path.join(folder, fname)))
        return out
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return read_safetensors(os.path.join(folder, "model.safetensors"))
    sd = torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu")
    return {k: v.to(torch.float64) for k, v in sd.items() if v.is_floating_point()}


def checkpoint_folders(series_dir: str, run: dict) -> List[Tuple[int, str]]:
    """(step, folder) in step order, following the layout the run was written in."""
    base = os.path.join(series_dir, run["path"])
    out = []
    for step in run["steps"]:
        if run["layout"].startswith("hub"):
            commit = open(os.path.join(base, "refs", f"step{step}")).read().strip()
            out.append((step, os.path.join(base, "snapshots", commit)))
        elif run["layout"].startswith("Trainer"):
            out.append((step, os.path.join(base, f"checkpoint-{step}")))
        else:
            out.append((step, os.path.join(base, f"step_{step}")))
    return out


# which stored tensors are parameters (buffers are not analysed as weights of the model)
def is_parameter(name: str) -> bool:
    return not name.endswith((".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq", ".attention.bias", ".attention.masked_bias"))


# ----------------------------------------------------------------------------------------------
# weight metrics


def nonfinite_counts(w: torch.Tensor) -> Dict[str, int]:
    return {"nan": int(torch.isnan(w).sum()), "posinf": int((w == math.inf).sum()), "neginf": int((w == -math.inf).sum())}


def weight_metrics(w: torch.Tensor, w_init: torch.Tensor, w_prev: Optional[torch.Tensor]) -> Dict[str, Optional[float]]:
    x = w.reshape(-1)
    finite = torch.isfinite(x)
    xf = x[finite]
    n = xf.numel()
    m: Dict[str, Optional[float]] = {}
    m["frobenius_norm"] = float(torch.sqrt((xf * xf).sum()))
    mean = xf.mean()
    c = xf - mean
    m2, m3, m4 = (c**2).mean(), (c**3).mean(), (c**4).mean()
    m["mean"] = float(mean)
    m["std"] = float(torch.sqrt(m2))
    m["min"] = float(xf.min())
    m["max"] = float(xf.max())
    m["absmax"] = float(xf.abs().max())
    m["skewness"] = float(m3 / m2**1.5) if m2 > 0 else None
    m["excess_kurtosis"] = float(m4 / m2**2 - 3) if m2 > 0 else None
    both = finite & torch.isfinite(w_init.reshape(-1))
    d0 = x[both] - w_init.reshape(-1)[both]
    init_norm = torch.sqrt((w_init.reshape(-1)[both] ** 2).sum())
    m["dist_to_init"] = float(torch.sqrt((d0 * d0).sum()))
    m["rel_dist_to_init"] = float(m["dist_to_init"] / init_norm) if init_norm > 0 else None
    dot = (x[both] * w_init.reshape(-1)[both]).sum()
    nx = torch.sqrt((x[both] ** 2).sum())
    m["cos_to_init"] = float(dot / (nx * init_norm)) if nx > 0 and init_norm > 0 else None
    if w_prev is None:
        m["dist_to_prev"] = None
    else:
        bp = finite & torch.isfinite(w_prev.reshape(-1))
        dp = x[bp] - w_prev.reshape(-1)[bp]
        m["dist_to_prev"] = float(torch.sqrt((dp * dp).sum()))
    return m


def spectral(w: torch.Tensor) -> Tuple[List[float], Dict[str, float]]:
    s = torch.linalg.svdvals(w)
    smax = s[0]
    p = s / s.sum()
    p = p[p > 0]
    entropy = -(p * torch.log(p)).sum()
    scalars = {
        "spectral_norm": float(smax),
        "stable_rank": float((s**2).sum() / smax**2),
        "effective_rank": float(torch.exp(entropy)),
    }
    scalars.update(powerlaw_fit((s * s).numpy()))
    return [float(v) for v in s], scalars


NU_BOUNDS = (0.2, 1e4)  # the range the export's student_t_nu is reported in


def ks_distance(sorted_x: np.ndarray, cdf: np.ndarray) -> float:
    n = len(sorted_x)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - cdf), np.max(cdf - (i - 1) / n)))


def distribution_fits(values: torch.Tensor) -> Dict[str, Optional[float]]:
    """Maximum-likelihood Gaussian (closed form), logistic and Student-t (scipy.optimize from a
    moment start, nu in [0.2, 1e4]) of the finite values; mean log-likelihood per element and
    the exact two-sided KS distance to each fitted CDF."""
    from scipy import optimize, special, stats

    x = np.sort(values.reshape(-1).numpy())
    x = x[np.isfinite(x)]
    out: Dict[str, Optional[float]] = {}
    mu, sd = x.mean(), x.std()
    if not sd > 0:
        return {k: None for k in ("gaussian_ks", "gaussian_loglik", "logistic_ks", "logistic_loglik", "student_t_ks", "student_t_loglik", "student_t_nu")}
    out["gaussian_loglik"] = float(stats.norm.logpdf(x, mu, sd).mean())
    out["gaussian_ks"] = ks_distance(x, stats.norm.cdf(x, mu, sd))

    # L-BFGS-B with analytic gradients of the mean negative log-likelihood; scales as logs
    opts = {"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000}

    def nll_logistic(p):
        s_ = math.exp(p[1])
        z = (x - p[0]) / s_
        th = np.tanh(z / 2)
        f = -(-z - 2 * np.logaddexp(0, -z) - p[1]).mean()
        return f, np.array([-(th / s_).mean(), -(-1 + z * th).mean()])

    r = optimize.minimize(nll_logistic, [np.median(x), math.log(sd * math.sqrt(3) / math.pi)], jac=True, method="L-BFGS-B", options=opts)
    loc, scale = r.x[0], math.exp(r.x[1])
    out["logistic_loglik"] = float(-r.fun)
    out["logistic_ks"] = ks_distance(x, stats.logistic.cdf(x, loc, scale))

    def nll_t(p):
        nu, m, b = math.exp(p[0]), p[1], p[2]
        sc = math.exp(b)
        t = (x - m) / sc
        t2 = t * t
        q = nu + t2
        lp = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * math.log(nu * math.pi) - (nu + 1) / 2 * np.log1p(t2 / nu) - b
        d_nu = 0.5 * special.digamma((nu + 1) / 2) - 0.5 * special.digamma(nu / 2) - 0.5 / nu - 0.5 * np.log1p(t2 / nu) + (nu + 1) * t2 / (2 * nu * q)
        d_m = (nu + 1) * t / (sc * q)
        d_b = -1 + (nu + 1) * t2 / q
        return -lp.mean(), -np.array([nu * d_nu.mean(), d_m.mean(), d_b.mean()])

    bounds = [(math.log(NU_BOUNDS[0]), math.log(NU_BOUNDS[1])), (None, None), (None, None)]
    best = None
    # line searches may probe absurd scales; overflow there only means "worse", silence it
    np.seterr(divide="ignore", over="ignore", invalid="ignore")
    for nu0 in (4.0, 1e3):
        start = [math.log(nu0), float(np.median(x)), math.log(sd * math.sqrt((nu0 - 2) / nu0))]
        r = optimize.minimize(nll_t, start, jac=True, method="L-BFGS-B", bounds=bounds, options=opts)
        if best is None or r.fun < best.fun:
            best = r
    nu = math.exp(best.x[0])
    out["student_t_loglik"] = float(-best.fun)
    out["student_t_nu"] = float(nu)
    out["student_t_ks"] = ks_distance(x, stats.t.cdf(x, nu, best.x[1], math.exp(best.x[2])))
    return out


EVALS_THRESH = 1e-5  # WeightWatcher's absolute threshold on eigenvalues before the fit


def powerlaw_fit(evals: np.ndarray) -> Dict[str, Optional[float]]:
    """WeightWatcher's default power-law fit (weightwatcher WW_powerlaw.WWFit, xmax=None) of the
    eigenvalues s^2: every sorted value but the largest is a candidate xmin; continuous MLE alpha
    for the tail above it; KS distance between the fitted CDF 1 - (x/xmin)^(1-alpha) and the
    empirical k/n; the first candidate with the smallest distance wins."""
    x = np.sort(evals[evals > EVALS_THRESH]).astype(np.float64)
    N = len(x)
    if N < 2:
        return {"alpha": None, "alpha_xmin": None, "alpha_ks": None}
    logx = np.log(x)
    best = (math.inf, -1, math.nan)
    for i in range(N - 1):
        n = N - i
        alpha = 1 + n / (logx[i:].sum() - n * logx[i])
        D = 1.0
        if alpha > 1:
            D = float(np.max(np.abs(1 - (x[i:] / x[i]) ** (1 - alpha) - np.arange(n) / n)))
        if D < best[0]:
            best = (D, i, alpha)
    D, i, alpha = best
    return {"alpha": float(alpha), "alpha_xmin": float(x[i]), "alpha_ks": float(D)}


def embedding_correlation(e: torch.Tensor) -> Tuple[List[int], List[float]]:
    r1 = min(EMBED_ROWS, e.shape[0])
    rows = e[:r1]
    c = rows - rows.mean(dim=1, keepdim=True)
    cov = c @ c.T
    norm = torch.sqrt(torch.diag(cov))
    corr = cov / (norm[:, None] * norm[None, :])
    return [0, r1], [float(v) for v in corr.reshape(-1)]


EMBED_NAME = {"gpt_neox": "gpt_neox.embed_in.weight", "gpt2": "transformer.wte.weight", "llama": "model.embed_tokens.weight"}

# ----------------------------------------------------------------------------------------------
# forward passes in float64, following transformers' modelling_gpt_neox / modelling_gpt2 /
# modelling_llama (eval mode: no dropout)


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_interleaved(x):
    """GPT-J style pairs (x0, x1), (x2, x3) ... -- NOT what GPT-NeoX/Llama use (a wrong variant)."""
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_cos_sin(dim: int, base: float, seq_len: int):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    t = torch.arange(seq_len, dtype=torch.float64)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()  # [L, dim]


def causal_attention(q, k, v, head_dim):
    # q, k, v: [B, H, L, hd]
    L = q.shape[2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim)
    mask = torch.tril(torch.ones(L, L, dtype=torch.bool))
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def forward_neox(p: Weights, cfg: dict, ids: torch.Tensor):
    B, L = ids.shape
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = d // H
    var = cfg.get("_variant")
    rot = hd if var == "rotary over the whole head" else int(hd * cfg["rotary_pct"])
    eps = cfg["layer_norm_eps"]
    cos, sin = rope_cos_sin(rot, cfg.get("rotary_emb_base", 10000), L)
    rot_fn = rotate_interleaved if var == "GPT-J interleaved rotary" else rotate_half
    if var == "GPT-J interleaved rotary":
        cos, sin = cos[:, : rot // 2].repeat_interleave(2, -1), sin[:, : rot // 2].repeat_interleave(2, -1)
    x = p["gpt_neox.embed_in.weight"][ids]
    resid, mlps = [x], []
    for i in range(cfg["num_hidden_layers"]):
        g = f"gpt_neox.layers.{i}."
        h1 = layer_norm(x, p[g + "input_layernorm.weight"], p[g + "input_layernorm.bias"], eps)
        qkv = h1 @ p[g + "attention.query_key_value.weight"].T + p[g + "attention.query_key_value.bias"]
        qkv = qkv.view(B, L, H, 3 * hd).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :hd], qkv[..., hd : 2 * hd], qkv[..., 2 * hd :]
        q_rot, q_pass = q[..., :rot], q[..., rot:]
        k_rot, k_pass = k[..., :rot], k[..., rot:]
        q = torch.cat((q_rot * cos + rot_fn(q_rot) * sin, q_pass), dim=-1)
        k = torch.cat((k_rot * cos + rot_fn(k_rot) * sin, k_pass), dim=-1)
        a = causal_attention(q, k, v, hd).permute(0, 2, 1, 3).reshape(B, L, d)
        attn_out = a @ p[g + "attention.dense.weight"].T + p[g + "attention.dense.bias"]
        parallel = cfg.get("use_parallel_residual", True) and var != "sequential residual"
        if parallel:
            h2 = layer_norm(x, p[g + "post_attention_layernorm.weight"], p[g + "post_attention_layernorm.bias"], eps)
        else:
            x = x + attn_out
            h2 = layer_norm(x, p[g + "post_attention_layernorm.weight"], p[g + "post_attention_layernorm.bias"], eps)
        m = h2 @ p[g + "mlp.dense_h_to_4h.weight"].T + p[g + "mlp.dense_h_to_4h.bias"]
        m = gelu_new(m) if var == "tanh GELU" else torch.nn.functional.gelu(m)  # hidden_act "gelu": exact erf GELU
        mlps.append(m)
        mlp_out = m @ p[g + "mlp.dense_4h_to_h.weight"].T + p[g + "mlp.dense_4h_to_h.bias"]
        x = x + attn_out + mlp_out if parallel else x + mlp_out
        resid.append(x)
    fn = layer_norm(x, p["gpt_neox.final_layer_norm.weight"], p["gpt_neox.final_layer_norm.bias"], eps)
    logits = fn @ p["embed_out.weight"].T
    return resid, fn, logits, mlps


def forward_gpt2(p: Weights, cfg: dict, ids: torch.Tensor):
    B, L = ids.shape
    d, H = cfg["n_embd"], cfg["n_head"]
    hd = d // H
    eps = cfg["layer_norm_epsilon"]
    var = cfg.get("_variant")
    x = p["transformer.wte.weight"][ids]
    if var != "no position embedding":
        x = x + p["transformer.wpe.weight"][torch.arange(L)][None]
    resid, mlps = [x], []
    for i in range(cfg["n_layer"]):
        g = f"transformer.h.{i}."
        h = layer_norm(x, p[g + "ln_1.weight"], p[g + "ln_1.bias"], eps)
        qkv = h @ p[g + "attn.c_attn.weight"] + p[g + "attn.c_attn.bias"]  # Conv1D: x @ W[in, out] + b
        q, k, v = qkv.split(d, dim=2)
        q, k, v = (t.view(B, L, H, hd).permute(0, 2, 1, 3) for t in (q, k, v))
        a = causal_attention(q, k, v, hd).permute(0, 2, 1, 3).reshape(B, L, d)
        c_proj = p[g + "attn.c_proj.weight"].T if var == "Conv1D read as [out, in]" else p[g + "attn.c_proj.weight"]
        x = x + a @ c_proj + p[g + "attn.c_proj.bias"]
        h = layer_norm(x, p[g + "ln_2.weight"], p[g + "ln_2.bias"], eps)
        m = h @ p[g + "mlp.c_fc.weight"] + p[g + "mlp.c_fc.bias"]
        m = torch.nn.functional.gelu(m) if var == "erf GELU" else gelu_new(m)
        mlps.append(m)
        x = x + m @ p[g + "mlp.c_proj.weight"] + p[g + "mlp.c_proj.bias"]
        resid.append(x)
    fn = layer_norm(x, p["transformer.ln_f.weight"], p["transformer.ln_f.bias"], eps)
    logits = fn @ p["transformer.wte.weight"].T  # tied lm_head
    return resid, fn, logits, mlps


def forward_llama(p: Weights, cfg: dict, ids: torch.Tensor):
    B, L = ids.shape
    d, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", d // H)
    eps = cfg["rms_norm_eps"]
    var = cfg.get("_variant")
    cos, sin = rope_cos_sin(hd, 10000.0 if var == "rope base 10000" else cfg.get("rope_theta", 10000.0), L)
    x = p["model.embed_tokens.weight"][ids]
    resid, mlps = [x], []
    for i in range(cfg["num_hidden_layers"]):
        g = f"model.layers.{i}."
        h = rms_norm(x, p[g + "input_layernorm.weight"], eps)
        q = (h @ p[g + "self_attn.q_proj.weight"].T).view(B, L, H, hd).permute(0, 2, 1, 3)
        k = (h @ p[g + "self_attn.k_proj.weight"].T).view(B, L, KV, hd).permute(0, 2, 1, 3)
        v = (h @ p[g + "self_attn.v_proj.weight"].T).view(B, L, KV, hd).permute(0, 2, 1, 3)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if var == "kv heads tiled":
            k, v = k.repeat(1, H // KV, 1, 1), v.repeat(1, H // KV, 1, 1)
        else:
            k = k.repeat_interleave(H // KV, dim=1)  # repeat_kv: head h reads kv head h // (H / KV)
            v = v.repeat_interleave(H // KV, dim=1)
        a = causal_attention(q, k, v, hd).permute(0, 2, 1, 3).reshape(B, L, H * hd)
        x = x + a @ p[g + "self_attn.o_proj.weight"].T
        h = rms_norm(x, p[g + "post_attention_layernorm.weight"], eps)
        gate = h @ p[g + "mlp.gate_proj.weight"].T
        up = h @ p[g + "mlp.up_proj.weight"].T
        act = torch.nn.functional.gelu(gate) if var == "GELU instead of SiLU" else torch.nn.functional.silu(gate)
        mlps.append(act * up)
        x = x + (act * up) @ p[g + "mlp.down_proj.weight"].T
        resid.append(x)
    fn = rms_norm(x, p["model.norm.weight"], eps)
    logits = fn @ (p["lm_head.weight"] if "lm_head.weight" in p else p["model.embed_tokens.weight"]).T
    return resid, fn, logits, mlps


FORWARD = {"gpt_neox": forward_neox, "gpt2": forward_gpt2, "llama": forward_llama}


def activation_stats(x: torch.Tensor) -> Dict[str, object]:
    """Stats over the finite elements (a diverged checkpoint's NaN/Inf are counted, left out)."""
    v = x.detach().reshape(-1)
    finite = torch.isfinite(v)
    v = v[finite]
    out: Dict[str, object] = {"count": int(v.numel()), "nonfinite": int((~finite).sum())}
    if v.numel() == 0:
        out.update({"max_abs": None, "mean": None, "std": None, "rms": None, "excess_kurtosis": None})
        return out
    mean = v.mean()
    c = v - mean
    m2, m4 = (c**2).mean(), (c**4).mean()
    out.update({
        "max_abs": float(v.abs().max()),
        "mean": float(mean),
        "std": float(torch.sqrt(m2)),
        "rms": float(torch.sqrt((v * v).mean())),
        "excess_kurtosis": float(m4 / m2**2 - 3) if m2 > 0 else None,
    })
    return out


def finite_or_none(v: float) -> Optional[float]:
    return v if math.isfinite(v) else None


def run_model(weights: Weights, cfg: dict, ids: torch.Tensor, keep_values: bool = False) -> dict:
    """Forward + backward in float64. Quantities that are undefined (a NaN loss, NaN gradients,
    argmax over NaN logits) are None: the export must leave them empty."""
    params = {k: v.clone().requires_grad_(True) for k, v in weights.items() if is_parameter(k)}
    resid, fn, logits, mlps = FORWARD[cfg["model_type"]](params, cfg, ids)
    V = logits.shape[-1]
    pred = logits[:, :-1].reshape(-1, V)
    target = ids[:, 1:].reshape(-1)
    loss = torch.nn.functional.cross_entropy(pred, target)
    logits_finite = bool(torch.isfinite(pred).all())
    top1 = float((pred.argmax(-1) == target).double().mean()) if logits_finite else None
    loss.backward()
    acts = {f"resid.{i}": activation_stats(r) for i, r in enumerate(resid)}
    acts["final_norm"] = activation_stats(fn)
    for i, m in enumerate(mlps):  # MLP hidden activation: the input of the MLP's output projection
        acts[f"mlp.{i}"] = activation_stats(m)
    grads = {k: finite_or_none(float(v.grad.norm())) for k, v in params.items() if v.grad is not None}
    total = None if any(g is None for g in grads.values()) else math.sqrt(sum(g * g for g in grads.values()))
    # logit margin of the top-1 choice: a near-tie makes a float32 argmax legitimately differ
    margin = float((lambda t: (t[:, 0] - t[:, 1]).min())(torch.topk(pred.detach(), 2, dim=-1).values)) if logits_finite else None
    if keep_values:
        values = {f"resid.{i}": r.detach() for i, r in enumerate(resid)}
        values["final_norm"] = fn.detach()
        values.update({f"mlp.{i}": m.detach() for i, m in enumerate(mlps)})
        extra = {"act_values": values, "grad_values": {k: v.grad.detach() for k, v in params.items() if v.grad is not None}}
    else:
        extra = {}
    return {
        **extra,
        "activations": acts,
        "probe": {"loss": finite_or_none(float(loss)), "top1_accuracy": top1, "grad_total_norm": total},
        "grads": grads,
        "min_top1_margin": margin,
        "n_predictions": int(target.numel()),
    }


WRONG_VARIANTS = {
    "gpt_neox": ["sequential residual", "rotary over the whole head", "GPT-J interleaved rotary", "tanh GELU"],
    "gpt2": ["Conv1D read as [out, in]", "erf GELU", "no position embedding"],
    "llama": ["kv heads tiled", "rope base 10000", "GELU instead of SiLU"],
}


def sensitivity(weights: Weights, cfg: dict, ids: torch.Tensor) -> List[dict]:
    """How far plausible implementation mistakes move the checked numbers: proof that the
    tolerances would catch them. Each wrong variant's loss and last-residual std against the
    correct forward pass."""
    params = {k: v for k, v in weights.items() if is_parameter(k)}

    def loss_and_std(c: dict) -> Tuple[float, float]:
        with torch.no_grad():
            resid, _fn, logits, _mlps = FORWARD[c["model_type"]](params, c, ids)
            V = logits.shape[-1]
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
        return float(loss), float(resid[-1].std(unbiased=False))

    base_loss, base_std = loss_and_std(cfg)
    out = []
    for var in WRONG_VARIANTS[cfg["model_type"]]:
        loss, std = loss_and_std({**cfg, "_variant": var})
        out.append({"variant": var, "dloss": abs(loss - base_loss), "rel_dstd": abs(std - base_std) / base_std})
    return out


SVD_K, SVD_TOP = 30, 20


def _top_ids(logits: np.ndarray, k: int) -> List[int]:
    """Ids of the k largest values, ties to the lower id."""
    order = np.lexsort((np.arange(len(logits)), -logits))
    return [int(i) for i in order[:k]]


def svd_directions(w: Weights, cfg: dict) -> List[dict]:
    """DOMAIN.md "SVD directions": per block, the top singular directions (residual-stream side)
    of mlp.out and of each head's OV circuit W_O^h W_V^h, mapped through the unembedding U:
    top-20 token ids of U u and of U (-u). Float64 SVD of the full matrices."""
    fam = cfg["model_type"]
    if fam == "gpt_neox":
        d, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
        hd, KV = d // H, H
        U = w["embed_out.weight"]
    elif fam == "gpt2":
        d, H, L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
        hd, KV = d // H, H
        U = w["transformer.wte.weight"]
    else:
        d, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
        hd, KV = cfg.get("head_dim", d // H), cfg["num_key_value_heads"]
        U = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    out = []

    def add(component, block, head, M):
        u, sv, _vh = torch.linalg.svd(M, full_matrices=False)
        k = min(SVD_K, int((sv > sv[0] * 1e-10).sum()))
        for i in range(k):
            logits = (U @ u[:, i]).numpy()
            out.append({"component": component, "block": block, "head": head, "index": i, "singular_value": float(sv[i]),
                        "top": _top_ids(logits, SVD_TOP), "bottom": _top_ids(-logits, SVD_TOP)})

    for b in range(L):
        if fam == "gpt_neox":
            g = f"gpt_neox.layers.{b}."
            mlp_out = w[g + "mlp.dense_4h_to_h.weight"]  # [d, F]: rows = residual side
            Wo = w[g + "attention.dense.weight"]  # [d, d] (out, in)
            qkv = w[g + "attention.query_key_value.weight"].view(H, 3, hd, d)
            A = lambda h: Wo[:, h * hd:(h + 1) * hd]
            B = lambda h: qkv[h, 2]
        elif fam == "gpt2":
            g = f"transformer.h.{b}."
            mlp_out = w[g + "mlp.c_proj.weight"].T  # Conv1D [F, d] (in, out) -> [d, F]
            Wo = w[g + "attn.c_proj.weight"].T  # -> (out, in)
            Wv = w[g + "attn.c_attn.weight"][:, 2 * d:].T  # value columns of [d, 3d] -> [d (out), d (in)]
            A = lambda h: Wo[:, h * hd:(h + 1) * hd]
            B = lambda h: Wv[h * hd:(h + 1) * hd, :]
        else:
            g = f"model.layers.{b}."
            mlp_out = w[g + "mlp.down_proj.weight"]
            Wo = w[g + "self_attn.o_proj.weight"]
            Wv = w[g + "self_attn.v_proj.weight"]
            A = lambda h: Wo[:, h * hd:(h + 1) * hd]
            B = lambda h: Wv[(h // (H // KV)) * hd:(h // (H // KV) + 1) * hd, :]
        add("mlp.out", b, None, mlp_out)
        for h in range(H):
            add("attn.ov", b, h, A(h) @ B(h))
    return out


# ----------------------------------------------------------------------------------------------
# tokenizer: the repository's byte-level BPE encoder, rebuilt from tokenizer.json's merges


def load_encoder(tokenizer_json: str) -> ByteLevelBPE:
    tj = json.load(open(tokenizer_json, encoding="utf-8"))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in tj["model"]["merges"]]
    enc = ByteLevelBPE(merges)
    if enc.vocab != tj["model"]["vocab"]:
        raise SystemExit(f"{tokenizer_json}: vocabulary is not in the specials/bytes/merges order this encoder rebuilds")
    return enc


def probe_ids(tokenizer_json: str, batch: int, seq_len: int) -> torch.Tensor:
    ids = load_encoder(tokenizer_json).encode(open(PROBE_TEXT, encoding="utf-8").read())
    return torch.tensor(ids[: batch * seq_len], dtype=torch.long).view(batch, seq_len)


# ----------------------------------------------------------------------------------------------


def reference_run(series_dir: str, run: dict, batch: int, seq_len: int, keep_values: bool = False, with_fits: bool = False,
                  with_svd: bool = False) -> dict:
    """Every reference number of one run: {step: {...}} in step order. keep_values also keeps the
    float64 tensors (weights, activations, gradients) for histogram checks (not JSON-serialisable)."""
    folders = checkpoint_folders(series_dir, run)
    cfg = json.load(open(os.path.join(folders[0][1], "config.json")))
    ids = probe_ids(os.path.join(series_dir, "tokenizer.json"), batch, seq_len)
    out: dict = {"config": cfg, "steps": {}, "probe_ids_head": ids.reshape(-1)[:16].tolist()}
    init: Optional[Weights] = None
    prev: Optional[Weights] = None
    for step, folder in folders:
        w = read_checkpoint_folder(folder)
        if init is None:
            init = w
        entry: dict = {"weights": {}, "spectra": {}, "nonfinite": {}}
        for name, t in w.items():
            if not is_parameter(name):
                continue
            entry["weights"][name] = weight_metrics(t, init[name], prev[name] if prev is not None else None)
            if with_fits:
                entry["weights"][name].update(distribution_fits(t))
            nf = nonfinite_counts(t)
            if any(nf.values()):
                entry["nonfinite"][name] = nf
            if t.dim() == 2 and not any(nf.values()):
                s, scal = spectral(t)
                entry["spectra"][name] = s
                entry["weights"][name].update(scal)
        emb = EMBED_NAME[cfg["model_type"]]
        entry["embedding"] = {"tensor": emb}
        entry["embedding"]["rows"], entry["embedding"]["matrix"] = embedding_correlation(w[emb])
        entry["model"] = run_model(w, cfg, ids, keep_values)
        if keep_values:
            entry["weight_values"] = {k: v for k, v in w.items() if is_parameter(k)}
        if with_svd and not entry["nonfinite"]:
            entry["svd_directions"] = svd_directions(w, cfg)
        if step == folders[-1][0] and not entry["nonfinite"]:
            out["sensitivity"] = sensitivity(w, cfg, ids)
        out["steps"][step] = entry
        prev = w
    return out


def main() -> None:
    if len(sys.argv) != 5:
        print(__doc__)
        sys.exit(2)
    series_dir, batch, seq_len, out_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    manifest = json.load(open(os.path.join(series_dir, "manifest.json")))
    result = {name: reference_run(series_dir, run, batch, seq_len) for name, run in manifest["runs"].items()}
    with open(out_path, "w") as f:
        json.dump(result, f)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
