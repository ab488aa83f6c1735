"""Byte-level BPE tokenizer for the bundled demo run: a small trainer, an encoder/decoder and a writer
of a Hugging Face `tokenizer.json` in the layout Pythia's tokenizer uses.

Hand-written because the machine has no Python `tokenizers`/`transformers` packages (only Debian's
torch and numpy) and because the demo needs exact control of the id order:
id 0 `<|endoftext|>`, id 1 `<|padding|>`, ids 2..257 the 256 single bytes in byte-value order
(through GPT-2's bytes_to_unicode table), then one id per merge in merge order. That is the order
Pythia's tokenizer has, and it is why the study's 256 x 256 embedding correlation shows ASCII
structure.

The pre-tokenizer reproduces the GPT-2 split pattern that the Hugging Face ByteLevel pre-tokenizer
(use_regex true) applies, restricted to ASCII text: Python's `re` has no \\p{L}/\\p{N}, so letters
and digits are spelled as ASCII classes and `pretokenize` refuses non-ASCII input rather than
splitting it differently from the real tokenizer. tools/check_demo.mjs verifies that
@huggingface/tokenizers produces the ids this encoder produced for the probe text.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

SPECIAL_TOKENS = ("<|endoftext|>", "<|padding|>")

# GPT-2 pattern: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
# with \p{L} -> [A-Za-z] and \p{N} -> [0-9], exact for ASCII input.
GPT2_SPLIT_ASCII = re.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"
)


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte -> printable character table (the ByteLevel alphabet)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("\u00a1"), ord("\u00ac") + 1))
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    )
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


class TokenizerError(Exception):
    """A text the ASCII pre-tokenizer cannot split exactly like the real ByteLevel regex."""


def pretokenize(text: str) -> List[str]:
    """Split text like the ByteLevel pre-tokenizer and map each piece's bytes to the alphabet."""
    if not text.isascii():
        raise TokenizerError("bpe_tokenizer: text is not ASCII; the ASCII GPT-2 split would differ")
    pieces = GPT2_SPLIT_ASCII.findall(text)
    if "".join(pieces) != text:
        raise TokenizerError("bpe_tokenizer: split pattern lost characters")
    return ["".join(BYTE_TO_CHAR[b] for b in p.encode("utf-8")) for p in pieces]


def train_bpe(text: str, vocab_size: int) -> List[Tuple[str, str]]:
    """Learn vocab_size - 2 - 256 merges on the pre-tokenized words of text.

    Classic BPE: repeatedly merge the most frequent adjacent pair (counted over unique words
    weighted by frequency). Ties go to the lexicographically smallest pair so the result is
    deterministic.
    """
    n_merges = vocab_size - len(SPECIAL_TOKENS) - 256
    if n_merges < 0:
        raise ValueError("train_bpe: vocab_size must be at least 258")
    word_counts = Counter(pretokenize(text))
    words: List[List[str]] = [list(w) for w in word_counts]
    counts: List[int] = [word_counts[w] for w in word_counts]
    merges: List[Tuple[str, str]] = []
    # Two different pairs can spell the same string ("ab"+"c", "a"+"bc"); a second merge to an
    # existing token would break the one-id-per-merge order, so such pairs are skipped.
    known_tokens = set(BYTE_TO_CHAR.values())
    for _ in range(n_merges):
        pair_counts: Counter = Counter()
        for symbols, c in zip(words, counts):
            for a, b in zip(symbols, symbols[1:]):
                if a + b not in known_tokens:
                    pair_counts[(a, b)] += c
        if not pair_counts:
            break
        best = min(pair_counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        known_tokens.add(joined)
        for i, symbols in enumerate(words):
            if len(symbols) < 2:
                continue
            out: List[str] = []
            j = 0
            while j < len(symbols):
                if j + 1 < len(symbols) and symbols[j] == best[0] and symbols[j + 1] == best[1]:
                    out.append(joined)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            words[i] = out
    return merges


def build_vocab(merges: Sequence[Tuple[str, str]]) -> Dict[str, int]:
    """Pythia order: specials, then the 256 bytes by byte value, then one token per merge."""
    vocab: Dict[str, int] = {}
    for tok in SPECIAL_TOKENS:
        vocab[tok] = len(vocab)
    for b in range(256):
        vocab[BYTE_TO_CHAR[b]] = len(vocab)
    for a, b in merges:
        vocab[a + b] = len(vocab)
    return vocab


class ByteLevelBPE:
    """Encoder/decoder applying merges by rank, as the Hugging Face BPE model does."""

    def __init__(self, merges: Sequence[Tuple[str, str]]):
        self.merges = list(merges)
        self.ranks = {pair: r for r, pair in enumerate(self.merges)}
        self.vocab = build_vocab(self.merges)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self._cache: Dict[str, List[int]] = {}

    def _encode_word(self, word: str) -> List[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = list(word)
        while len(symbols) > 1:
            best_rank, best_i = None, -1
            for i in range(len(symbols) - 1):
                r = self.ranks.get((symbols[i], symbols[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank, best_i = r, i
            if best_rank is None:
                break
            a, b = self.merges[best_rank]
            out: List[str] = []
            j = 0
            while j < len(symbols):
                if j + 1 < len(symbols) and symbols[j] == a and symbols[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            symbols = out
        ids = [self.vocab[s] for s in symbols]
        self._cache[word] = ids
        return ids

    def encode(self, text: str) -> List[int]:
        ids: List[int] = []
        for word in pretokenize(text):
            ids.extend(self._encode_word(word))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        parts: List[str] = []
        for i in ids:
            tok = self.id_to_token[i]
            if tok in SPECIAL_TOKENS:
                parts.append(tok)
            else:
                parts.append(bytes(CHAR_TO_BYTE[c] for c in tok).decode("utf-8", errors="replace"))
        return "".join(parts)

    def tokenizer_json(self) -> dict:
        """The Hugging Face tokenizers serialisation (version 1.0), laid out like Pythia's."""
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {
                    "id": self.vocab[tok],
                    "content": tok,
                    "single_word": False,
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": False,
                    "special": True,
                }
                for tok in SPECIAL_TOKENS
            ],
            "normalizer": None,
            "pre_tokenizer": dict(byte_level),
            "post_processor": dict(byte_level),
            "decoder": dict(byte_level),
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }


def tokenizer_config_json(model_max_length: int) -> dict:
    """tokenizer_config.json as transformers writes it for a GPT-NeoX (Pythia) tokenizer."""
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|padding|>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
        "tokenizer_class": "GPTNeoXTokenizer",
    }


def special_tokens_map_json() -> dict:
    return {
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|padding|>",
    }


def dumps_stable(obj: dict) -> bytes:
    """Deterministic JSON bytes (key order as built, UTF-8, trailing newline)."""
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
