#!/usr/bin/python3
"""Make a synthetic GPT-NeoX-style checkpoint series for the weight-sweep benchmark.

Writes N step folders (step_0, step_1000, ...) under OUT, each with config.json and a float16
model.safetensors whose weights drift from a Gaussian init towards heavier tails, so every
statistic has work to do. Sizes default to a Pythia-70M-like model (d=512, 6 layers, V=50304).
Run with Debian's python3 (torch). Not used by the tests.
"""
import json, os, struct, sys
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

def main(out, n_ckpt=20, d=512, layers=6, vocab=50304):
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
    init = {k: (torch.ones(s) if "layernorm.weight" in k else torch.randn(s, generator=g) * (0.02 if len(s) == 2 else 0.0)) for k, s in shapes.items()}
    drift = {k: torch.randn(s, generator=g) for k, s in shapes.items()}
    heavy = {k: torch.distributions.StudentT(3.0).sample(s) * 0.01 for k, s in shapes.items()}
    config = {"model_type": "gpt_neox", "architectures": ["GPTNeoXForCausalLM"], "hidden_size": d, "num_hidden_layers": layers,
              "num_attention_heads": 8, "intermediate_size": 4 * d, "vocab_size": vocab, "rotary_pct": 0.25, "rotary_emb_base": 10000,
              "max_position_embeddings": 2048, "layer_norm_eps": 1e-5, "use_parallel_residual": True, "hidden_act": "gelu",
              "tie_word_embeddings": False, "torch_dtype": "float16"}
    for c in range(n_ckpt):
        step = c * 1000
        t = c / max(1, n_ckpt - 1)
        folder = os.path.join(out, f"step_{step}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f)
        tensors = {k: (init[k] + 0.01 * t * drift[k] + t * heavy[k]).to(torch.float16) for k in shapes}
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    print(out)

if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:]))
