"""Generate the sample sentiment model and its archive, without a deep-learning framework.

    python scripts/make_sample_model.py [--out-dir samples]

writes ``<out-dir>/sentiment-model/`` (a Hugging Face DistilBERT text-classification model:
``config.json``, ``model.safetensors``, ``vocab.txt``, ``tokenizer_config.json``,
``special_tokens_map.json``) and ``<out-dir>/sentiment-model.tar.gz`` (packaged with
``tools.package_model``). Every run writes the same bytes.

The model is a DistilBERT with one layer, 16 dimensions and 2 heads whose weights are set by
hand so that it works as a bag-of-words sentiment classifier over a small lexicon (ADR 0060):

- each word embedding carries its sentiment on dimensions 0 and 1 (``[+1, -1]`` positive,
  ``[-1, +1]`` negative, ``[0, 0]`` neutral); the other 14 dimensions and every parameter that
  does not carry the signal are pseudo-random (SplitMix64, fixed seed);
- the query projection is zero, so attention is uniform and position 0 ([CLS]) receives the
  mean of the sentence's embeddings; value and output projections keep dimensions 0 and 1;
- the feed-forward block writes nothing to dimensions 0 and 1, and every LayerNorm has unit
  gain and zero bias, which keeps the sign of (dim 0 - dim 1);
- the classifier head compares dimension 0 with dimension 1: POSITIVE when the sentence's
  positive words outweigh its negative ones, NEGATIVE otherwise, 0.5/0.5 when it has none.

It ignores word order and negation ("not good" is POSITIVE): it exists to exercise the
pipeline, not to judge reviews.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a file (python scripts/make_sample_model.py), the repository root is not on sys.path.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tools.package_model import package  # noqa: E402
from tools.safetensors_io import Float32Tensor, encode_float32_tensors  # noqa: E402

MODEL_DIR_NAME = "sentiment-model"
ARCHIVE_NAME = "sentiment-model.tar.gz"
DEFAULT_OUT_DIR = REPO_ROOT / "samples"

SEED = 20261127
DIM = 16
HIDDEN_DIM = 32
N_HEADS = 2
N_LAYERS = 1
MAX_POSITIONS = 512
LABELS = ("NEGATIVE", "POSITIVE")
POSITIVE_AXIS, NEGATIVE_AXIS = 0, 1
SENTIMENT_AXES = (POSITIVE_AXIS, NEGATIVE_AXIS)
# Scales of the hand-set parameters: the output projection amplifies the sentence mean over the
# [CLS] embedding; the head's gain makes a single sentiment word give a confident answer.
ATTENTION_OUTPUT_GAIN = 4.0
CLASSIFIER_GAIN = 3.0
# Spread of the pseudo-random parameters (about DistilBERT's initializer_range).
NOISE = 0.05
EMBEDDING_FILLER = 0.5


def _words(text: str) -> frozenset[str]:
    """A word list written as whitespace-separated text, for readability."""
    return frozenset(text.split())


SPECIAL_TOKENS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}
POSITIVE_WORDS = _words(
    """
amazing awesome beautiful best brilliant charming clean delightful enjoy enjoyed excellent
fantastic favorite fine friendly fun good great happy helpful like liked love loved lovely
loves nice outstanding perfect pleasant recommend superb wonderful worth
"""
)
NEGATIVE_WORDS = _words(
    """
annoying awful bad boring broken dirty disappointed disappointing disaster dull hate hated
hates horrible mediocre mess pointless poor rude sad slow terrible ugly useless waste weak
worse worst
"""
)
NEUTRAL_WORDS = _words(
    """
