"""The stdlib safetensors writer and header checker against the format's rules."""

from __future__ import annotations

import io
import json
import struct

import pytest

from tools.safetensors_io import (
    Float32Tensor,
    SafetensorsFormatError,
    encode_float32_tensors,
    read_header,
)

TENSORS = {
    "b.weight": Float32Tensor((2, 3), [1.0, -2.0, 0.5, 0.0, 3.25, -1.5]),
    "a.bias": Float32Tensor((2,), [0.125, -0.25]),
}


def _read(data: bytes):
    return read_header(io.BytesIO(data), len(data))


def _file(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_encoding_lays_tensors_out_in_name_order_with_little_endian_float32():
    data = encode_float32_tensors(TENSORS, {"format": "pt"})

    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_length])
    body = data[8 + header_length :]
    assert header["__metadata__"] == {"format": "pt"}
    assert header["a.bias"] == {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    assert header["b.weight"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [8, 32]}
    assert struct.unpack("<2f", body[0:8]) == (0.125, -0.25)
    assert struct.unpack("<6f", body[8:32]) == (1.0, -2.0, 0.5, 0.0, 3.25, -1.5)


def test_the_header_is_padded_to_eight_bytes():
    data = encode_float32_tensors(TENSORS)

    (header_length,) = struct.unpack("<Q", data[:8])
    assert header_length % 8 == 0


def test_encoding_is_deterministic_and_passes_the_checker():
    first = encode_float32_tensors(TENSORS, {"format": "pt"})

    assert first == encode_float32_tensors(dict(reversed(TENSORS.items())), {"format": "pt"})
    assert set(_read(first)) == {"__metadata__", "a.bias", "b.weight"}


def test_a_tensor_with_the_wrong_number_of_values_is_refused():
    with pytest.raises(ValueError, match="needs 6 values, got 5"):
        Float32Tensor((2, 3), [0.0] * 5)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x01\x00", "shorter than"),
        (struct.pack("<Q", 10**6) + b"{}", "does not fit"),
        (struct.pack("<Q", 4) + b"{]}x", "not UTF-8 JSON"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    ],
)
def test_malformed_headers_are_refused(data, reason):
    with pytest.raises(SafetensorsFormatError, match=reason):
        _read(data)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"dtype": "F31", "shape": [1], "data_offsets": [0, 4]}, "unknown dtype"),
        ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, "not a list of sizes"),
        ({"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}, "data_offsets"),
        ({"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}, "needs 8 bytes"),
        ("F32", "not an object"),
    ],
)
def test_malformed_tensor_entries_are_refused(entry, reason):
    with pytest.raises(SafetensorsFormatError, match=reason):
        _read(_file({"t": entry}, b"\0" * 4))


def test_holes_between_tensors_are_refused():
    header = {
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},
    }

    with pytest.raises(SafetensorsFormatError, match="hole or overlap"):
        _read(_file(header, b"\0" * 12))


def test_data_longer_than_the_tensors_is_refused():
    header = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}

    with pytest.raises(SafetensorsFormatError, match="holds 8 data bytes"):
        _read(_file(header, b"\0" * 8))


def test_metadata_values_must_be_strings():
    with pytest.raises(SafetensorsFormatError, match="__metadata__"):
        _read(_file({"__metadata__": {"format": 1}}, b""))
