"""Measure the reference implementation's verdicts on the safetensors conformance cases.

The conformance table (test/unit/readers/safetensors-cases.ts) states, for every file, what the
reference implementation (the `safetensors` Python package, whose Rust core parses the header)
says about it. This script measures that: it reads the cases the test dumps, runs each through
`safetensors.deserialize` (the same `SafeTensors::read_metadata` as `safe_open`) and prints the
rows whose verdict or error kind differs from the table. Not run by CI (CI never runs Python):

    SAFETENSORS_CASES_OUT=/tmp/cases.json npx vitest run test/unit/readers/safetensors-conformance.test.ts
    python3 tools/safetensors_reference_verdicts.py /tmp/cases.json     # needs safetensors (0.8.0)

Also used by the differential fuzz target's self-check (`--verdicts`, see docs/FUZZING.md): with
that flag it prints one JSON verdict per case instead of comparing.
"""
import json
import sys

import safetensors
from safetensors import deserialize

# SafeTensorError's Display text (safetensors/src/tensor.rs) -> the variant's name.
KINDS = [
    ("header too small", "HeaderTooSmall"),
    ("header too large", "HeaderTooLarge"),
    ("invalid header length", "InvalidHeaderLength"),
    ("invalid UTF-8 in header", "InvalidHeader"),
    ("invalid JSON in header", "InvalidHeaderDeserialization"),
    ("invalid offset for tensor", "InvalidOffset"),
    ("invalid shape, data type, or offset", "TensorInvalidInfo"),
    ("overflow computing buffer size", "ValidationOverflow"),
    ("incomplete metadata", "MetadataIncompleteBuffer"),
    ("The slice is slicing for subbytes", "MisalignedSlice"),
]


def verdict(data: bytes):
    try:
        deserialize(data)
        return "accept", ""
    except Exception as err:  # SafetensorError
        message = str(err)
        for text, kind in KINDS:
            if text in message:
                return kind, message
        return "unknown", message


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    cases = json.load(open(args[0]))
    if "--verdicts" in sys.argv:
        print(json.dumps([verdict(bytes.fromhex(c["hex"]))[0] for c in cases]))
        return
    print(f"safetensors {safetensors.__version__}: {len(cases)} cases")
    differ = 0
    for c in cases:
        got, message = verdict(bytes.fromhex(c["hex"]))
        if got != c["reference"]:
            differ += 1
            print(f"DIFFERS {c['name']}: table says {c['reference']}, reference says {got} ({message[:160]})")
    print(f"{len(cases) - differ} of {len(cases)} agree with the table")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
