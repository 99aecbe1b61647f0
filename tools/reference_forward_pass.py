"""A pure-Python DistilBertForSequenceClassification forward pass (ADR 0061).

transformers and torch are never installed by the project. This stand-in, written from the
architecture (embeddings + LayerNorm, multi-head attention, GELU feed-forward, pre-classifier
ReLU, softmax; eval mode, no dropout) and not from the sample's generator, reads a model
directory's ``model.safetensors``, ``vocab.txt`` and ``config.json``. Its scores on the committed
sample are pinned to the ones transformers produced
(``tests/unit/tools/test_sample_model.py``); the synthetic endpoint traffic of the monitor's
demo and benchmark (``demo/capture_traffic.py``) uses it to answer as the endpoint would.

It covers what the sample needs: a lower-casing WordPiece tokenizer without accent stripping
or Chinese-character handling, float32 weights, and the sequence-classification head.
"""

from __future__ import annotations

import json
import math
import re
import struct
from pathlib import Path

from tools.safetensors_io import read_header

LAYER_NORM_EPS = 1e-12


def load_float32_tensors(
    model_dir: Path,
) -> tuple[dict[str, object], dict[str, tuple[list[int], tuple[float, ...]]]]:
    """The safetensors header and ``name -> (shape, values)`` of a model directory's weights."""
    path = model_dir / "model.safetensors"
    with path.open("rb") as stream:
        header = read_header(stream, path.stat().st_size)
        body = stream.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        values = struct.unpack(f"<{(end - begin) // 4}f", body[begin:end])
        tensors[name] = (entry["shape"], values)
    return header, tensors


class DistilBertReference:
    """``probabilities(text)`` and ``classify(text)`` of a DistilBERT classifier directory."""

    def __init__(self, model_dir: Path) -> None:
        self.vocab = {t: i for i, t in enumerate((model_dir / "vocab.txt").read_text().split())}
        self.config = json.loads((model_dir / "config.json").read_text())
        _header, tensors = load_float32_tensors(model_dir)
        self.w = {name: self._rows(shape, values) for name, (shape, values) in tensors.items()}

    def classify(self, text: str) -> tuple[str, float]:
        """The text-classification pipeline's answer: the top label and its score."""
        probabilities = self.probabilities(text)
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return self.config["id2label"][str(best)], probabilities[best]

    @staticmethod
    def _rows(shape, values):
        if len(shape) == 1:
            return list(values)
        return [list(values[r * shape[1] : (r + 1) * shape[1]]) for r in range(shape[0])]

    def tokenize(self, text):
        ids = [self.vocab["[CLS]"]]
        for word in re.findall(r"\w+|[^\w\s]", text.lower()):
            ids.extend(self._wordpiece(word))
        return [*ids, self.vocab["[SEP]"]]

    def _wordpiece(self, word):
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    pieces.append(self.vocab[piece])
                    start = end
                    break
            else:
                return [self.vocab["[UNK]"]]
        return pieces

    def _linear(self, prefix, x):
        weight, bias = self.w[f"{prefix}.weight"], self.w[f"{prefix}.bias"]
        return [
            sum(wi * xi for wi, xi in zip(row, x, strict=True)) + b
            for row, b in zip(weight, bias, strict=True)
        ]

    def _layer_norm(self, prefix, x):
        mean = sum(x) / len(x)
        var = sum((v - mean) ** 2 for v in x) / len(x)
        gain, bias = self.w[f"{prefix}.weight"], self.w[f"{prefix}.bias"]
        return [
            (v - mean) / math.sqrt(var + LAYER_NORM_EPS) * g + b
            for v, g, b in zip(x, gain, bias, strict=True)
        ]

    def probabilities(self, text):
        ids = self.tokenize(text)
        emb = "distilbert.embeddings"
        hidden = [
            self._layer_norm(
                f"{emb}.LayerNorm",
                [
                    w + p
                    for w, p in zip(
                        self.w[f"{emb}.word_embeddings.weight"][token],
                        self.w[f"{emb}.position_embeddings.weight"][position],
                        strict=True,
                    )
                ],
            )
            for position, token in enumerate(ids)
        ]
        for layer in range(self.config["n_layers"]):
            hidden = self._block(f"distilbert.transformer.layer.{layer}", hidden)
        pooled = [max(0.0, v) for v in self._linear("pre_classifier", hidden[0])]
        logits = self._linear("classifier", pooled)
        exps = [math.exp(v - max(logits)) for v in logits]
        return [e / sum(exps) for e in exps]

    def _block(self, prefix, hidden):
        heads, dim = self.config["n_heads"], self.config["dim"]
        size = dim // heads
        att = f"{prefix}.attention"
        q = [self._linear(f"{att}.q_lin", x) for x in hidden]
        k = [self._linear(f"{att}.k_lin", x) for x in hidden]
        v = [self._linear(f"{att}.v_lin", x) for x in hidden]
        context = []
        for i in range(len(hidden)):
            row = []
            for h in range(heads):
                cols = range(h * size, (h + 1) * size)
                scores = [
                    sum(q[i][c] * k[j][c] for c in cols) / math.sqrt(size)
                    for j in range(len(hidden))
                ]
                top = max(scores)
                weights = [math.exp(s - top) for s in scores]
                total = sum(weights)
                row.extend(
                    sum(weights[j] / total * v[j][c] for j in range(len(hidden))) for c in cols
                )
            context.append(row)
        attended = [
            self._layer_norm(
                f"{prefix}.sa_layer_norm",
                [a + b for a, b in zip(self._linear(f"{att}.out_lin", c), x, strict=True)],
            )
            for c, x in zip(context, hidden, strict=True)
        ]
        output = []
        for x in attended:
            inner = [
                0.5 * u * (1.0 + math.erf(u / math.sqrt(2.0)))
                for u in self._linear(f"{prefix}.ffn.lin1", x)
            ]
            ffn = self._linear(f"{prefix}.ffn.lin2", inner)
            output.append(
                self._layer_norm(
                    f"{prefix}.output_layer_norm", [a + b for a, b in zip(ffn, x, strict=True)]
                )
            )
        return output
