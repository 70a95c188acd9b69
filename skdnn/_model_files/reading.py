"""The first look at a model file: its safetensors header and its JSON, read by skdnn itself.

The ``safetensors`` library checks every tensor's offsets against the bytes
present, but it lets a key appear twice in the header (the last one wins),
accepts tensor dtypes that NumPy lacks (and then fails building the array
with an ``AttributeError``), and opens files only, so a stream would have to
be copied whole before its first 8 bytes are looked at. Here the header is
read and checked first, from a file or a stream, and a stream is copied only
up to the size its header declares. The JSON of the header and of the
metadata is parsed with every object's keys distinct and every number
bounded: integers within int64, floats finite.
"""

import json
import math

INT64_BOUND = 2**63
"""int: JSON integers in a model file lie in ``[-INT64_BOUND, INT64_BOUND)``."""

# The safetensors dtypes NumPy holds, but complex ones; a model file has no others.
NUMPY_DTYPES = ("BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32",
                "F64")
_CHUNK = 2**20
_TENSOR_KEYS = {"dtype", "shape", "data_offsets"}


class HeaderError(ValueError):
    """What is wrong with a header; the caller names the file."""


def _short(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _distinct_keys(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {_short(twice)} appears twice in one JSON object")
    return obj


def _bounded_int(text):
    # Checked on the digits first: int() of a huge string is itself slow.
    if len(text.lstrip("-")) > 19 or not -INT64_BOUND <= int(text) < INT64_BOUND:
        raise ValueError(f"the integer {_short(text, 30)} is outside int64")
    return int(text)


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {_short(text, 30)} is beyond a float's range")
    return value


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text):
    """``json.loads(text)``, refusing repeated keys, NaN, and numbers out of bounds.

    Raises ``ValueError`` (or ``RecursionError`` for deep nesting).
    """
    return json.loads(text, object_pairs_hook=_distinct_keys, parse_int=_bounded_int,
                      parse_float=_finite_float, parse_constant=_refuse_constant)


def read_up_to(stream, size):
    """Up to ``size`` bytes of the binary file object ``stream``: fewer only at its end."""
    chunks, left = [], size
    while left:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            break
        if not isinstance(chunk, (bytes, bytearray)):
            raise TypeError(f"a model file is read from a binary file object, but read() "
                            f"returned {type(chunk).__name__}; open the file with 'rb'")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def copy_up_to(stream, out, size):
    """Copy up to ``size`` bytes from ``stream`` to ``out``; return how many were copied."""
    copied = 0
    while copied < size:
        chunk = read_up_to(stream, min(size - copied, _CHUNK))
        if not chunk:
            break
        out.write(chunk)
        copied += len(chunk)
    return copied


def read_header(stream, max_header_bytes, size=None):
    """Read and check the safetensors header at the start of ``stream``.

    Parameters
    ----------
    stream : binary file object
        Positioned at the start of the file; left just after the header.
    max_header_bytes : int
        The largest header accepted.
    size : int, optional
        The file's size, when known.

    Returns
    -------
    raw : bytes
        The bytes read: the 8-byte length and the header.
    header : dict
        The parsed header.
    data_bytes : int
        The length of the tensor data the header declares after it.

    Raises
    ------
    HeaderError
        When the header is not one a model file can have.
    """
    head = read_up_to(stream, 8)
    if len(head) < 8:
        raise HeaderError(f"it has {len(head)} bytes, fewer than a safetensors file's 8-byte "
                          "header length")
    header_bytes = int.from_bytes(head, "little")
    if header_bytes > max_header_bytes or (size is not None and 8 + header_bytes > size):
        in_all = "" if size is None else f" and this file has {size} bytes in all"
        raise HeaderError(f"its header length field says {header_bytes} bytes, but a model "
                          f"file's header has at most {max_header_bytes}{in_all} (truncated, "
                          "or not a safetensors file)")
    text = read_up_to(stream, header_bytes)
    if len(text) < header_bytes:
        raise HeaderError(f"it ends {len(text)} bytes into its {header_bytes}-byte header "
                          "(truncated)")
    header = _parse_header(text)
    return head + text, header, _data_bytes(header)


def _parse_header(text):
    try:
        header = parse_json(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise HeaderError(f"its header has invalid UTF-8 at byte {exc.start}") from None
    except (ValueError, RecursionError) as exc:
        raise HeaderError(f"its header is not valid safetensors JSON "
                          f"({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(header, dict):
        raise HeaderError("its header is not a JSON object")
    for name, entry in header.items():
        if name == "__metadata__":
            continue  # strings only, as safetensors checks
        if not isinstance(entry, dict) or set(entry) != _TENSOR_KEYS:
            raise HeaderError(f"its tensor {_short(name)} is not described by exactly "
                              "dtype, shape and data_offsets")
        if entry["dtype"] not in NUMPY_DTYPES:
            raise HeaderError(f"its tensor {_short(name)} has dtype {_short(entry['dtype'])}; "
                              f"a model file's tensors have one of the dtypes NumPy holds: "
                              f"{', '.join(NUMPY_DTYPES)}")
        shape, offsets = entry["shape"], entry["data_offsets"]
        if not (isinstance(shape, list) and all(_is_size(n) for n in shape)
                and isinstance(offsets, list) and len(offsets) == 2
                and all(_is_size(n) for n in offsets) and offsets[0] <= offsets[1]):
            raise HeaderError(f"its tensor {_short(name)} has an invalid shape or "
                              "data_offsets")
    return header


def _is_size(value):
    return type(value) is int and value >= 0


def _data_bytes(header):
    return max((entry["data_offsets"][1] for name, entry in header.items()
                if name != "__metadata__"), default=0)
