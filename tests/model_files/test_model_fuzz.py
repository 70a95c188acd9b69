"""Fuzzing load_model: damaged, truncated, random and crafted files, loaded under a memory limit.

Every file must raise ModelFileError (a short message naming the file) or
load as a model that predicts bit for bit as the one saved. The loads run in
one child process with its address space limited, so that a crash, a hang or
an allocation of more memory than the file can justify fails the test, and
names the file that caused it.
"""

import hashlib
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from tests.helpers.model_files import X, fitted, read_file, retyped, with_repeated_key

from skdnn import save_model
from skdnn.model_io import MAX_HEADER_BYTES, _digest

pytest.importorskip("resource")
ROOT = Path(__file__).parents[2]
MEMORY_ABOVE_START = 512 * 2**20

LOADER = """
import hashlib, json, resource, sys
import numpy as np
from skdnn import ModelFileError, load_model

folder = sys.argv[1]
cases = json.load(open(folder + "/cases.json"))
X = np.load(folder + "/X.npy")
with open("/proc/self/status") as f:
    size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))
limit = size + int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
progress = open(folder + "/progress.txt", "w", buffering=1)
results = open(folder + "/results.jsonl", "w", buffering=1)
for case in cases:
    progress.write(case["name"] + "\\n")
    path = folder + "/" + case["file"]
    try:
        model = load_model(path)
        proba = model.predict_proba(X)
        outcome = {"ok": hashlib.sha256(proba.tobytes()).hexdigest() + str(proba.dtype)}
    except ModelFileError as exc:
        outcome = {"error": str(exc)}
    except BaseException as exc:  # what the test is looking for: anything else
        outcome = {"other": f"{type(exc).__name__}: {str(exc)[:300]}"}
    results.write(json.dumps({"name": case["name"], "path": path, **outcome}) + "\\n")
"""


def fingerprint(model):
    proba = model.predict_proba(X)
    return hashlib.sha256(proba.tobytes()).hexdigest() + str(proba.dtype)


def mutations(content, rng):
    """Seeded single- and multi-byte changes, runs, truncations and random files."""
    size = len(content)
    header_end = 8 + int.from_bytes(content[:8], "little")
    for i in range(200):
        data = bytearray(content)
        offset = int(rng.integers(size))
        data[offset] ^= int(rng.integers(1, 256))
        yield f"byte {offset} changed", bytes(data)
    for i in range(80):
        data = bytearray(content)
        offsets = rng.integers(size, size=int(rng.integers(2, 9)))
        for offset in offsets:
            data[offset] = int(rng.integers(256))
        yield f"bytes {sorted(offsets.tolist())} changed", bytes(data)
    for i in range(30):
        data = bytearray(content)
        start, length = int(rng.integers(size)), int(rng.integers(4, 65))
        data[start:start + length] = rng.bytes(len(data[start:start + length]))
        yield f"run of {length} bytes at {start} overwritten", bytes(data)
    cuts = {*range(17), header_end - 1, header_end, header_end + 1, size - 1,
            *rng.integers(size, size=40).tolist()}
    for cut in sorted(cuts):
        yield f"truncated to {cut} bytes", content[:cut]
    for i in range(30):
        length = int(rng.integers(0, 5000))
        data = rng.bytes(length)
        if i % 2 and length > 8:  # a plausible header length, so that parsing goes further
            data = struct.pack("<Q", int(rng.integers(0, length - 8))) + data[8:]
        yield f"random file of {length} bytes ({i})", data


def raw(header, data=b""):
    text = json.dumps(header).encode() if isinstance(header, dict) else header
    return struct.pack("<Q", len(text)) + text + data


def rehashed(metadata, tensors):
    metadata = {**metadata, "sha256": _digest(metadata, tensors)}
    return safetensors.numpy.save(tensors, metadata=metadata)


