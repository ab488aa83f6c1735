"""Held-out validation of Checkpoint Atlas against PyTorch float64 (docs/VALIDATION.md).

1. make_series.py writes held-out checkpoint series (GPT-NeoX hub cache, GPT-2 Trainer folders,
   Llama step folders, a NaN/Inf step-folder series) into WORK/series;
2. the product's CLI scans them, analyses them (weights, spectra, embedding, svd-directions,
   activations, gradients) into a fresh cache and exports the export contract's files;
3. reference.py computes every number in float64 with torch / numpy / scipy from the stored values;
4. every exported number is compared with the acceptance tolerances, and one table per
   run (family / layout) and metric group is printed; every failure is listed. Exit 1 on failure.

Tolerances (issues "Weight analyses" and "Run the model"):
  norms, moments, distances           rel 1e-5
  singular values                     |s - s_ref| <= 1e-4 * s_max
  embedding correlation               abs 1e-5
  residual max|x|, std, rms           rel 1e-3
  loss                                abs 1e-3
  gradient norms (and total)          rel 1e-2
Groups without a stated criterion are checked with tolerances chosen here and marked (*):
  spectral scalars (spectral_norm, stable_rank, effective_rank) and power-law alpha / xmin / KS
  rel 1e-4; distribution fits: log-likelihoods rel 1e-6, KS abs 1e-5, Student-t nu rel 1e-3
  (not compared when both exceed 200: Gaussian tails, nu not identifiable); activation mean
  |d| <= 1e-3 * std, activation excess kurtosis rel 1e-2; MLP hidden activations like the
  residual; top-1 accuracy exact unless the reference's top-2 logit margin is below 1e-3 (then
  one prediction may differ); weight histograms identical counts on the exported edges;
  activation / gradient histograms: no element changes bin unless its float64 value lies within
  float32 rounding of an edge; SVD directions: singular values rel 1e-6, both token lists equal
  (possibly swapped: the sign is arbitrary), matches_final and closeness exact; role / block
  columns as FORMATS.md maps the names; exported checkpoints = the series' steps.
Relative errors use |exported - ref| / |ref|; where ref is 0 (dist_to_init at the earliest
checkpoint) the exported value must be 0 to 1e-12 absolute. A moment whose reference is tiny next
to the tensor's spread (a mean or skewness near 0) is compared relative to the scale that bounds
its conditioning: mean against std, skewness and kurtosis against 1 -- stated in the table.

NaN/Inf series: every exported number must be finite or empty; the tool must report the injected
counts for that tensor (analyze report and cache); quantities whose float64 reference is undefined
(NaN loss, NaN gradients, argmax over NaN logits, directions of a non-finite matrix and their
matches) must be exported empty, not as a number.

Advisory groups ("gap", not failing the run): things outside the export contract's numbers --
the per-tensor NaN/Inf count in scalars.csv, OV-circuit SVD directions for every family.

Usage: /usr/bin/python3 tools/heldout/compare.py [--work DIR] [--batch B] [--len L] [--reuse]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import reference  # noqa: E402
from bpe_tokenizer import bytes_to_unicode  # noqa: E402  (tools/ is on the path via reference)

CLI = [os.environ.get("NODE", "node"), os.path.join(ROOT, "bin", "checkpoint-atlas.mjs")]


def sh(args: List[str], log: str) -> str:
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    with open(log, "a") as f:
        f.write("$ " + " ".join(args) + "\n" + p.stdout + p.stderr + f"[exit {p.returncode}]\n")
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(args)}")
    return p.stdout + p.stderr


# ----------------------------------------------------------------------------------------------


class Group:
    """One line of the results table: a run and a metric group."""

    def __init__(self, run: str, name: str, tol: str):
        self.run, self.name, self.tol = run, name, tol
        self.count = 0
        self.max_rel = 0.0
        self.max_abs = 0.0
        self.failures: List[str] = []
        # advisory: outside the export contract; reported as "gap", does not fail the run
        self.advisory = False

    def add(self, ok: bool, rel: float, abs_err: float, what: str) -> None:
        self.count += 1
        if math.isfinite(rel):
            self.max_rel = max(self.max_rel, rel)
        if math.isfinite(abs_err):
            self.max_abs = max(self.max_abs, abs_err)
        if not ok:
            self.failures.append(what)


class Checker:
    def __init__(self):
        self.groups: Dict[Tuple[str, str], Group] = {}
        self.order: List[Tuple[str, str]] = []

    def group(self, run: str, name: str, tol: str) -> Group:
        key = (run, name)
        if key not in self.groups:
            self.groups[key] = Group(run, name, tol)
            self.order.append(key)
        return self.groups[key]

    def rel(self, run: str, name: str, tol: float, got: Optional[float], ref: Optional[float], what: str, scale: float = 0.0) -> None:
        """|got - ref| <= tol * max(|ref|, scale); both None (empty) also passes."""
        g = self.group(run, name, f"rel {tol:g}" + (" (vs scale)" if scale else ""))
        if ref is None or got is None:
            ok = ref is None and got is None
            g.add(ok, math.nan, math.nan, f"{what}: exported {got!r}, reference {ref!r}")
            return
        denom = max(abs(ref), scale)
        err = abs(got - ref)
        if denom == 0:
            ok, r = err <= 1e-12, (0.0 if err == 0 else math.inf)
        else:
            r = err / denom
            ok = r <= tol
        g.add(ok and math.isfinite(got), r, err, f"{what}: exported {got!r}, reference {ref!r}, rel err {r:.3g}")

    def absolute(self, run: str, name: str, tol: float, got: Optional[float], ref: Optional[float], what: str, label: str = "") -> None:
        g = self.group(run, name, label or f"abs {tol:g}")
        if ref is None or got is None:
            ok = ref is None and got is None
            g.add(ok, math.nan, math.nan, f"{what}: exported {got!r}, reference {ref!r}")
            return
        err = abs(got - ref)
        g.add(err <= tol and math.isfinite(got), math.nan, err, f"{what}: exported {got!r}, reference {ref!r}, abs err {err:.3g}")

    def flag(self, run: str, name: str, ok: bool, what: str, tol: str = "must hold") -> None:
        self.group(run, name, tol).add(ok, math.nan, math.nan, what)

    def table(self) -> Tuple[str, bool]:
        lines = ["| run (family, layout) | metric group | compared | max rel err | max abs err | tolerance | result |",
                 "|---|---|---:|---:|---:|---|---|"]
        all_ok = True
        for key in self.order:
            g = self.groups[key]
            ok = not g.failures
            all_ok &= ok or g.advisory
            verdict = "pass" if ok else (f"gap ({len(g.failures)})" if g.advisory else f"FAIL ({len(g.failures)})")
            lines.append(f"| {g.run} | {g.name} | {g.count} | {g.max_rel:.2e} | {g.max_abs:.2e} | {g.tol} | {verdict} |")
        return "\n".join(lines), all_ok


# ----------------------------------------------------------------------------------------------


def parse_float(s: str) -> Optional[float]:
    return None if s == "" else float(s)


def load_export(out_dir: str):
    scalars: Dict[Tuple[str, int, str, str], Optional[float]] = {}
    raw_values: List[str] = []
    roles: Dict[Tuple[str, str], set] = defaultdict(set)
    steps_of: Dict[str, set] = defaultdict(set)
    with open(os.path.join(out_dir, "scalars.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != ["run", "step", "checkpoint", "tensor", "role", "block", "metric", "value"]:
            raise SystemExit(f"scalars.csv header is {header}")
        for run, step, _ckpt, tensor, role, block, metric, value in reader:
            scalars[(run, int(step), tensor, metric)] = parse_float(value)
            raw_values.append(value)
            roles[(run, tensor)].add((role, block))
            steps_of[run].add(int(step))

    def jsonl(name: str, key: str):
        out = {}
        path = os.path.join(out_dir, name)
        if os.path.exists(path):
            for line in open(path):
                o = json.loads(line)
                out[(o["run"], int(o["step"]), o["tensor"]) if key == "tensor" else (o["run"], int(o["step"]), o["tensor"], o.get("kind"))] = o
        return out

    return (scalars, raw_values, jsonl("spectra.jsonl", "tensor"), jsonl("embedding_correlation.jsonl", "tensor"),
            jsonl("histograms.jsonl", "kind"), roles, steps_of)


NONFINITE_TOKEN = re.compile(r"\b(NaN|nan|Infinity|inf|Inf)\b")


def export_files_nonfinite(out_dir: str) -> List[str]:
    """Every export file scanned for non-finite number spellings (JSON NaN/Infinity, CSV nan/inf)."""
    bad = []
    for name in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, name)
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                if name.endswith(".jsonl"):
                    # only values: json.loads rejects nothing here, so parse with a strict constant hook
                    try:
                        json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
                    except ValueError as e:
                        bad.append(f"{name}:{lineno}: {e}")
                elif name.endswith(".csv") and lineno > 1:
                    value = line.rstrip("\n").rsplit(",", 1)[-1]
                    if value and not math.isfinite(float(value)):
                        bad.append(f"{name}:{lineno}: {value}")
    return bad


def cache_nonfinite(db: str, run_id: str) -> Dict[Tuple[int, str], float]:
    """{(step, tensor): nonfinite_count} from the cache, read with better-sqlite3 (the driver, not
    the app's store), joined to the steps the export gives each checkpoint id."""
    script = (
        "const D=require('better-sqlite3');"
        f"const db=new D({json.dumps(db)},{{readonly:true}});"
        "console.log(JSON.stringify(db.prepare(\"select checkpoint_id, tensor, value from scalars where metric='nonfinite_count' and run_id=?\")"
        f".all({json.dumps(run_id)})));"
    )
    p = subprocess.run([CLI[0], "-e", script], cwd=ROOT, capture_output=True, text=True, check=True)
    step_of = {}
    with open(os.path.join(os.path.dirname(db), "export", "scalars.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["run"] == run_id:
                step_of[row["checkpoint"]] = int(row["step"])
    return {(step_of[r["checkpoint_id"]], r["tensor"]): r["value"] for r in json.loads(p.stdout) if r["checkpoint_id"] in step_of}


def gpt2_char_to_byte() -> dict:
    """GPT-2's bytes_to_unicode table (tools/bpe_tokenizer.py), inverted: piece characters -> bytes."""
    return {c: b for b, c in bytes_to_unicode().items()}


def shown_token(decoded: str, piece: Optional[str], byte_level: bool, char_to_byte: dict) -> str:
    """As the SVD-direction tables show a token: its decoded text, except that a token which is
    not whole UTF-8 characters (decodes to U+FFFD) shows its bytes the way Python's
    backslashreplace writes them (byte-level BPE), or its vocabulary piece (other tokenizers)."""
    if "\ufffd" not in decoded or piece is None:
        return decoded
    if not byte_level:
        return piece
    if any(ch not in char_to_byte for ch in piece):
        return decoded
    return bytes(char_to_byte[ch] for ch in piece).decode("utf-8", "backslashreplace")


def token_strings(tokenizer_json: str) -> List[str]:
    """Every id as the SVD-direction tables show it: decoded alone by @huggingface/tokenizers
    (specials kept, no clean-up), partial UTF-8 characters shown by shown_token."""
    decoded = node_token_strings(tokenizer_json)
    with open(tokenizer_json, encoding="utf-8") as f:
        tj = json.load(f)
    piece_of = {}
    vocab = tj["model"].get("vocab")
    if isinstance(vocab, dict):
        piece_of.update({i: p for p, i in vocab.items()})
    elif isinstance(vocab, list):
        piece_of.update({i: p[0] for i, p in enumerate(vocab)})
    for t in tj.get("added_tokens") or []:
        piece_of[t["id"]] = t["content"]
    dec = tj.get("decoder") or {}
    byte_level = dec.get("type") == "ByteLevel" or (dec.get("type") == "Sequence" and any(d.get("type") == "ByteLevel" for d in dec.get("decoders", [])))
    table = gpt2_char_to_byte()
    return [shown_token(d, piece_of.get(i), byte_level, table) for i, d in enumerate(decoded)]


def node_token_strings(tokenizer_json: str) -> List[str]:
    """Every id decoded alone by @huggingface/tokenizers (specials kept, no clean-up)."""
    script = (
        "import('@huggingface/tokenizers').then(({Tokenizer})=>{const fs=require('fs');"
        f"const j=JSON.parse(fs.readFileSync({json.dumps(tokenizer_json)},'utf8'));const t=new Tokenizer(j,{{}});"
        "let n=0;for(const id of t.get_vocab(true).values()) n=Math.max(n,id+1);const out=[];"
        "for(let i=0;i<n;i++) out.push(t.decode([i],{skip_special_tokens:false,clean_up_tokenization_spaces:false}));"
        "console.log(JSON.stringify(out));})"
    )
    p = subprocess.run([CLI[0], "-e", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def compare_svd_directions(ck: Checker, label: str, run_id: str, ref: dict, svd_export, strings: List[str]) -> None:
    """SVD directions (*): per block / component / head, the number of directions, each singular
    value (rel 1e-6), the two token lists (top of U u and of U (-u); a singular vector's sign is
    arbitrary, so the pair may come swapped) and matches_final recomputed from the reference ids
    with the tool's sign choice for the final checkpoint's direction. Ids at or above the
    tokenizer's size (padded embedding rows) are shown as "<id>"."""
    name = lambda i: strings[i] if i < len(strings) else f"<{i}>"
    steps = sorted(int(s) for s in ref["steps"])
    final_step = steps[-1]
    final_ref = {(d["component"], d["block"], d["head"], d["index"]): d for d in ref["steps"][final_step]["svd_directions"]} \
        if "svd_directions" in ref["steps"][final_step] else {}
    final_exp = {(d["component"], d["block"], d["head"], d["index"]): d for d in svd_export.get((run_id, final_step), {}).get("directions", [])}

    def orientation(exp: dict, r: dict) -> Optional[bool]:
        top, bottom = [name(i) for i in r["top"]], [name(i) for i in r["bottom"]]
        if exp["tokens"] == top and exp["neg_tokens"] == bottom:
            return True
        if exp["tokens"] == bottom and exp["neg_tokens"] == top:
            return False
        return None

    for step in steps:
        entry = ref["steps"][step]
        record = svd_export.get((run_id, step), {})
        if "svd_directions" not in entry:
            # a checkpoint whose weights hold NaN/Inf: its directions (of the non-finite tensor) are
            # undefined, so are their matches and the block's closeness -- empty, not a number
            for d in record.get("directions", []):
                if d["component"] == "mlp.out" and any(t.endswith("mlp.down_proj.weight") or "dense_4h_to_h" in t or "c_proj" in t
                                                       for t in entry["nonfinite"]):
                    undefined = d["singular_value"] is None
                    ck.flag(label, "NaN/Inf handling", not undefined or d.get("matches_final") is None,
                            f"step {step} {d['component']} block {d['block']} #{d['index']}: undefined direction (no singular value, no tokens) "
                            f"exported with matches_final = {d.get('matches_final')!r}")
            for b, v in (record.get("closeness_per_block") or {}).items():
                ck.flag(label, "NaN/Inf handling", v is None, f"step {step}: closeness_per_block[{b}] = {v!r} from undefined directions")
            continue
        exported = {(d["component"], d["block"], d["head"], d["index"]): d for d in record.get("directions", [])}
        per_block: Dict[int, List[int]] = defaultdict(list)
        ref_dirs = {(d["component"], d["block"], d["head"], d["index"]): d for d in entry["svd_directions"]}
        for component in ("mlp.out", "attn.ov"):
            want = {k for k in ref_dirs if k[0] == component}
            have = {k for k in exported if k[0] == component}
            group = "SVD directions: OV circuits present (advisory)" if component == "attn.ov" else "SVD directions (*)"
            ck.flag(label, group, want == have, f"step {step} {component}: {len(have)} directions exported, reference {len(want)}", tol="all directions")
            if component == "attn.ov":
                ck.groups[(label, group)].advisory = True
        for key, r in ref_dirs.items():
            e = exported.get(key)
            if e is None:
                continue
            what = f"step {step} {key[0]} block {key[1]} head {key[2]} #{key[3]}"
            ck.rel(label, "SVD directions (*)", 1e-6, e["singular_value"], r["singular_value"], f"{what} singular value")
            ck.groups[(label, "SVD directions (*)")].tol = "s rel 1e-6; token lists equal; matches exact"
            o = orientation(e, r)
            ck.flag(label, "SVD directions (*)", o is not None,
                    f"{what}: tokens {e['tokens'][:6]}... / {e['neg_tokens'][:6]}..., reference {[name(i) for i in r['top'][:6]]}... / {[name(i) for i in r['bottom'][:6]]}...")
            fr, fe = final_ref.get(key), final_exp.get(key)
            if o is None or fr is None or fe is None or "matches_final" not in e:
                continue
            fo = orientation(fe, fr)
            if fo is None:
                continue
            final_top = set(fr["top"] if fo else fr["bottom"])
            expect = max(len(set(r["top"]) & final_top), len(set(r["bottom"]) & final_top))
            ck.absolute(label, "SVD directions (*)", 0, e["matches_final"], expect, f"{what} matches_final")
            per_block[key[1]].append(expect)
        # closeness to final: mean matches per block (over every exported direction of the block), and their mean
        if per_block and len(per_block) == len(record.get("closeness_per_block") or {}):
            means = {b: sum(v) / len(v) for b, v in per_block.items()}
            for b, m in means.items():
                ck.rel(label, "SVD directions (*)", 1e-12, (record["closeness_per_block"] or {}).get(str(b)), m, f"step {step} closeness_per_block[{b}]")
            ck.rel(label, "SVD directions (*)", 1e-12, record.get("closeness_mean"), sum(means.values()) / len(means), f"step {step} closeness_mean")


def node_token_ids(tokenizer_json: str, n: int) -> List[int]:
    """The probe's first n ids from @huggingface/tokenizers (the library the tool uses), called
    directly, importing nothing from the app."""
    script = (
        "import('@huggingface/tokenizers').then(({Tokenizer})=>{const fs=require('fs');"
        f"const t=new Tokenizer(JSON.parse(fs.readFileSync({json.dumps(tokenizer_json)},'utf8')),{{}});"
        f"const ids=t.encode(fs.readFileSync({json.dumps(reference.PROBE_TEXT)},'utf8'),{{add_special_tokens:false}}).ids;"
        f"console.log(JSON.stringify(ids.slice(0,{n})));}})"
    )
    p = subprocess.run([CLI[0], "-e", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


# ----------------------------------------------------------------------------------------------


WEIGHT_GROUPS = {
    "norms": ["frobenius_norm"],
    "moments": ["mean", "std", "min", "max", "absmax", "skewness", "excess_kurtosis"],
    "distances": ["dist_to_init", "rel_dist_to_init", "cos_to_init", "dist_to_prev"],
}


def compare_run(ck: Checker, label: str, run_id: str, ref: dict, scalars, spectra, embeds, manifest_run: dict, analyze_log: str,
                cache_counts: Dict[Tuple[int, str], float]) -> None:
    cfg = ref["config"]
    nonfinite_info = manifest_run.get("nonfinite")
    for step_s, entry in ref["steps"].items():
        step = int(step_s)
        bad_ckpt = bool(entry["nonfinite"])
        # weights ---------------------------------------------------------------------------
        for tensor, metrics in entry["weights"].items():
            std = metrics["std"] or 0.0
            for group, names in WEIGHT_GROUPS.items():
                for m in names:
                    key = (run_id, step, tensor, m)
                    what = f"step {step} {tensor} {m}"
                    if key not in scalars:
                        # a number that does not exist (dist_to_prev of the first checkpoint) may be
                        # an empty value or no row at all
                        ck.flag(label, f"weights: {group}", metrics[m] is None, f"{what}: missing from scalars.csv")
                        continue
                    if m == "mean":
                        ck.rel(label, "weights: moments (mean vs std)", 1e-5, scalars[key], metrics[m], what, scale=std)
                    elif m in ("skewness", "excess_kurtosis"):
                        ck.rel(label, "weights: moments (skew/kurt vs 1)", 1e-5, scalars[key], metrics[m], what, scale=1.0)
                    else:
                        ck.rel(label, f"weights: {group}", 1e-5, scalars[key], metrics[m], what)
            if tensor in entry["spectra"]:
                s_ref = entry["spectra"][tensor]
                o = spectra.get((run_id, step, tensor))
                if o is None:
                    ck.flag(label, "singular values", False, f"step {step} {tensor}: missing from spectra.jsonl")
                else:
                    s = o["singular_values"]
                    if len(s) != len(s_ref):
                        ck.flag(label, "singular values", False, f"step {step} {tensor}: {len(s)} values, reference {len(s_ref)}")
                    else:
                        smax = s_ref[0]
                        for i, (a, b) in enumerate(zip(s, s_ref)):
                            ck.absolute(label, "singular values", 1e-4 * smax, a, b, f"step {step} {tensor} s[{i}]", label="abs(d) <= 1e-4 s_max")
                for m in ("spectral_norm", "stable_rank", "effective_rank", "alpha", "alpha_xmin", "alpha_ks"):
                    group = "spectral scalars (*)" if not m.startswith("alpha") else "power-law alpha, xmin, KS (*)"
                    key = (run_id, step, tensor, m)
                    if key not in scalars:
                        ck.flag(label, group, False, f"step {step} {tensor} {m}: missing")
                    else:
                        ck.rel(label, group, 1e-4, scalars[key], metrics[m], f"step {step} {tensor} {m}")
            elif tensor in entry["nonfinite"]:
                # a tensor with NaN/Inf has no defined spectrum: nothing (or empty) may be exported
                o = spectra.get((run_id, step, tensor))
                ck.flag(label, "NaN/Inf handling", o is None or not o.get("singular_values"),
                        f"step {step} {tensor}: spectrum of a non-finite tensor exported: {str(o)[:120]}")
        # distribution fits (*) ------------------------------------------------------------
        for tensor, metrics in entry["weights"].items():
            if "gaussian_ks" not in metrics:
                continue
            group = "distribution fits (*)"
            ck.group(label, group, "loglik rel 1e-6, KS abs 1e-5, nu rel 1e-3")
            for m in ("gaussian_loglik", "logistic_loglik", "student_t_loglik"):
                key = (run_id, step, tensor, m)
                if key not in scalars:
                    ck.flag(label, group, metrics[m] is None, f"step {step} {tensor} {m}: missing")
                else:
                    ck.rel(label, group, 1e-6, scalars[key], metrics[m], f"step {step} {tensor} {m}", scale=1.0)
            for m in ("gaussian_ks", "logistic_ks", "student_t_ks"):
                key = (run_id, step, tensor, m)
                if key not in scalars:
                    ck.flag(label, group, metrics[m] is None, f"step {step} {tensor} {m}: missing")
                else:
                    ck.absolute(label, group, 1e-5, scalars[key], metrics[m], f"step {step} {tensor} {m}", label="loglik rel 1e-6, KS abs 1e-5, nu rel 1e-3")
            key = (run_id, step, tensor, "student_t_nu")
            ref_nu = metrics["student_t_nu"]
            if key not in scalars:
                ck.flag(label, group, ref_nu is None, f"step {step} {tensor} student_t_nu: missing")
            elif ref_nu is not None and ref_nu > 200 and scalars[key] is not None and scalars[key] > 200:
                # Gaussian-like tails: the likelihood is flat in nu, which is not identifiable
                ck.flag(label, group, True, "")
            else:
                ck.rel(label, group, 1e-3, scalars[key], ref_nu, f"step {step} {tensor} student_t_nu")
        # non-finite counts reported per tensor ---------------------------------------------------
        for tensor, nf in entry["nonfinite"].items():
            pattern = f"{tensor}: {nf['nan']} NaN, {nf['posinf']} +Inf, {nf['neginf']} -Inf"
            ck.flag(label, "NaN/Inf handling", pattern in analyze_log, f"step {step} {tensor}: the analyze report does not say '{pattern}'")
            if nonfinite_info:
                expect = (nonfinite_info["nan"], nonfinite_info["posinf"], nonfinite_info["neginf"])
                ck.flag(label, "NaN/Inf handling", expect == (nf["nan"], nf["posinf"], nf["neginf"]), f"reference counts {nf} != injected {expect}")
            total = nf["nan"] + nf["posinf"] + nf["neginf"]
            ck.flag(label, "NaN/Inf count per tensor in the cache", cache_counts.get((step, tensor)) == total,
                    f"step {step} {tensor}: cache nonfinite_count {cache_counts.get((step, tensor))}, reference {total}", tol="equal")
            has_count = any(k[0] == run_id and k[1] == step and k[2] == tensor and "nonfinite" in k[3] for k in scalars)
            ck.flag(label, "NaN/Inf count per tensor in scalars.csv (advisory)", has_count,
                    f"step {step} {tensor}: no per-tensor NaN/Inf count in scalars.csv (the analyze log and the cache have it)", tol="reported")
            ck.groups[(label, "NaN/Inf count per tensor in scalars.csv (advisory)")].advisory = True
        for (c_step, c_tensor), c in cache_counts.items():
            if c_step == step and c and c_tensor not in entry["nonfinite"]:
                ck.flag(label, "NaN/Inf count per tensor in the cache", False, f"step {step} {c_tensor}: cache counts {c} non-finite, reference none")
        # embedding correlation -------------------------------------------------------------
        emb = entry["embedding"]
        o = embeds.get((run_id, step, emb["tensor"]))
        ck.group(label, "embedding correlation", "abs 1e-05")
        if o is None:
            ck.flag(label, "embedding correlation", False, f"step {step} {emb['tensor']}: missing from embedding_correlation.jsonl")
        else:
            ck.flag(label, "embedding correlation", list(o["rows"]) == emb["rows"], f"step {step}: rows {o['rows']} != {emb['rows']}")
            if len(o["matrix"]) != len(emb["matrix"]):
                ck.flag(label, "embedding correlation", False, f"step {step}: {len(o['matrix'])} entries, reference {len(emb['matrix'])}")
            else:
                worst_i, worst = 0, -1.0
                g = ck.group(label, "embedding correlation", "abs 1e-05")
                for i, (a, b) in enumerate(zip(o["matrix"], emb["matrix"])):
                    err = abs(a - b) if a is not None else math.inf
                    g.count += 1
                    if err > worst:
                        worst, worst_i = err, i
                g.max_abs = max(g.max_abs, worst)
                if not worst <= 1e-5:
                    n = emb["rows"][1] - emb["rows"][0]
                    g.failures.append(f"step {step}: corr[{worst_i // n},{worst_i % n}] exported {o['matrix'][worst_i]}, reference {emb['matrix'][worst_i]}")
        # model: activations, probe, gradients -------------------------------------------------
        model = entry["model"]
        for tensor, stats in model["activations"].items():
            for m in ("max_abs", "std", "rms", "mean", "excess_kurtosis"):
                key = (run_id, step, tensor, m)
                what = f"step {step} {tensor} {m}"
                ref_v = stats[m] if stats["count"] > 0 else None
                if key not in scalars:
                    ck.flag(label, "activations: presence", False, f"{what}: missing from scalars.csv")
                    continue
                kind = "MLP hidden act. (*)" if tensor.startswith("mlp.") else "residual"
                if m in ("max_abs", "std", "rms"):
                    ck.rel(label, f"{kind} max abs(x), std, rms", 1e-3, scalars[key], ref_v, what)
                elif m == "mean":
                    ck.rel(label, f"{kind} mean (*, vs std)", 1e-3, scalars[key], ref_v, what, scale=stats["std"] or 0.0)
                else:
                    ck.rel(label, f"{kind} excess kurtosis (*)", 1e-2, scalars[key], ref_v, what, scale=1.0)
        probe = model["probe"]
        key = (run_id, step, "probe", "loss")
        if key not in scalars:
            ck.flag(label, "loss", False, f"step {step}: loss missing")
        else:
            ck.absolute(label, "loss", 1e-3, scalars[key], probe["loss"], f"step {step} loss")
        key = (run_id, step, "probe", "top1_accuracy")
        if key not in scalars:
            ck.flag(label, "top-1 accuracy (*)", False, f"step {step}: top1_accuracy missing")
        else:
            near_tie = model["min_top1_margin"] is not None and model["min_top1_margin"] < 1e-3
            tol = (1.0 / model["n_predictions"] if near_tie else 0.0) + 1e-12
            ck.absolute(label, "top-1 accuracy (*)", tol, scalars[key], probe["top1_accuracy"], f"step {step} top1_accuracy",
                        label="exact (1 flip if margin < 1e-3)")
        key = (run_id, step, "probe", "grad_total_norm")
        if key not in scalars:
            ck.flag(label, "gradient norms", False, f"step {step}: grad_total_norm missing")
        else:
            ck.rel(label, "gradient norms", 1e-2, scalars[key], probe["grad_total_norm"], f"step {step} grad_total_norm")
        for tensor, gn in model["grads"].items():
            key = (run_id, step, tensor, "grad_norm")
            if key not in scalars:
                ck.flag(label, "gradient norms", False, f"step {step} {tensor}: grad_norm missing")
            else:
                ck.rel(label, "gradient norms", 1e-2, scalars[key], gn, f"step {step} {tensor} grad_norm")


def torch_isfinite(t):
    return reference.torch.isfinite(t.reshape(-1))


# FORMATS.md's name -> (role, block) tables, written out independently of main/architectures
ROLE_PATTERNS = {
    "gpt_neox": [(r"gpt_neox\.embed_in\.weight", "embed", "embed"), (r"embed_out\.weight", "unembed", "unembed"),
                 (r"gpt_neox\.final_layer_norm\.(weight|bias)", "ln.final", "final"),
                 (r"gpt_neox\.layers\.(\d+)\.input_layernorm\.", "ln.attn", None),
                 (r"gpt_neox\.layers\.(\d+)\.post_attention_layernorm\.", "ln.mlp", None),
                 (r"gpt_neox\.layers\.(\d+)\.attention\.query_key_value\.", "attn.qkv", None),
                 (r"gpt_neox\.layers\.(\d+)\.attention\.dense\.", "attn.out", None),
                 (r"gpt_neox\.layers\.(\d+)\.mlp\.dense_h_to_4h\.", "mlp.in", None),
                 (r"gpt_neox\.layers\.(\d+)\.mlp\.dense_4h_to_h\.", "mlp.out", None)],
    "gpt2": [(r"transformer\.wte\.weight", "embed", "embed"), (r"transformer\.wpe\.weight", None, "embed"),
             (r"transformer\.ln_f\.", "ln.final", "final"), (r"transformer\.h\.(\d+)\.ln_1\.", "ln.attn", None),
             (r"transformer\.h\.(\d+)\.ln_2\.", "ln.mlp", None), (r"transformer\.h\.(\d+)\.attn\.c_attn\.", "attn.qkv", None),
             (r"transformer\.h\.(\d+)\.attn\.c_proj\.", "attn.out", None), (r"transformer\.h\.(\d+)\.mlp\.c_fc\.", "mlp.in", None),
             (r"transformer\.h\.(\d+)\.mlp\.c_proj\.", "mlp.out", None)],
    "llama": [(r"model\.embed_tokens\.weight", "embed", "embed"), (r"lm_head\.weight", "unembed", "unembed"),
              (r"model\.norm\.weight", "ln.final", "final"), (r"model\.layers\.(\d+)\.input_layernorm\.", "ln.attn", None),
              (r"model\.layers\.(\d+)\.post_attention_layernorm\.", "ln.mlp", None),
              (r"model\.layers\.(\d+)\.self_attn\.q_proj\.", "attn.q", None), (r"model\.layers\.(\d+)\.self_attn\.k_proj\.", "attn.k", None),
              (r"model\.layers\.(\d+)\.self_attn\.v_proj\.", "attn.v", None), (r"model\.layers\.(\d+)\.self_attn\.o_proj\.", "attn.out", None),
              (r"model\.layers\.(\d+)\.mlp\.gate_proj\.", "mlp.gate", None), (r"model\.layers\.(\d+)\.mlp\.up_proj\.", "mlp.in", None),
              (r"model\.layers\.(\d+)\.mlp\.down_proj\.", "mlp.out", None)],
}


def expected_role(family: str, tensor: str) -> Optional[Tuple[Optional[str], str]]:
    m = re.match(r"resid\.(\d+)$", tensor)
    if m:
        return ("resid", "embed" if m.group(1) == "0" else str(int(m.group(1)) - 1))
    if tensor == "final_norm":
        return ("resid", "final")
    m = re.match(r"mlp\.(\d+)$", tensor)
    if m:
        return (None, m.group(1))
    for pattern, role, block in ROLE_PATTERNS[family]:
        m = re.match(pattern, tensor)
        if m:
            return (role, block if block is not None else m.group(1))
    return None


def compare_roles(ck: Checker, label: str, run_id: str, ref: dict, roles, steps_of) -> None:
    """Each exported tensor's role/block columns against FORMATS.md (None role: not named there,
    only the block is checked), and the exported checkpoints against the series' steps (a hub
    `main` ref aliasing the last revision must not add a checkpoint)."""
    family = ref["config"]["model_type"]
    ck.flag(label, "checkpoints exported = series steps", steps_of.get(run_id, set()) == {int(s) for s in ref["steps"]},
            f"exported steps {sorted(steps_of.get(run_id, set()))}, series {sorted(int(s) for s in ref['steps'])}", tol="equal")
    for (r, tensor), seen in sorted(roles.items()):
        if r != run_id or tensor == "probe":
            continue
        exp = expected_role(family, tensor)
        ok = exp is not None and len(seen) == 1 and all((exp[0] is None or role == exp[0]) and block == exp[1] for role, block in seen)
        ck.flag(label, "role / block columns (FORMATS.md)", ok, f"{tensor}: exported {sorted(seen)}, expected {exp}", tol="equal")


def ambiguous_count(values, edges) -> int:
    v = values.reshape(-1).numpy()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0
    e = np.asarray(edges, dtype=np.float64)
    idx = np.clip(np.searchsorted(e, v), 1, len(e) - 1)
    dist = np.minimum(np.abs(v - e[idx - 1]), np.abs(v - e[idx]))
    delta = 1e-5 * np.abs(v) + 1e-6 * np.abs(v).max()
    return int((dist <= delta).sum())


def reference_counts(values, edges) -> Tuple[List[int], int, int]:
    """np.histogram on the exported edges (bins [e_i, e_i+1), the last closed), finite values only."""
    v = values.reshape(-1).numpy()
    v = v[np.isfinite(v)]
    e = np.asarray(edges, dtype=np.float64)
    inside = v[(v >= e[0]) & (v <= e[-1])]
    return np.histogram(inside, bins=e)[0].tolist(), int((v < e[0]).sum()), int((v > e[-1]).sum())


def compare_histograms(ck: Checker, label: str, run_id: str, ref: dict, hists) -> None:
    """Weight histograms: the bins are the same at every checkpoint of a tensor, and the counts
    equal numpy's on the float64 values exactly. Activation / gradient histograms: the tool's
    float32 values are binned, so a value within rounding of an edge may change bin; the fraction
    of elements counted differently must stay below 1e-3 (*)."""
    edges_seen: Dict[str, list] = {}
    for step_s, entry in ref["steps"].items():
        step = int(step_s)
        for tensor, w in entry["weight_values"].items():
            o = hists.get((run_id, step, tensor, "weight"))
            if o is None:
                ck.flag(label, "weight histograms (fixed bins, exact counts)", False, f"step {step} {tensor}: no weight histogram")
                continue
            if tensor in edges_seen and edges_seen[tensor] != o["edges"]:
                ck.flag(label, "weight histograms (fixed bins, exact counts)", False, f"step {step} {tensor}: bins differ from the first checkpoint's")
            edges_seen.setdefault(tensor, o["edges"])
            counts, under, over = reference_counts(w, o["edges"])
            diff = sum(abs(a - b) for a, b in zip(counts, o["counts"])) + abs(under - o["underflow"]) + abs(over - o["overflow"])
            ck.absolute(label, "weight histograms (fixed bins, exact counts)", 0, diff, 0,
                        f"step {step} {tensor}: counts differ by {diff} elements", label="identical counts")
        model = entry["model"]
        for kind, values in (("resid", model["act_values"]), ("grad", model["grad_values"])):
            for tensor, v in values.items():
                o = hists.get((run_id, step, tensor, kind))
                name = "activation histograms (*)" if kind == "resid" else "gradient histograms (*)"
                if o is None:
                    ck.flag(label, name, False, f"step {step} {tensor}: no {kind} histogram")
                    continue
                counts, under, over = reference_counts(v, o["edges"])
                diff = sum(abs(a - b) for a, b in zip(counts, o["counts"])) + abs(under - o["underflow"]) + abs(over - o["overflow"])
                n = max(1, v.numel())
                # The tool bins float32 values: an element whose float64 value lies within float32
                # rounding of a bin edge may land on either side (each such element can move two
                # counts). Rounding allowed: 1e-5 relative plus 1e-6 of the tensor's max |x|
                # (accumulation noise; it also covers elements that are zero in exact arithmetic,
                # such as the key part of a QKV bias gradient, which come out as 1e-12..1e-10
                # noise in float32 and ~1e-18 in float64).
                n_amb = ambiguous_count(v, o["edges"])
                rebinned = max(0, diff - 2 * n_amb)
                ck.absolute(label, name, 0, rebinned, 0,
                            f"step {step} {tensor}: {diff} of {n} counts differ, only {n_amb} elements lie within float32 rounding of an edge",
                            label="no element rebinned beyond float32 rounding of an edge")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/atlas-heldout")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--len", type=int, default=48, dest="seq_len")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="keep WORK/series and WORK/export from a previous run")
    ap.add_argument("--tokenizer", help="tokenizer.json to build the series with (default: one trained by make_series.py)")
    ap.add_argument("--no-fits", action="store_true", help="skip the distribution-fit reference (the slowest part, ~4 min)")
    ap.add_argument("--table", help="also write the results table (markdown) to this file")
    args = ap.parse_args()

    work = os.path.abspath(args.work)
    series = os.path.join(work, "series")
    out_dir = os.path.join(work, "export")
    db = os.path.join(work, "atlas.db")
    log = os.path.join(work, "cli.log")
    os.makedirs(work, exist_ok=True)
    if not args.reuse:
        for p in (log, db, db + "-wal", db + "-shm"):
            if os.path.exists(p):
                os.remove(p)
        subprocess.run([sys.executable, os.path.join(HERE, "make_series.py"), series] + (["--tokenizer", args.tokenizer] if args.tokenizer else []), check=True)
    manifest = json.load(open(os.path.join(series, "manifest.json")))
    paths = {name: os.path.join(series, run["path"]) for name, run in manifest["runs"].items()}

    # run ids from `scan` (root path -> id)
    scan = sh(CLI + ["scan"] + list(paths.values()), log)
    ids: Dict[str, str] = {}
    current = None
    for line in scan.splitlines():
        m = re.match(r"Run .* id ([0-9a-f]+)\s*$", line)
        if m:
            current = m.group(1)
        m = re.match(r"\s+root: (.*)$", line)
        if m and current:
            ids[os.path.realpath(m.group(1))] = current
    run_ids = {name: ids.get(os.path.realpath(p)) for name, p in paths.items()}
    missing = [n for n, i in run_ids.items() if i is None]
    if missing:
        raise SystemExit(f"scan did not list runs {missing}:\n{scan}")

    if not args.reuse:
        sh(CLI + ["analyze"] + list(paths.values()) + ["--db", db, "--analyses", "weights,fits,spectra,embedding,svd-directions,activations,gradients",
                                                       "--threads", str(args.threads), "--probe-batch", str(args.batch),
                                                       "--probe-len", str(args.seq_len)], log)
        sh(CLI + ["export", "--db", db, "--out", out_dir], log)
    analyze_log = open(log).read()
    scalars, raw_values, spectra, embeds, hists, roles, steps_of = load_export(out_dir)
    svd_export = {}
    for line in open(os.path.join(out_dir, "svd_directions.jsonl")):
        o = json.loads(line)
        svd_export[(o["run"], int(o["step"]))] = o

    ck = Checker()
    # the probe batch: our encoder vs the tokenizer library the tool uses
    tok_path = os.path.join(series, "tokenizer.json")
    n = args.batch * args.seq_len
    ours = reference.probe_ids(tok_path, args.batch, args.seq_len).reshape(-1).tolist()
    theirs = node_token_ids(tok_path, n)
    ck.flag("all", "probe token ids (ours == @huggingface/tokenizers)", ours == theirs,
            f"first difference at {next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)}")
    ck.groups[("all", "probe token ids (ours == @huggingface/tokenizers)")].count = n
    token_strs = token_strings(tok_path)

    bad = export_files_nonfinite(out_dir)
    g = ck.group("all", "export files: every number finite or empty", "must hold")
    g.count = len(raw_values)
    g.failures.extend(bad[:20])

    details = []
    sens: List[Tuple[str, dict]] = []
    for name, run in manifest["runs"].items():
        label = f"{name} ({run['family']}, {run['layout']}, {run['dtype']})"
        print(f"reference: {label} ...", file=sys.stderr)
        ref = reference.reference_run(series, run, args.batch, args.seq_len, keep_values=True, with_fits=not args.no_fits, with_svd=True)
        compare_run(ck, label, run_ids[name], ref, scalars, spectra, embeds, run, analyze_log, cache_nonfinite(db, run_ids[name]))
        compare_histograms(ck, label, run_ids[name], ref, hists)
        compare_roles(ck, label, run_ids[name], ref, roles, steps_of)
        compare_svd_directions(ck, label, run_ids[name], ref, svd_export, token_strs)
        details.append((label, run_ids[name]))
        for v in ref.get("sensitivity", []):
            sens.append((label, v))

    table, ok = ck.table()
    print()
    print(f"tokenizer: {manifest.get('tokenizer_source')} (vocab {manifest['tokenizer_vocab']})")
    print(f"probe batch B={args.batch} L={args.seq_len}; runs: " + "; ".join(f"{l} = {i}" for l, i in details))
    print(table)
    sens_lines = ["| run | deliberately wrong forward variant | loss change | last resid std change (rel) | caught by the tolerances (loss abs 1e-3, std rel 1e-3) | distinguishable from the measured tool error (> 10x) |",
                  "|---|---|---:|---:|---|---|"]
    for label, v in sens:
        caught = v["dloss"] > 1e-3 or v["rel_dstd"] > 1e-3
        measured_loss = ck.groups[(label, "loss")].max_abs if (label, "loss") in ck.groups else math.inf
        measured_std = ck.groups[(label, "residual max abs(x), std, rms")].max_rel if (label, "residual max abs(x), std, rms") in ck.groups else math.inf
        seen = v["dloss"] > 10 * measured_loss or v["rel_dstd"] > 10 * measured_std
        sens_lines.append(f"| {label.split(' (')[0]} | {v['variant']} | {v['dloss']:.3g} | {v['rel_dstd']:.3g} | {'yes' if caught else 'no'} | "
                          f"{'yes' if seen else 'NO'} (tool: loss {measured_loss:.2g}, std {measured_std:.2g}) |")
    sens_table = "\n".join(sens_lines)
    print("\nDiscriminating power (last checkpoint of each run, reference forward with one convention changed):")
    print(sens_table)
    if args.table:
        with open(args.table, "w") as f:
            f.write(table + "\n\n" + sens_table + "\n")
    fails = [(g.run, g.name, f) for g in ck.groups.values() for f in g.failures]
    if fails:
        print(f"\n{len(fails)} failures (FAIL) and advisory gaps (gap):")
        by_group = defaultdict(list)
        for r, gname, f in fails:
            by_group[(r, gname)].append(f)
        for (r, gname), fs in by_group.items():
            print(f"- {r} / {gname}:")
            for f in fs[:12]:
                print(f"    {f}")
            if len(fs) > 12:
                print(f"    ... {len(fs) - 12} more")
    print("\nRESULT:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
