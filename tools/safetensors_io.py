"""The safetensors file format, written and checked with the standard library alone.

Format (https://github.com/huggingface/safetensors, "Format"): an unsigned 64-bit little-endian
header length N, then N bytes of UTF-8 JSON mapping each tensor name to ``dtype``, ``shape`` and
``data_offsets`` [begin, end) relative to the end of the header (plus an optional
``__metadata__`` map of strings), then the tensors' raw little-endian bytes, contiguous and in
offset order. The reference loader rejects holes or overlaps between tensors and a byte buffer
whose length differs from the last offset, so the writer packs tensors back to back and the
checker enforces the same rules.

Only float32 is written: the sample model needs nothing else. The checker accepts every dtype
the format defines.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

HEADER_LENGTH_BYTES = 8
# The reference implementation refuses headers above 100 MB (safetensors MAX_HEADER_SIZE).
MAX_HEADER_BYTES = 100_000_000
METADATA_KEY = "__metadata__"
# Header padding to a multiple of 8 keeps the tensor data aligned for zero-copy loading.
HEADER_ALIGNMENT = 8

DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "F64": 8,
    "I64": 8,
    "U64": 8,
}


class SafetensorsFormatError(ValueError):
    """The bytes are not a well-formed safetensors file; the message says why."""


@dataclass(frozen=True)
class Float32Tensor:
    """A float32 tensor given as its shape and its values in row-major (C) order."""

    shape: tuple[int, ...]
    values: Sequence[float]

    def __post_init__(self) -> None:
        expected = math.prod(self.shape)
        if len(self.values) != expected:
            raise ValueError(
                f"tensor of shape {self.shape} needs {expected} values, got {len(self.values)}"
            )


def encode_float32_tensors(
    tensors: Mapping[str, Float32Tensor], metadata: Mapping[str, str] | None = None
) -> bytes:
    """The safetensors bytes of ``tensors``: the same input gives the same bytes.

    Tensors are laid out in sorted name order; the JSON header has sorted keys, no whitespace,
    and is padded with spaces to a multiple of 8 bytes.
    """
    header: dict[str, object] = {}
    if metadata:
        header[METADATA_KEY] = dict(metadata)
    chunks: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name]
        data = struct.pack(f"<{len(tensor.values)}f", *tensor.values)
        header[name] = {
            "dtype": "F32",
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    header_bytes += b" " * (-len(header_bytes) % HEADER_ALIGNMENT)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks)


def read_header(stream: BinaryIO, file_size: int) -> dict[str, object]:
    """Read and check the header of a safetensors file of ``file_size`` bytes.

    Returns the header (tensor entries and ``__metadata__``). Raises SafetensorsFormatError if
    the length prefix, the JSON, an entry or the data offsets break the format.
    """
    prefix = stream.read(HEADER_LENGTH_BYTES)
    if len(prefix) < HEADER_LENGTH_BYTES:
        raise SafetensorsFormatError(
            f"file is {file_size} bytes, shorter than the {HEADER_LENGTH_BYTES}-byte header length"
        )
    (header_length,) = struct.unpack("<Q", prefix)
    data_length = file_size - HEADER_LENGTH_BYTES - header_length
    if header_length > MAX_HEADER_BYTES or data_length < 0:
        raise SafetensorsFormatError(
            f"header length {header_length} does not fit a file of {file_size} bytes"
        )
    raw = stream.read(header_length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsFormatError(f"header is not UTF-8 JSON ({error})") from None
    if not isinstance(header, dict):
        raise SafetensorsFormatError("header is not a JSON object")
    _check_entries(header, data_length)
    return header


def _check_entries(header: dict[str, object], data_length: int) -> None:
    metadata = header.get(METADATA_KEY, {})
    if not isinstance(metadata, dict) or not all(
        isinstance(value, str) for value in metadata.values()
    ):
        raise SafetensorsFormatError(f"{METADATA_KEY} must map names to strings")
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == METADATA_KEY:
            continue
        spans.append(_entry_span(name, entry))
    spans.sort()
    expected_begin = 0
    for begin, end, name in spans:
        if begin != expected_begin:
            raise SafetensorsFormatError(
                f"tensor {name!r} starts at {begin}, expected {expected_begin} (hole or overlap)"
            )
        expected_begin = end
    if expected_begin != data_length:
        raise SafetensorsFormatError(
            f"tensor data ends at {expected_begin} but the file holds {data_length} data bytes"
        )


def _entry_span(name: str, entry: object) -> tuple[int, int, str]:
    if not isinstance(entry, dict):
        raise SafetensorsFormatError(f"tensor {name!r}: entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPE_BYTES:
        raise SafetensorsFormatError(f"tensor {name!r}: unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(
        isinstance(size, int) and size >= 0 for size in shape
    ):
        raise SafetensorsFormatError(f"tensor {name!r}: shape {shape!r} is not a list of sizes")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(offset, int) for offset in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        raise SafetensorsFormatError(f"tensor {name!r}: data_offsets {offsets!r} are invalid")
    begin, end = offsets
    expected_bytes = math.prod(shape) * DTYPE_BYTES[dtype]
    if end - begin != expected_bytes:
        raise SafetensorsFormatError(
            f"tensor {name!r}: {dtype} {shape} needs {expected_bytes} bytes, "
            f"data_offsets span {end - begin}"
        )
    return begin, end, name
