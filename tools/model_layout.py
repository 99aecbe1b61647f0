"""The Hugging Face DLC model layout: which files a ``model.tar.gz`` needs, and what is wrong.

The SageMaker Hugging Face inference toolkit extracts the archive to ``/opt/ml/model`` and calls
``transformers.pipeline(HF_TASK, model="/opt/ml/model")`` unless ``code/inference.py`` overrides
the handlers. Hence the rules below (ADR 0062 gives the reasoning for each):

- ``config.json``: a JSON object with a non-empty string ``model_type`` (``AutoConfig`` cannot
  load the model without it) and a non-empty list of strings ``architectures`` (the toolkit
  infers the task from it when ``HF_TASK`` is unset). ``architectures`` may be absent only when
  the caller declares the ``HF_TASK`` the endpoint sets.
- Weights, one of: ``model.safetensors``; ``pytorch_model.bin``; or a shard index
  (``model.safetensors.index.json`` / ``pytorch_model.bin.index.json``) whose ``weight_map``
  names root-level shard files that are all present. Safetensors files must have a well-formed
  header.
- A tokenizer vocabulary, one of: ``tokenizer.json``; ``vocab.txt`` (WordPiece);
  ``vocab.json`` together with ``merges.txt`` (BPE); a SentencePiece model (``spiece.model``,
  ``sentencepiece.bpe.model``, ``tokenizer.model``). ``tokenizer_config.json``,
  ``special_tokens_map.json`` and ``added_tokens.json`` are optional, JSON objects if present.
- ``code/`` is optional; if it exists, ``code/inference.py`` must exist and compile.
  ``code/requirements.txt`` is refused: the endpoint has no network (ADR-0049), so its
  packages must be vendored into ``code/``.
  ``inference.py`` or ``requirements.txt`` at the root is an error: the toolkit ignores them.

Every problem is reported, not just the first, each naming the file concerned.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO, Protocol

from tools import safetensors_io

CONFIG_FILE = "config.json"
SAFETENSORS_WEIGHTS = "model.safetensors"
PICKLE_WEIGHTS = "pytorch_model.bin"
# Shard index file -> the suffix its shards must carry.
SHARD_INDEXES = {
    "model.safetensors.index.json": ".safetensors",
    "pytorch_model.bin.index.json": ".bin",
}
SINGLE_FILE_WEIGHTS = (SAFETENSORS_WEIGHTS, PICKLE_WEIGHTS)
FAST_TOKENIZER = "tokenizer.json"
WORDPIECE_VOCAB = "vocab.txt"
BPE_VOCAB_PAIR = ("vocab.json", "merges.txt")
SENTENCEPIECE_MODELS = ("spiece.model", "sentencepiece.bpe.model", "tokenizer.model")
OPTIONAL_TOKENIZER_JSON = ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
CODE_DIR = "code"
INFERENCE_SCRIPT = "code/inference.py"
# Files the toolkit reads only from code/: at the root they would be silently ignored.
CODE_ONLY_FILES = ("inference.py", "requirements.txt")
# The endpoint runs with network isolation (ADR-0049): the toolkit's start-up
# `pip install -r code/requirements.txt` cannot reach an index and the container never becomes
# healthy. Dependencies must be vendored into code/ instead.
NETWORK_REQUIREMENTS = "code/requirements.txt"
# Root files that look like weights the PyTorch DLC cannot load without an index.
WEIGHT_LIKE_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack")

WEIGHTS_EXPECTED = (
    f"{SAFETENSORS_WEIGHTS}, {PICKLE_WEIGHTS}, or a shard index "
    f"({' / '.join(SHARD_INDEXES)}) with its shards"
)
TOKENIZER_EXPECTED = (
    f"{FAST_TOKENIZER}, {WORDPIECE_VOCAB}, {' + '.join(BPE_VOCAB_PAIR)}, or a SentencePiece "
    f"model ({', '.join(SENTENCEPIECE_MODELS)})"
)


class ProblemKind(StrEnum):
    """Stable identifiers of what can be wrong; tests and tools match on these."""

    MISSING_CONFIG = "missing-config"
    INVALID_CONFIG = "invalid-config"
    MISSING_WEIGHTS = "missing-weights"
    INVALID_WEIGHTS = "invalid-weights"
    MISSING_SHARD = "missing-shard"
    MISSING_TOKENIZER = "missing-tokenizer"
    INCOMPLETE_TOKENIZER = "incomplete-tokenizer"
    INVALID_TOKENIZER = "invalid-tokenizer"
    MISSING_INFERENCE_SCRIPT = "missing-inference-script"
    INVALID_INFERENCE_SCRIPT = "invalid-inference-script"
    MISPLACED_CODE = "misplaced-code"
    NEEDS_NETWORK = "needs-network"
    UNSAFE_ENTRY = "unsafe-entry"
    INVALID_ARCHIVE = "invalid-archive"


@dataclass(frozen=True)
class LayoutProblem:
    """One thing wrong with a model layout: what kind, which file, and a readable reason."""

    kind: ProblemKind
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ModelFiles(Protocol):
    """The regular files of a model (a directory or an archive), by root-relative POSIX path."""

    @property
    def paths(self) -> frozenset[str]: ...

    @property
    def directories(self) -> frozenset[str]: ...

    def size(self, path: str) -> int: ...

    def open(self, path: str) -> AbstractContextManager[BinaryIO]: ...


def check_layout(files: ModelFiles, hf_task: str | None = None) -> list[LayoutProblem]:
    """Every layout problem of ``files``; an empty list means the DLC can serve it.

    ``hf_task``: the ``HF_TASK`` the endpoint sets, if the caller knows it; it lets a
    ``config.json`` without ``architectures`` pass.
    """
    return [
        *_config_problems(files, hf_task),
        *_weights_problems(files),
        *_tokenizer_problems(files),
        *_code_problems(files),
    ]


def _config_problems(files: ModelFiles, hf_task: str | None) -> Iterator[LayoutProblem]:
    if CONFIG_FILE not in files.paths:
        nested = sorted(p for p in files.paths if posixpath.basename(p) == CONFIG_FILE)
        hint = (
            f" (found {', '.join(nested)}: the files must sit at the root, not under a "
            "directory; package the directory's contents)"
            if nested
            else ""
        )
        yield LayoutProblem(ProblemKind.MISSING_CONFIG, CONFIG_FILE, f"missing{hint}")
        return
    config, error = _read_json_object(files, CONFIG_FILE)
    if config is None:
        yield LayoutProblem(ProblemKind.INVALID_CONFIG, CONFIG_FILE, error)
        return
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        yield LayoutProblem(
            ProblemKind.INVALID_CONFIG,
            CONFIG_FILE,
            "needs a non-empty string 'model_type' (transformers' AutoConfig cannot load "
            "the model without it)",
        )
    architectures = config.get("architectures")
    if architectures is None and hf_task:
        return
    if (
        not isinstance(architectures, list)
        or not architectures
        or not all(isinstance(name, str) and name for name in architectures)
    ):
        yield LayoutProblem(
            ProblemKind.INVALID_CONFIG,
            CONFIG_FILE,
            "needs 'architectures', a non-empty list of class names such as "
            "['DistilBertForSequenceClassification'] (the toolkit infers the task from it), "
            "unless the endpoint's HF_TASK is declared (--hf-task)",
        )


def _weights_problems(files: ModelFiles) -> Iterator[LayoutProblem]:
    singles = [name for name in SINGLE_FILE_WEIGHTS if name in files.paths]
    indexes = [name for name in SHARD_INDEXES if name in files.paths]
    if not singles and not indexes:
        found = sorted(p for p in files.paths if "/" not in p and p.endswith(WEIGHT_LIKE_SUFFIXES))
        hint = f" (found {', '.join(found)}, which the PyTorch DLC does not load)" if found else ""
        yield LayoutProblem(
            ProblemKind.MISSING_WEIGHTS, "weights", f"missing: expected {WEIGHTS_EXPECTED}{hint}"
        )
        return
    if SAFETENSORS_WEIGHTS in singles:
        yield from _safetensors_problems(files, SAFETENSORS_WEIGHTS)
    for index in indexes:
        yield from _shard_index_problems(files, index)


def _shard_index_problems(files: ModelFiles, index: str) -> Iterator[LayoutProblem]:
    content, error = _read_json_object(files, index)
    weight_map = content.get("weight_map") if content is not None else None
    if content is not None and (
        not isinstance(weight_map, dict)
        or not weight_map
        or not all(isinstance(shard, str) for shard in weight_map.values())
    ):
        error = "needs 'weight_map', a non-empty object mapping tensor names to shard files"
    if error:
        yield LayoutProblem(ProblemKind.INVALID_WEIGHTS, index, error)
        return
    suffix = SHARD_INDEXES[index]
    for shard in sorted(set(weight_map.values())):
        if "/" in shard or shard in ("", ".", "..") or not shard.endswith(suffix):
            yield LayoutProblem(
                ProblemKind.INVALID_WEIGHTS,
                index,
                f"shard {shard!r} must be a file name ending {suffix!r} at the root",
            )
        elif shard not in files.paths:
            yield LayoutProblem(ProblemKind.MISSING_SHARD, shard, f"missing (listed in {index})")
        elif suffix == ".safetensors":
            yield from _safetensors_problems(files, shard)


def _safetensors_problems(files: ModelFiles, path: str) -> Iterator[LayoutProblem]:
    with files.open(path) as stream:
        try:
            safetensors_io.read_header(stream, files.size(path))
        except safetensors_io.SafetensorsFormatError as error:
            yield LayoutProblem(
                ProblemKind.INVALID_WEIGHTS, path, f"not a valid safetensors file: {error}"
            )


def _tokenizer_problems(files: ModelFiles) -> Iterator[LayoutProblem]:
    present = files.paths
    has_vocabulary = (
        FAST_TOKENIZER in present
        or WORDPIECE_VOCAB in present
        or all(name in present for name in BPE_VOCAB_PAIR)
        or any(name in present for name in SENTENCEPIECE_MODELS)
    )
    if not has_vocabulary:
        half_pair = [name for name in BPE_VOCAB_PAIR if name in present]
        if half_pair:
            (missing,) = (name for name in BPE_VOCAB_PAIR if name not in present)
            yield LayoutProblem(
                ProblemKind.INCOMPLETE_TOKENIZER,
                missing,
                f"missing: {half_pair[0]} (BPE vocabulary) needs {missing} beside it",
            )
        else:
            yield LayoutProblem(
                ProblemKind.MISSING_TOKENIZER,
                "tokenizer",
                f"missing: expected {TOKENIZER_EXPECTED}",
            )
    for name in (FAST_TOKENIZER, *OPTIONAL_TOKENIZER_JSON):
        if name in present:
            _content, error = _read_json_object(files, name)
            if error:
                yield LayoutProblem(ProblemKind.INVALID_TOKENIZER, name, error)
    if WORDPIECE_VOCAB in present:
        error = _vocab_text_error(files, WORDPIECE_VOCAB)
        if error:
            yield LayoutProblem(ProblemKind.INVALID_TOKENIZER, WORDPIECE_VOCAB, error)


def _code_problems(files: ModelFiles) -> Iterator[LayoutProblem]:
    if NETWORK_REQUIREMENTS in files.paths:
        yield LayoutProblem(
            ProblemKind.NEEDS_NETWORK,
            NETWORK_REQUIREMENTS,
            "the endpoint runs with network isolation (ADR-0049), so these packages could not "
            "be installed at start-up; vendor them into code/ (pip install --target code/lib "
            "-r requirements.txt, then add code/lib to sys.path in inference.py) and remove it",
        )
    for name in CODE_ONLY_FILES:
        if name in files.paths:
            remedy = (
                f"vendor its packages into {CODE_DIR}/ (the endpoint has no network, ADR-0049)"
                if name == "requirements.txt"
                else f"move it to {CODE_DIR}/{name}"
            )
            yield LayoutProblem(
                ProblemKind.MISPLACED_CODE, name, f"at the root the toolkit ignores it; {remedy}"
            )
    if CODE_DIR in files.paths:
        yield LayoutProblem(
            ProblemKind.MISPLACED_CODE, CODE_DIR, "is a file; it must be a directory"
        )
        return
    if CODE_DIR not in files.directories:
        return
    if INFERENCE_SCRIPT not in files.paths:
        yield LayoutProblem(
            ProblemKind.MISSING_INFERENCE_SCRIPT,
            INFERENCE_SCRIPT,
            f"missing: a {CODE_DIR}/ directory is only used through {INFERENCE_SCRIPT}",
        )
        return
    with files.open(INFERENCE_SCRIPT) as stream:
        source = stream.read()
    try:
        compile(source, INFERENCE_SCRIPT, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        yield LayoutProblem(
            ProblemKind.INVALID_INFERENCE_SCRIPT, INFERENCE_SCRIPT, f"does not compile: {error}"
        )


def _read_json_object(files: ModelFiles, path: str) -> tuple[dict | None, str]:
    """(the parsed object, "") or (None, the reason it is not a JSON object)."""
    with files.open(path) as stream:
        raw = stream.read()
    try:
        content = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except json.JSONDecodeError as error:
        return None, f"is not valid JSON ({error})"
    if not isinstance(content, dict):
        return None, f"must be a JSON object, found {type(content).__name__}"
    return content, ""


def _vocab_text_error(files: ModelFiles, path: str) -> str:
    with files.open(path) as stream:
        raw = stream.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text"
    if not text.strip():
        return "is empty: a WordPiece vocabulary lists one token per line"
    return ""