def crafted(path):
    """Hand-made hostile files, each with the message that shows its check was reached."""
    metadata, tensors = read_file(path)
    skdnn_header = {"__metadata__": metadata}
    many_layers = json.loads(metadata["hyperparameters"])
    many_layers["hidden_layer_sizes"] = [1] * 3_000_000  # about 9 MB of JSON
    cases = {
        "header length 2**63": (struct.pack("<Q", 2**63) + bytes(100),
                                "header length field says 9223372036854775808"),
        "header length above the cap": (struct.pack("<Q", MAX_HEADER_BYTES + 1) + bytes(100),
                                        "at most 16777216"),
        "header longer than the file": (raw(b"{}")[:8] + b"{", "this file has 9 bytes"),
        "80 GB tensor in a small file": (raw({"W1": {"dtype": "F64", "shape": [10**5, 10**5],
                                                     "data_offsets": [0, 8 * 10**10]}},
                                             bytes(64)), "file not fully covered"),
        "shape overflowing 64 bits": (raw({"W1": {"dtype": "F64", "shape": [2**40, 2**40],
                                                  "data_offsets": [0, 8]}}, bytes(8)),
                                      "overflow computing buffer size"),
        "overlapping tensors": (raw({"W1": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
                                     "b1": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}},
                                    bytes(8)), "invalid offset"),
        "bad UTF-8": (raw(b'{"__metadata__": {"format": "\xff\xfe"}}'), "invalid UTF-8"),
        "metadata value not a string": (raw({"__metadata__": {**metadata, "format": 1}}),
                                        "expected a string"),
        "tensor of a dtype numpy lacks": (
            raw({**skdnn_header, "W9": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}},
                bytes(8)), "tensor 'W9' has dtype 'BF16'"),
        "megabytes of JSON": (rehashed({**metadata,
                                        "hyperparameters": json.dumps(many_layers)}, tensors),
                              "makes 3000002 layers"),
        "fitted state not an object": (rehashed({**metadata, "fitted_state": "[]"}, tensors),
                                       "the fitted state must be a dict"),
        "checksum of another file": (safetensors.numpy.save(tensors, metadata={
            **metadata, "sha256": "0" * 64}), "SHA-256 checksum"),
    }
    content = path.read_bytes()
    for tensor, dtype, bits in [("W1", "F8_E5M2", 8), ("loss_curve_", "F8_E4M3", 8),
                                ("_random_state.key", "F8_E8M0", 8),
                                ("_optimizer.first_moments.W1", "F4", 4)]:
        cases[f"{tensor} as {dtype}"] = (retyped(content, tensor, dtype, bits),
                                         f"tensor '{tensor}' has dtype '{dtype}'")
    header = json.loads(content[8:8 + int.from_bytes(content[:8], "little")])
    cases["a tensor declared twice"] = (with_repeated_key(content, "b1", header["b1"]),
                                        "the key 'b1' appears twice")
    cases["a metadata key twice"] = (with_repeated_key(content, "format_version", "0",
                                                       "__metadata__"),
                                     "the key 'format_version' appears twice")
    state = metadata["fitted_state"]
    for name, text in [("a fitted attribute twice", '{"t_": 0, ' + state[1:]),
                       ("n_iter_ of 401 digits", re.sub(r'"n_iter_": \d+',
                                                        '"n_iter_": 1' + "0" * 400, state)),
                       ("t_ of 2**63", re.sub(r'"t_": \d+', f'"t_": {2**63}', state)),
                       ("a float of 1e400", state.replace('"best_loss_": ',
                                                          '"best_loss_": 1e400, "x": '))]:
        cases[name] = (rehashed({**metadata, "fitted_state": text}, tensors),
                       "appears twice|outside int64|beyond a float's range")
    return cases


@pytest.mark.slow
def test_fuzzed_model_files_raise_model_file_error_or_load_the_same_model(tmp_path):
    rng = np.random.default_rng(20240611)
    files, expected, reached = [], {}, {}
    for base in ["multiclass", "string labels", "batch norm"]:
        model = fitted(base)[0]
        path = tmp_path / f"{base.replace(' ', '_')}.safetensors"
        save_model(model, path)
        content = path.read_bytes()
        cases = [(f"{base}: {name}", data) for name, data in mutations(content, rng)]
        cases.append((f"{base}: intact", content))
        if base == "multiclass":
            for name, (data, message) in crafted(path).items():
                cases.append((f"crafted: {name}", data))
                reached[f"crafted: {name}"] = message
        for name, data in cases:
            expected[name] = fingerprint(model)
            files.append({"name": name, "file": f"case{len(files)}.safetensors"})
            (tmp_path / files[-1]["file"]).write_bytes(data)
    (tmp_path / "cases.json").write_text(json.dumps(files))
    np.save(tmp_path / "X.npy", X)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    try:
        child = subprocess.run([sys.executable, "-c", LOADER, str(tmp_path),
                                str(MEMORY_ABOVE_START)], env=env, capture_output=True,
                               text=True, timeout=120)
        problem = None if child.returncode == 0 else \
            f"the loader exited with {child.returncode}: {child.stderr[-500:]}"
    except subprocess.TimeoutExpired:
        problem = "the loader hung"
    results = [json.loads(line) for line in
               (tmp_path / "results.jsonl").read_text().splitlines()]
    if problem:
        started = (tmp_path / "progress.txt").read_text().splitlines()
        pytest.fail(f"{problem}, on case {started[-1]!r}" if len(started) > len(results)
                    else problem)
    assert len(results) == len(files)
    loaded_intact = 0
    for result in results:
        name = result["name"]
        assert "other" not in result, f"{name}: {result['other']}"
        if "ok" in result:
            assert result["ok"] == expected[name], f"{name}: loaded as a different model"
            loaded_intact += 1
            continue
        message = result["error"]
        assert repr(result["path"]) in message and len(message) < 600, (name, message)
        if name in reached:
            assert re.search(reached[name], message), (name, message)
    assert loaded_intact >= 2  # the intact files, at least
    if os.environ.get("SKDNN_FUZZ_REPORT"):  # the figures quoted in the persistence guide
        kinds = {}
        for result in results:
            kind = "loaded, same predictions" if "ok" in result else \
                re.sub(r"\(.*|[0-9]+", "", result["error"].split(": ", 1)[1])[:70]
            kinds[kind] = kinds.get(kind, 0) + 1
        print(json.dumps(dict(sorted(kinds.items(), key=lambda kv: -kv[1])), indent=1))
