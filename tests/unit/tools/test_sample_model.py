"""The committed sample model: it equals what the generator writes, it has exactly the tensors
transformers expects, and it classifies sentiment (ADR 0060).

transformers and torch are not installed by ``make test``. A pure-Python DistilBERT forward
pass (``tools/reference_forward_pass.py``) stands in for them here; its scores are checked
against the ones transformers 4.49.0 and 5.24.0 produced on this archive (recorded in ADR 0060),
so the stand-in itself is pinned to the real implementation.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import tarfile

import pytest

from tools.package_model import check_archive
from tools.reference_forward_pass import DistilBertReference, load_float32_tensors

# The state dict of DistilBertForSequenceClassification(dim=16, hidden_dim=32, n_layers=1,
# vocab_size=V, max_position_embeddings=512, num_labels=2), printed by transformers 5.24.0.
EXPECTED_SHAPES = {
    "distilbert.embeddings.word_embeddings.weight": ["V", 16],
    "distilbert.embeddings.position_embeddings.weight": [512, 16],
    "distilbert.embeddings.LayerNorm.weight": [16],
    "distilbert.embeddings.LayerNorm.bias": [16],
    **{
        f"distilbert.transformer.layer.0.attention.{proj}.{kind}": shape
        for proj in ("q_lin", "k_lin", "v_lin", "out_lin")
        for kind, shape in (("weight", [16, 16]), ("bias", [16]))
    },
    "distilbert.transformer.layer.0.sa_layer_norm.weight": [16],
    "distilbert.transformer.layer.0.sa_layer_norm.bias": [16],
    "distilbert.transformer.layer.0.ffn.lin1.weight": [32, 16],
    "distilbert.transformer.layer.0.ffn.lin1.bias": [32],
    "distilbert.transformer.layer.0.ffn.lin2.weight": [16, 32],
    "distilbert.transformer.layer.0.ffn.lin2.bias": [16],
    "distilbert.transformer.layer.0.output_layer_norm.weight": [16],
    "distilbert.transformer.layer.0.output_layer_norm.bias": [16],
    "pre_classifier.weight": [16, 16],
    "pre_classifier.bias": [16],
    "classifier.weight": [2, 16],
    "classifier.bias": [2],
}
# transformers' text-classification pipeline on the committed archive (ADR 0060).
RECORDED_PIPELINE_OUTPUT = [
    ("I loved this movie, the acting was great!", "POSITIVE", 0.994106650352478),
    ("What a terrible, boring film. I hated it.", "NEGATIVE", 0.999504566192627),
    ("The staff were friendly and the food was excellent.", "POSITIVE", 0.9869272112846375),
    ("The service was slow and the room was dirty.", "NEGATIVE", 0.9947704672813416),
    ("I watched it on a Tuesday.", "NEGATIVE", 0.5),
]


@pytest.fixture(scope="module")
def generator(sample_dir):
    path = sample_dir.parents[1] / "scripts" / "make_sample_model.py"
    spec = importlib.util.spec_from_file_location("make_sample_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(generator, tmp_path_factory):
    return generator.build(tmp_path_factory.mktemp("regenerated"))


def test_committed_model_directory_equals_the_generator_output(sample_dir, regenerated):
    model_dir, _archive = regenerated
    committed = {p.name: p.read_bytes() for p in sample_dir.iterdir()}
    generated = {p.name: p.read_bytes() for p in model_dir.iterdir()}

    assert sorted(committed) == sorted(generated)
    for name, content in generated.items():
        assert committed[name] == content, f"{name} drifted: run scripts/make_sample_model.py"


def test_committed_archive_holds_the_tar_stream_the_generator_writes(sample_archive, regenerated):
    _model_dir, archive = regenerated

    # The tar stream is identical everywhere; gzip bytes also depend on the zlib build.
    assert gzip.decompress(sample_archive.read_bytes()) == gzip.decompress(archive.read_bytes())


def test_generator_writes_the_same_archive_bytes_twice(generator, tmp_path):
    _first_dir, first = generator.build(tmp_path / "one")
    _second_dir, second = generator.build(tmp_path / "two")

    assert first.read_bytes() == second.read_bytes()


def test_committed_archive_passes_the_layout_check_and_is_small(sample_archive):
    assert check_archive(sample_archive) == []
    assert sample_archive.stat().st_size < 64 * 1024


def test_weights_have_exactly_the_tensors_transformers_expects(sample_dir):
    vocab_size = len((sample_dir / "vocab.txt").read_text().splitlines())
    header, tensors = load_float32_tensors(sample_dir)

    expected = {
        name: [vocab_size if size == "V" else size for size in shape]
        for name, shape in EXPECTED_SHAPES.items()
    }
    assert {name: shape for name, (shape, _values) in tensors.items()} == expected
    assert {entry["dtype"] for name, entry in header.items() if name != "__metadata__"} == {"F32"}
    assert header["__metadata__"] == {"format": "pt"}


def test_config_matches_vocabulary_and_labels(sample_dir):
    config = json.loads((sample_dir / "config.json").read_text())
    vocab = (sample_dir / "vocab.txt").read_text().splitlines()

    assert config["architectures"] == ["DistilBertForSequenceClassification"]
    assert config["model_type"] == "distilbert"
    assert config["vocab_size"] == len(vocab) == len(set(vocab))
    assert config["id2label"] == {"0": "NEGATIVE", "1": "POSITIVE"}
    assert config["label2id"] == {"NEGATIVE": 0, "POSITIVE": 1}
    assert vocab[config["pad_token_id"]] == "[PAD]"


@pytest.fixture(scope="module")
def reference(sample_dir):
    return DistilBertReference(sample_dir)


@pytest.mark.parametrize(("sentence", "label", "score"), RECORDED_PIPELINE_OUTPUT)
def test_reference_forward_pass_reproduces_the_recorded_transformers_output(
    reference, sentence, label, score
):
    predicted_label, predicted_score = reference.classify(sentence)

    assert predicted_label == label
    assert predicted_score == pytest.approx(score, abs=1e-5)


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("Wonderful hotel, lovely staff.", "POSITIVE"),
        ("The plot was dull and the ending was worse.", "NEGATIVE"),
        ("Good food but rude, slow and dirty.", "NEGATIVE"),
        ("Bad start, but a brilliant, fantastic, perfect ending!", "POSITIVE"),
    ],
)
def test_the_sample_classifies_by_its_lexicon(reference, sentence, label):
    probabilities = reference.probabilities(sentence)

    assert probabilities[reference.config["label2id"][label]] > 0.9


def test_a_sentence_without_sentiment_words_is_undecided(reference):
    assert reference.probabilities("I bought the book on a day in May.") == pytest.approx(
        [0.5, 0.5], abs=1e-6
    )


def test_archive_members_equal_the_committed_directory(sample_dir, sample_archive):
    with tarfile.open(sample_archive, "r:gz") as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}

    assert contents == {p.name: p.read_bytes() for p in sample_dir.iterdir()}
