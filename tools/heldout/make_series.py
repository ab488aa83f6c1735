"""Held-out checkpoint series for validating Checkpoint Atlas against PyTorch float64.

Writes, under OUTDIR, small random models of the three supported families as checkpoint series in
the three layouts the tool reads, none of which exist in the repository (different sizes, seeds,
vocabulary and dtypes from test/fixtures):

  OUTDIR/hub/models--heldout--neox/       GPT-NeoX, Hugging Face hub cache: refs/stepN (+ main as an
                                          alias), snapshots/{commit}/ holding *relative symlinks*
                                          into blobs/ (float16 model.safetensors, config.json,
                                          tokenizer.json), shared blobs for identical files.
  OUTDIR/trainer-gpt2/checkpoint-N/       GPT-2, Trainer output: pytorch_model.bin written by real
                                          torch.save (zip format, float32, tied embeddings so no
                                          lm_head, old-style attn.bias / attn.masked_bias buffers),
                                          config.json, trainer_state.json with log_history.
  OUTDIR/steps-llama/step_N/              Llama (grouped-query 4 heads / 2 kv heads, RMSNorm,
                                          SwiGLU, rope): bfloat16 safetensors; one checkpoint
                                          sharded (model.safetensors.index.json + 2 shards).
  OUTDIR/steps-nan/step_N/                Llama-shaped float32 series with NaN, +Inf and -Inf
                                          injected into one tensor of one checkpoint.

Weights drift between checkpoints with Gaussian plus heavy-tailed (Student-t, nu=2.5) updates and a
few residual "outlier" dimensions that grow over training, so every metric moves.

The tokenizer is a real byte-level BPE tokenizer.json (Pythia layout: two specials, 256 bytes,
merges) trained with the repository's tools/bpe_tokenizer.py on the second half of the probe text
(so the probe's first tokens are encoded with merges learned elsewhere). Model vocabularies are the
tokenizer's size, except GPT-NeoX's which is padded above it as Pythia's is.

Hand-written safetensors writer: the machine has no Python safetensors package.

Usage: /usr/bin/python3 tools/heldout/make_series.py OUTDIR [--tokenizer TOKENIZER_JSON]
(--tokenizer: use that byte-level BPE tokenizer.json instead of training one, e.g. the demo run's)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import struct
import sys
from typing import Dict, List, Tuple

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from bpe_tokenizer import ByteLevelBPE, dumps_stable, train_bpe  # noqa: E402

TOKENIZER_VOCAB = 384
NEOX_VOCAB_PADDING = 16  # GPT-NeoX's embedding rows above the tokenizer's size, as Pythia pads

# ----------------------------------------------------------------------------------------------
# safetensors writer (format: 8-byte LE header length, JSON header padded with spaces to a
# multiple of 8, then the raw little-endian data buffer, tensors contiguous from offset 0)

_ST_DTYPE = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64"}


def safetensors_bytes(tensors: Dict[str, torch.Tensor]) -> bytes:
    header: Dict[str, object] = {"__metadata__": {"format": "pt"}}
    chunks: List[bytes] = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": _ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(chunks)


def write_json(path: str, obj: object) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# tokenizer


def make_tokenizer(path: str = "") -> Tuple[bytes, int]:
    """A given tokenizer.json (e.g. the demo run's), or one trained here; (bytes, vocab size)."""
    if path:
        data = open(path, "rb").read()
        tj = json.loads(data)
        ids = list(tj["model"]["vocab"].values()) + [t["id"] for t in tj.get("added_tokens", [])]
        return data, max(ids) + 1
    text = open(os.path.join(ROOT, "resources", "probe", "default.txt"), encoding="utf-8").read()
    merges = train_bpe(text[len(text) // 2 :], TOKENIZER_VOCAB)
    tok = ByteLevelBPE(merges)
    return dumps_stable(tok.tokenizer_json()), len(tok.vocab)


# ----------------------------------------------------------------------------------------------
# weights: initialisation and drift


class Drift:
    """Deterministic weight trajectories: W_k = W_{k-1} + scale_k * (gaussian + heavy-tailed)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def normal(self, shape, std: float) -> torch.Tensor:
        return torch.from_numpy(self.rng.standard_normal(tuple(shape))) * std

    def student_t(self, shape, nu: float, scale: float) -> torch.Tensor:
        return torch.from_numpy(self.rng.standard_t(nu, tuple(shape))) * scale

    def step(self, weights: Dict[str, torch.Tensor], scale: float, heavy: float, outlier_dims: List[int]) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        for name, w in weights.items():
            if not w.is_floating_point() or w.dim() == 0 or name.endswith("inv_freq") or name.endswith(".attn.bias"):
                out[name] = w.clone()
                continue
            base = 0.02 if w.dim() == 2 else 0.05
            upd = self.normal(w.shape, base * scale) + self.student_t(w.shape, 2.5, base * heavy)
            new = w + upd
            # residual outliers: a few dimensions of the norm weights and of the embedding grow
            if outlier_dims and w.dim() == 1 and ("norm" in name or "ln" in name) and name.endswith("weight"):
                new[outlier_dims] += 0.6 * scale
            if outlier_dims and w.dim() == 2 and ("embed" in name or "wte" in name):
                new[:, outlier_dims] += 0.05 * scale * torch.sign(new[:, outlier_dims])
            out[name] = new
        return out


def init_neox(d: Drift, cfg: dict) -> Dict[str, torch.Tensor]:
    H, V, F, L = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    hd = H // cfg["num_attention_heads"]
    rot = int(hd * cfg["rotary_pct"])
    w: Dict[str, torch.Tensor] = {"gpt_neox.embed_in.weight": d.normal((V, H), 0.02)}
    for i in range(L):
        p = f"gpt_neox.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + d.normal((H,), 0.02)
        w[p + "input_layernorm.bias"] = d.normal((H,), 0.01)
        w[p + "post_attention_layernorm.weight"] = 1 + d.normal((H,), 0.02)
        w[p + "post_attention_layernorm.bias"] = d.normal((H,), 0.01)
        w[p + "attention.query_key_value.weight"] = d.normal((3 * H, H), 0.02)
        w[p + "attention.query_key_value.bias"] = d.normal((3 * H,), 0.01)
        w[p + "attention.dense.weight"] = d.normal((H, H), 0.02 / math.sqrt(2 * L))
        w[p + "attention.dense.bias"] = d.normal((H,), 0.01)
        w[p + "mlp.dense_h_to_4h.weight"] = d.normal((F, H), 0.02)
        w[p + "mlp.dense_h_to_4h.bias"] = d.normal((F,), 0.01)
        w[p + "mlp.dense_4h_to_h.weight"] = d.normal((H, F), 0.02 / math.sqrt(2 * L))
        w[p + "mlp.dense_4h_to_h.bias"] = d.normal((H,), 0.01)
        # buffer old Pythia files carry (not a parameter)
        w[p + "attention.rotary_emb.inv_freq"] = 1.0 / (cfg["rotary_emb_base"] ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    w["gpt_neox.final_layer_norm.weight"] = 1 + d.normal((H,), 0.02)
    w["gpt_neox.final_layer_norm.bias"] = d.normal((H,), 0.01)
    w["embed_out.weight"] = d.normal((V, H), 0.02)
    return w


def init_gpt2(d: Drift, cfg: dict) -> Dict[str, torch.Tensor]:
    H, V, L, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_layer"], cfg["n_positions"]
    F = 4 * H
    w: Dict[str, torch.Tensor] = {"transformer.wte.weight": d.normal((V, H), 0.02), "transformer.wpe.weight": d.normal((P, H), 0.01)}
    for i in range(L):
        p = f"transformer.h.{i}."
        w[p + "ln_1.weight"] = 1 + d.normal((H,), 0.02)
        w[p + "ln_1.bias"] = d.normal((H,), 0.01)
        w[p + "attn.c_attn.weight"] = d.normal((H, 3 * H), 0.02)  # Conv1D: [in, out]
        w[p + "attn.c_attn.bias"] = d.normal((3 * H,), 0.01)
        w[p + "attn.c_proj.weight"] = d.normal((H, H), 0.02 / math.sqrt(2 * L))
        w[p + "attn.c_proj.bias"] = d.normal((H,), 0.01)
        w[p + "ln_2.weight"] = 1 + d.normal((H,), 0.02)
        w[p + "ln_2.bias"] = d.normal((H,), 0.01)
        w[p + "mlp.c_fc.weight"] = d.normal((H, F), 0.02)
        w[p + "mlp.c_fc.bias"] = d.normal((F,), 0.01)
        w[p + "mlp.c_proj.weight"] = d.normal((F, H), 0.02 / math.sqrt(2 * L))
        w[p + "mlp.c_proj.bias"] = d.normal((H,), 0.01)
    w["transformer.ln_f.weight"] = 1 + d.normal((H,), 0.02)
    w["transformer.ln_f.bias"] = d.normal((H,), 0.01)
    return w


def init_llama(d: Drift, cfg: dict) -> Dict[str, torch.Tensor]:
    H, V, F, L = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    hd = H // cfg["num_attention_heads"]
    kv = cfg["num_key_value_heads"] * hd
    w: Dict[str, torch.Tensor] = {"model.embed_tokens.weight": d.normal((V, H), 0.02)}
    for i in range(L):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + d.normal((H,), 0.02)
        w[p + "self_attn.q_proj.weight"] = d.normal((H, H), 0.02)
        w[p + "self_attn.k_proj.weight"] = d.normal((kv, H), 0.02)
        w[p + "self_attn.v_proj.weight"] = d.normal((kv, H), 0.02)
        w[p + "self_attn.o_proj.weight"] = d.normal((H, H), 0.02)
        w[p + "post_attention_layernorm.weight"] = 1 + d.normal((H,), 0.02)
        w[p + "mlp.gate_proj.weight"] = d.normal((F, H), 0.02)
        w[p + "mlp.up_proj.weight"] = d.normal((F, H), 0.02)
        w[p + "mlp.down_proj.weight"] = d.normal((H, F), 0.02)
    w["model.norm.weight"] = 1 + d.normal((H,), 0.02)
    w["lm_head.weight"] = d.normal((V, H), 0.02)
    return w


def trajectory(init: Dict[str, torch.Tensor], drift: Drift, n: int, outlier_dims: List[int]) -> List[Dict[str, torch.Tensor]]:
    series = [init]
    for k in range(1, n):
        series.append(drift.step(series[-1], scale=1.5 / k, heavy=0.8 / k, outlier_dims=outlier_dims))
    return series


# ----------------------------------------------------------------------------------------------
# configs exactly as Hugging Face writes them


def neox_config(vocab: int) -> dict:
    return {
        "architectures": ["GPTNeoXForCausalLM"], "attention_bias": True, "attention_dropout": 0.0, "bos_token_id": 0,
        "classifier_dropout": 0.1, "eos_token_id": 0, "hidden_act": "gelu", "hidden_dropout": 0.0, "hidden_size": 48,
        "initializer_range": 0.02, "intermediate_size": 192, "layer_norm_eps": 1e-05, "max_position_embeddings": 128,
        "model_type": "gpt_neox", "num_attention_heads": 4, "num_hidden_layers": 3, "rope_scaling": None,
        "rotary_emb_base": 10000, "rotary_pct": 0.5, "tie_word_embeddings": False, "torch_dtype": "float16",
        "transformers_version": "4.36.2", "use_cache": True, "use_parallel_residual": True, "vocab_size": vocab,
    }


def gpt2_config(vocab: int) -> dict:
    return {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1, "bos_token_id": 0,
        "embd_pdrop": 0.1, "eos_token_id": 0, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
        "n_ctx": 64, "n_embd": 40, "n_head": 4, "n_inner": None, "n_layer": 2, "n_positions": 64,
        "reorder_and_upcast_attn": False, "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True, "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
        "summary_type": "cls_index", "summary_use_proj": True, "tie_word_embeddings": True, "torch_dtype": "float32",
        "transformers_version": "4.36.2", "use_cache": True, "vocab_size": vocab,
    }


def llama_config(vocab: int, dtype: str) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 0,
        "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 48, "initializer_range": 0.02, "intermediate_size": 128,
        "max_position_embeddings": 256, "model_type": "llama", "num_attention_heads": 4, "num_hidden_layers": 2,
        "num_key_value_heads": 2, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None,
        "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": dtype, "transformers_version": "4.40.1",
        "use_cache": True, "vocab_size": vocab,
    }


# ----------------------------------------------------------------------------------------------
# layouts


def write_hub_cache(root: str, repo: str, revisions: List[Tuple[str, Dict[str, bytes]]], main_alias: bool) -> None:
    """HF hub cache: blobs named by content hash (sha256 for LFS files, git sha1 otherwise),
    snapshots/{commit}/file -> ../../blobs/{hash} relative symlinks, refs/{revision} = commit."""
    base = os.path.join(root, repo)
    for sub in ("blobs", "refs", "snapshots"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    last_commit = ""
    for revision, files in revisions:
        commit = hashlib.sha1((repo + revision).encode()).hexdigest()
        snap = os.path.join(base, "snapshots", commit)
        os.makedirs(snap, exist_ok=True)
        for fname, data in files.items():
            if fname.endswith(".safetensors"):
                blob = hashlib.sha256(data).hexdigest()
            else:
                blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            bpath = os.path.join(base, "blobs", blob)
            if not os.path.exists(bpath):
                with open(bpath, "wb") as f:
                    f.write(data)
            link = os.path.join(snap, fname)
            os.symlink(os.path.join("..", "..", "blobs", blob), link)
        with open(os.path.join(base, "refs", revision), "w") as f:
            f.write(commit)  # no trailing newline, as huggingface_hub writes it
        last_commit = commit
    if main_alias:
        with open(os.path.join(base, "refs", "main"), "w") as f:
            f.write(last_commit)


def trainer_state(step: int, steps_per_log: int, max_steps: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    history = []
    for s in range(steps_per_log, step + 1, steps_per_log):
        history.append({
            "epoch": round(s / max_steps, 4), "grad_norm": float(1.0 + 3.0 / math.sqrt(s) + 0.1 * rng.random()),
            "learning_rate": float(5e-4 * (1 - s / max_steps)), "loss": float(5.9 * s ** -0.08 + 0.05 * rng.random()), "step": s,
        })
    return {
        "best_metric": None, "best_model_checkpoint": None, "epoch": round(step / max_steps, 4), "eval_steps": 500,
        "global_step": step, "is_hyper_param_search": False, "is_local_process_zero": True, "is_world_process_zero": True,
        "log_history": history, "logging_steps": steps_per_log, "max_steps": max_steps, "num_input_tokens_seen": 0,
        "num_train_epochs": 1, "save_steps": 250, "stateful_callbacks": {}, "total_flos": float(step * 1.5e9),
        "train_batch_size": 8, "trial_name": None, "trial_params": None,
    }


def main() -> None:
    args = sys.argv[1:]
    tokenizer_path = ""
    if len(args) == 3 and args[1] == "--tokenizer":
        tokenizer_path = os.path.abspath(args[2])
        args = args[:1]
    if len(args) != 1:
        print(__doc__)
        sys.exit(2)
    out = os.path.abspath(args[0])
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)

    tok_bytes, vocab = make_tokenizer(tokenizer_path)
    with open(os.path.join(out, "tokenizer.json"), "wb") as f:
        f.write(tok_bytes)

    manifest: dict = {"tokenizer_vocab": vocab, "tokenizer_source": tokenizer_path or "trained by make_series.py", "runs": {}}

    # GPT-NeoX, hub cache, float16 ----------------------------------------------------------
    cfg = neox_config(vocab + NEOX_VOCAB_PADDING)
    series = trajectory(init_neox(Drift(20261), cfg), Drift(20262), 5, outlier_dims=[7, 31])
    steps = [0, 64, 512, 1000, 3000]
    revisions = []
    for step, w in zip(steps, series):
        tensors = {k: v.to(torch.float16) for k, v in w.items()}
        revisions.append((f"step{step}", {
            "config.json": (json.dumps(cfg, indent=2, sort_keys=True) + "\n").encode(),
            "model.safetensors": safetensors_bytes(tensors),
            "tokenizer.json": tok_bytes,
        }))
    write_hub_cache(os.path.join(out, "hub"), "models--heldout--neox", revisions, main_alias=True)
    manifest["runs"]["neox"] = {"family": "gpt_neox", "layout": "hub cache (symlinked blobs)", "dtype": "float16", "steps": steps,
                                "path": "hub/models--heldout--neox"}

    # GPT-2, Trainer checkpoint-N folders, torch.save zip, float32, tied -------------------------
    cfg = gpt2_config(vocab)
    series = trajectory(init_gpt2(Drift(777), cfg), Drift(778), 5, outlier_dims=[3, 22])
    steps = [250, 500, 750, 1000, 1500]
    P = cfg["n_positions"]
    for step, w in zip(steps, series):
        folder = os.path.join(out, "trainer-gpt2", f"checkpoint-{step}")
        os.makedirs(folder)
        sd = {k: v.to(torch.float32) for k, v in w.items()}
        for i in range(cfg["n_layer"]):  # buffers that transformers < 4.31 saved with the weights
            sd[f"transformer.h.{i}.attn.bias"] = torch.tril(torch.ones((P, P), dtype=torch.bool)).view(1, 1, P, P)
            sd[f"transformer.h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
        torch.save(sd, os.path.join(folder, "pytorch_model.bin"))  # zip format (torch >= 1.6)
        write_json(os.path.join(folder, "config.json"), cfg)
        write_json(os.path.join(folder, "trainer_state.json"), trainer_state(step, 50, 1500, step))
        with open(os.path.join(folder, "tokenizer.json"), "wb") as f:
            f.write(tok_bytes)
    manifest["runs"]["gpt2"] = {"family": "gpt2", "layout": "Trainer checkpoint-N", "dtype": "float32 (torch.save zip)", "steps": steps,
                                "path": "trainer-gpt2"}

    # Llama, step folders, bfloat16, one sharded -------------------------------------------------
    cfg = llama_config(vocab, "bfloat16")
    series = trajectory(init_llama(Drift(4242), cfg), Drift(4243), 5, outlier_dims=[11, 40])
    steps = [0, 100, 300, 1000, 3000]
    for step, w in zip(steps, series):
        folder = os.path.join(out, "steps-llama", f"step_{step}")
        os.makedirs(folder)
        tensors = {k: v.to(torch.bfloat16) for k, v in w.items()}
        if step == 1000:
            names = sorted(tensors)
            shards = [names[: len(names) // 2], names[len(names) // 2 :]]
            weight_map = {}
            total = 0
            for si, shard_names in enumerate(shards):
                fname = f"model-{si + 1:05d}-of-{len(shards):05d}.safetensors"
                with open(os.path.join(folder, fname), "wb") as f:
                    f.write(safetensors_bytes({n: tensors[n] for n in shard_names}))
                for n in shard_names:
                    weight_map[n] = fname
                    total += tensors[n].numel() * 2
            write_json(os.path.join(folder, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})
        else:
            with open(os.path.join(folder, "model.safetensors"), "wb") as f:
                f.write(safetensors_bytes(tensors))
        write_json(os.path.join(folder, "config.json"), cfg)
        with open(os.path.join(folder, "tokenizer.json"), "wb") as f:
            f.write(tok_bytes)
    manifest["runs"]["llama"] = {"family": "llama", "layout": "step_N folders", "dtype": "bfloat16 (step 1000 sharded)", "steps": steps,
                                 "path": "steps-llama"}

    # NaN/Inf series: Llama-shaped float32 step folders ------------------------------------------
    cfg = llama_config(vocab, "float32")
    cfg["num_hidden_layers"] = 1
    series = trajectory(init_llama(Drift(99), cfg), Drift(100), 4, outlier_dims=[])
    steps = [0, 10, 20, 30]
    bad_tensor, bad_step = "model.layers.0.mlp.down_proj.weight", 20
    injected = {"nan": 3, "posinf": 2, "neginf": 1}
    for step, w in zip(steps, series):
        folder = os.path.join(out, "steps-nan", f"step_{step}")
        os.makedirs(folder)
        tensors = {k: v.to(torch.float32) for k, v in w.items()}
        if step == bad_step:
            flat = tensors[bad_tensor].view(-1)
            flat[[5, 77, 1000]] = float("nan")
            flat[[9, 2001]] = float("inf")
            flat[[123]] = float("-inf")
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(safetensors_bytes(tensors))
        write_json(os.path.join(folder, "config.json"), cfg)
        with open(os.path.join(folder, "tokenizer.json"), "wb") as f:
            f.write(tok_bytes)
    manifest["runs"]["nan"] = {"family": "llama", "layout": "step_N folders", "dtype": "float32", "steps": steps, "path": "steps-nan",
                               "nonfinite": {"tensor": bad_tensor, "step": bad_step, **injected}}

    write_json(os.path.join(out, "manifest.json"), manifest)
    print(f"wrote {out} (tokenizer vocab {vocab})")


if __name__ == "__main__":
    main()