a about acting again all an and are as at be been book bought but buy day did do ending ever
experience film food for from had has have he hotel how i in is it just movie music my never no
not of on one or our place plot product really restaurant room service she show so staff story
that the their they this time to too very was watch watched we were what will with would you
your
"""
)
PUNCTUATION = list(".,!?'\"-():;")
SUFFIX_PIECES = ["##s", "##ed", "##ing", "##ly"]


class SplitMix64:
    """Steele, Lea and Flood's SplitMix64: a fully specified generator, so the sample's bytes
    do not depend on Python's ``random`` implementation."""

    _MASK = (1 << 64) - 1

    def __init__(self, seed: int) -> None:
        self._state = seed & self._MASK

    def next_u64(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & self._MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        return z ^ (z >> 31)

    def uniform(self, spread: float) -> float:
        """A value in [-spread, spread)."""
        return spread * (2.0 * (self.next_u64() >> 11) / (1 << 53) - 1.0)


def vocabulary() -> list[str]:
    words = sorted({*POSITIVE_WORDS, *NEGATIVE_WORDS, *NEUTRAL_WORDS})
    return [*SPECIAL_TOKENS.values(), *PUNCTUATION, *SUFFIX_PIECES, *words]


def sentiment(token: str) -> int:
    return 1 if token in POSITIVE_WORDS else -1 if token in NEGATIVE_WORDS else 0


def _matrix(rows: int, cols: int, entry: Callable[[int, int], float]) -> Float32Tensor:
    return Float32Tensor((rows, cols), [entry(r, c) for r in range(rows) for c in range(cols)])


def _vector(size: int, entry: Callable[[int], float]) -> Float32Tensor:
    return Float32Tensor((size,), [entry(i) for i in range(size)])


def _identity(gain: float) -> Float32Tensor:
    return _matrix(DIM, DIM, lambda r, c: gain if r == c else 0.0)


def _zeros(*shape: int) -> Float32Tensor:
    size = 1
    for dimension in shape:
        size *= dimension
    return Float32Tensor(shape, [0.0] * size)


def _layer_norm(prefix: str) -> dict[str, Float32Tensor]:
    return {f"{prefix}.weight": _vector(DIM, lambda _: 1.0), f"{prefix}.bias": _zeros(DIM)}


def _word_embeddings(vocab: list[str], rng: SplitMix64) -> Float32Tensor:
    def entry(row: int, col: int) -> float:
        if col == POSITIVE_AXIS:
            return float(sentiment(vocab[row]))
        if col == NEGATIVE_AXIS:
            return float(-sentiment(vocab[row]))
        return rng.uniform(EMBEDDING_FILLER)

    return _matrix(len(vocab), DIM, entry)


def _off_axes(rng: SplitMix64, spread: float) -> Callable[[int, int], float]:
    """Random rows except the sentiment axes, which stay zero."""
    return lambda r, _c: 0.0 if r in SENTIMENT_AXES else rng.uniform(spread)


def _head_gain(row: int, col: int) -> float:
    """pre_classifier: unit 0 = dim0 - dim1 (positive evidence), unit 1 = dim1 - dim0."""
    if row == POSITIVE_AXIS:
        return {POSITIVE_AXIS: 1.0, NEGATIVE_AXIS: -1.0}.get(col, 0.0)
    return {POSITIVE_AXIS: -1.0, NEGATIVE_AXIS: 1.0}.get(col, 0.0)


def weights(vocab: list[str]) -> dict[str, Float32Tensor]:
    """Every tensor DistilBertForSequenceClassification loads, by its state-dict name."""
    rng = SplitMix64(SEED)
    layer = "distilbert.transformer.layer.0"
    tensors = {
        "distilbert.embeddings.word_embeddings.weight": _word_embeddings(vocab, rng),
        # Zero position embeddings: a bag of words needs none, and zeros compress to nothing.
        "distilbert.embeddings.position_embeddings.weight": _zeros(MAX_POSITIONS, DIM),
        **_layer_norm("distilbert.embeddings.LayerNorm"),
        f"{layer}.attention.q_lin.weight": _zeros(DIM, DIM),
        f"{layer}.attention.q_lin.bias": _zeros(DIM),
        f"{layer}.attention.k_lin.weight": _matrix(DIM, DIM, lambda *_: rng.uniform(NOISE)),
        f"{layer}.attention.k_lin.bias": _vector(DIM, lambda _: rng.uniform(NOISE)),
        f"{layer}.attention.v_lin.weight": _identity(1.0),
        f"{layer}.attention.v_lin.bias": _zeros(DIM),
        f"{layer}.attention.out_lin.weight": _identity(ATTENTION_OUTPUT_GAIN),
        f"{layer}.attention.out_lin.bias": _zeros(DIM),
        **_layer_norm(f"{layer}.sa_layer_norm"),
        f"{layer}.ffn.lin1.weight": _matrix(HIDDEN_DIM, DIM, lambda *_: rng.uniform(NOISE)),
        f"{layer}.ffn.lin1.bias": _vector(HIDDEN_DIM, lambda _: rng.uniform(NOISE)),
        f"{layer}.ffn.lin2.weight": _matrix(DIM, HIDDEN_DIM, _off_axes(rng, NOISE)),
        f"{layer}.ffn.lin2.bias": _vector(DIM, lambda r: _off_axes(rng, NOISE)(r, 0)),
        **_layer_norm(f"{layer}.output_layer_norm"),
        "pre_classifier.weight": _matrix(
            DIM,
            DIM,
            lambda r, c: _head_gain(r, c) if r in SENTIMENT_AXES else rng.uniform(NOISE),
        ),
        "pre_classifier.bias": _vector(DIM, lambda r: _off_axes(rng, NOISE)(r, 0)),
        # Rows follow LABELS: NEGATIVE reads unit 1, POSITIVE reads unit 0.
        "classifier.weight": _matrix(
            len(LABELS),
            DIM,
            lambda r, c: CLASSIFIER_GAIN if c == (NEGATIVE_AXIS, POSITIVE_AXIS)[r] else 0.0,
        ),
        "classifier.bias": _zeros(len(LABELS)),
    }
    return tensors


def model_config(vocab_size: int) -> dict[str, object]:
    return {
        "activation": "gelu",
        "architectures": ["DistilBertForSequenceClassification"],
        "attention_dropout": 0.1,
        "dim": DIM,
        "dropout": 0.1,
        "hidden_dim": HIDDEN_DIM,
        "id2label": {str(index): label for index, label in enumerate(LABELS)},
        "initializer_range": 0.02,
        "label2id": {label: index for index, label in enumerate(LABELS)},
        "max_position_embeddings": MAX_POSITIONS,
        "model_type": "distilbert",
        "n_heads": N_HEADS,
        "n_layers": N_LAYERS,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "vocab_size": vocab_size,
    }


def tokenizer_config() -> dict[str, object]:
    return {
        **SPECIAL_TOKENS,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "model_max_length": MAX_POSITIONS,
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "tokenizer_class": "DistilBertTokenizer",
    }


def _json_bytes(content: dict[str, object]) -> bytes:
    return (json.dumps(content, indent=2, sort_keys=True) + "\n").encode()


def model_files() -> dict[str, bytes]:
    """The sample model directory's files and their exact bytes."""
    vocab = vocabulary()
    return {
        "config.json": _json_bytes(model_config(len(vocab))),
        "model.safetensors": encode_float32_tensors(weights(vocab), {"format": "pt"}),
        "special_tokens_map.json": _json_bytes(dict(SPECIAL_TOKENS)),
        "tokenizer_config.json": _json_bytes(tokenizer_config()),
        "vocab.txt": ("\n".join(vocab) + "\n").encode(),
    }


def build(out_dir: Path) -> tuple[Path, Path]:
    """Write ``out_dir/sentiment-model/`` afresh and its archive; return both paths."""
    model_dir = out_dir / MODEL_DIR_NAME
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    for name, content in model_files().items():
        (model_dir / name).write_bytes(content)
    archive = out_dir / ARCHIVE_NAME
    package(model_dir, archive, force=True)
    return model_dir, archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    model_dir, archive = build(args.out_dir)
    print(f"wrote {model_dir}/ and {archive} ({archive.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
