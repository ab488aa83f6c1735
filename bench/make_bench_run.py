#!/usr/bin/python3
"""Make a synthetic GPT-NeoX-style checkpoint series for the weight-sweep benchmark.

Writes N step folders (step_0, step_1000, ...) under OUT, each with config.json and a float16
model.safetensors whose weights drift from a Gaussian init towards heavier tails, so every
statistic has work to do. Sizes default to a Pythia-70M-like model (d=512, 6 layers, V=50304).
Run with Debian's python3 (torch). Not used by the tests.
Usage: make_bench_run.py OUT [N_CKPT [D [LAYERS [VOCAB [HEADS]]]]]; with N_CKPT = 1 the one checkpoint
is written tensor by tensor (a 1.4B-shaped model without holding it in memory three times).
A tokenizer.json (the demo's) is copied beside each config.json so the model analyses can run.
"""
import json, math, os, shutil, struct, sys
import torch

def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": {torch.float16: "F16", torch.float32: "F32"}[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

def write_safetensors_streaming(path, shapes, make):
    """Header from the shapes, then each tensor made, converted and written one at a time."""
    header, offset = {}, 0
    for name, shape in shapes.items():
        n = 2 * math.prod(shape)
        header[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, shape in shapes.items():
            f.write(make(name, shape).to(torch.float16).contiguous().numpy().tobytes())

def copy_tokenizer(folder):
    here = os.path.dirname(os.path.abspath(__file__))
    snaps = os.path.join(here, "..", "resources", "demo", "hub", "models--atlas--atlas-demo-tiny", "snapshots")
    for snap in sorted(os.listdir(snaps)):
        src = os.path.join(snaps, snap, "tokenizer.json")
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(folder, "tokenizer.json"))
            return

def main(out, n_ckpt=20, d=512, layers=6, vocab=50304, heads=8):
    g = torch.Generator().manual_seed(0)
    shapes = {"gpt_neox.embed_in.weight": (vocab, d), "embed_out.weight": (vocab, d),
              "gpt_neox.final_layer_norm.weight": (d,), "gpt_neox.final_layer_norm.bias": (d,)}
    for i in range(layers):
        p = f"gpt_neox.layers.{i}."
        shapes.update({p + "input_layernorm.weight": (d,), p + "input_layernorm.bias": (d,),
                       p + "post_attention_layernorm.weight": (d,), p + "post_attention_layernorm.bias": (d,),
                       p + "attention.query_key_value.weight": (3 * d, d), p + "attention.query_key_value.bias": (3 * d,),
                       p + "attention.dense.weight": (d, d), p + "attention.dense.bias": (d,),
                       p + "mlp.dense_h_to_4h.weight": (4 * d, d), p + "mlp.dense_h_to_4h.bias": (4 * d,),
                       p + "mlp.dense_4h_to_h.weight": (d, 4 * d), p + "mlp.dense_4h_to_h.bias": (d,)})
    config = {"model_type": "gpt_neox", "architectures": ["GPTNeoXForCausalLM"], "hidden_size": d, "num_hidden_layers": layers,
              "num_attention_heads": heads, "intermediate_size": 4 * d, "vocab_size": vocab, "rotary_pct": 0.25, "rotary_emb_base": 10000,
              "max_position_embeddings": 2048, "layer_norm_eps": 1e-5, "use_parallel_residual": True, "hidden_act": "gelu",
              "tie_word_embeddings": False, "torch_dtype": "float16"}
    if n_ckpt == 1:
        folder = os.path.join(out, "step_0")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f)
        copy_tokenizer(folder)
        make = lambda k, s: torch.ones(s) if "layernorm.weight" in k else torch.randn(s, generator=g) * (0.02 if len(s) == 2 else 0.01)
        write_safetensors_streaming(os.path.join(folder, "model.safetensors"), shapes, make)
        print(out)
        return
    init = {k: (torch.ones(s) if "layernorm.weight" in k else torch.randn(s, generator=g) * (0.02 if len(s) == 2 else 0.0)) for k, s in shapes.items()}
    drift = {k: torch.randn(s, generator=g) for k, s in shapes.items()}
    heavy = {k: torch.distributions.StudentT(3.0).sample(s) * 0.01 for k, s in shapes.items()}
    for c in range(n_ckpt):
        step = c * 1000
        t = c / max(1, n_ckpt - 1)
        folder = os.path.join(out, f"step_{step}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f)
        copy_tokenizer(folder)
        tensors = {k: (init[k] + 0.01 * t * drift[k] + t * heavy[k]).to(torch.float16) for k in shapes}
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    print(out)

if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:]))
