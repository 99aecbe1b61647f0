"""Properties of the model packaging tool (ADR 0062, ADR 0063).

- For any subset of the layout's candidate files, the reported missing pieces are exactly the
  required pieces (config, weights, tokenizer) that the subset lacks, and nothing else is
  reported.
- For any valid layout with arbitrary file contents, the archive holds exactly the files, at the
  root, byte for byte, and packaging twice writes the same bytes.
- The safetensors writer's output passes the checker and decodes to the values written.
"""

from __future__ import annotations

import io
import json
import struct
import tarfile
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tools.model_layout import ProblemKind
from tools.package_model import package, validate_model_dir
from tools.safetensors_io import Float32Tensor, encode_float32_tensors, read_header

SAFETENSORS = encode_float32_tensors({"w": Float32Tensor((1,), [1.0])}, {"format": "pt"})
CANDIDATES = {
    "config.json": json.dumps({"model_type": "bert", "architectures": ["BertModel"]}).encode(),
    "model.safetensors": SAFETENSORS,
    "pytorch_model.bin": b"PK\x03\x04 torch zip",
    "tokenizer.json": b'{"version": "1.0"}',
    "vocab.txt": b"[PAD]\n[UNK]\nhello\n",
    "vocab.json": b'{"hello": 0}',
    "merges.txt": b"#version: 0.2\nh e\n",
    "spiece.model": b"\x0a\x0bsentencepiece",
    "tokenizer_config.json": b"{}",
    "README.md": b"# a model\n",
}
MISSING_PIECE = {
    ProblemKind.MISSING_CONFIG: "config",
    ProblemKind.MISSING_WEIGHTS: "weights",
    ProblemKind.MISSING_TOKENIZER: "tokenizer",
    ProblemKind.INCOMPLETE_TOKENIZER: "tokenizer",
}


def _absent_pieces(present: set[str]) -> set[str]:
    """The oracle, from the documented rules, independent of the implementation."""
    absent = set()
    if "config.json" not in present:
        absent.add("config")
    if not present & {"model.safetensors", "pytorch_model.bin"}:
        absent.add("weights")
    has_tokenizer = (
        bool(present & {"tokenizer.json", "vocab.txt", "spiece.model"})
        or {
            "vocab.json",
            "merges.txt",
        }
        <= present
    )
    if not has_tokenizer:
        absent.add("tokenizer")
    return absent


def _write(directory: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


@given(st.sets(st.sampled_from(sorted(CANDIDATES))))
def test_reported_missing_pieces_are_exactly_the_absent_required_ones(present):
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), {name: CANDIDATES[name] for name in present})

        problems = validate_model_dir(tmp)

    assert {MISSING_PIECE.get(p.kind, f"unexpected {p}") for p in problems} == _absent_pieces(
        present
    )
    assert len(problems) == len(_absent_pieces(present))


_file_names = st.from_regex(r"[a-z][a-z0-9_-]{0,11}\.(bin|txt|json|py)", fullmatch=True)
_extra_files = st.dictionaries(
    st.one_of(_file_names, _file_names.map(lambda name: f"assets/{name}")),
    st.binary(max_size=300),
    max_size=6,
).filter(lambda files: not set(files) & {*CANDIDATES, "inference.py", "requirements.txt"})


@given(_extra_files, st.binary(max_size=2000))
def test_archive_holds_exactly_the_files_and_is_deterministic(extra, weights_blob):
    files = {
        "config.json": CANDIDATES["config.json"],
        "pytorch_model.bin": weights_blob,
        "vocab.txt": CANDIDATES["vocab.txt"],
        **extra,
    }
    with tempfile.TemporaryDirectory() as tmp:
        model_dir, out = Path(tmp, "model"), Path(tmp, "out")
        model_dir.mkdir()
        out.mkdir()
        _write(model_dir, files)

        first = package(model_dir, out / "first.tar.gz")
        second = package(model_dir, out / "second.tar.gz")

        assert first.output.read_bytes() == second.output.read_bytes()
        with tarfile.open(first.output, "r:gz") as tar:
            regular = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isreg()}
            directories = {m.name for m in tar.getmembers() if m.isdir()}
    assert regular == files
    assert directories == ({"assets"} if any(n.startswith("assets/") for n in files) else set())


_float32 = st.floats(width=32, allow_nan=False)


@given(
    st.dictionaries(
        st.text(alphabet="abcdefghij._", min_size=1, max_size=12),
        st.lists(st.integers(min_value=0, max_value=4), max_size=3).flatmap(
            lambda shape: st.tuples(
                st.just(tuple(shape)),
                st.lists(_float32, min_size=_size(shape), max_size=_size(shape)),
            )
        ),
        max_size=5,
    )
)
def test_written_safetensors_pass_the_checker_and_decode_to_the_values(tensors):
    data = encode_float32_tensors(
        {name: Float32Tensor(shape, values) for name, (shape, values) in tensors.items()}
    )

    stream = io.BytesIO(data)
    header = read_header(stream, len(data))
    body = stream.read()
    assert set(header) == set(tensors)
    for name, (shape, values) in tensors.items():
        begin, end = header[name]["data_offsets"]
        assert header[name]["shape"] == list(shape)
        assert list(struct.unpack(f"<{len(values)}f", body[begin:end])) == values


def _size(shape: list[int]) -> int:
    size = 1
    for dimension in shape:
        size *= dimension
    return size
