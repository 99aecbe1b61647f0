"""Layout rules of ``validate_model_dir``: each missing or broken piece is named (ADR 0062)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tools.model_layout import ProblemKind
from tools.package_model import UsageError, validate_model_dir
from tools.safetensors_io import Float32Tensor, encode_float32_tensors


def _kinds(problems):
    return [problem.kind for problem in problems]


def _shard(name: str) -> bytes:
    return encode_float32_tensors({name: Float32Tensor((2,), [1.0, 2.0])}, {"format": "pt"})


def _write_config(model_dir, **changes):
    config = json.loads((model_dir / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    (model_dir / "config.json").write_text(json.dumps(config))


def test_the_sample_model_directory_has_no_problem(sample_dir):
    assert validate_model_dir(sample_dir) == []


def test_a_path_that_is_not_a_directory_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not a directory"):
        validate_model_dir(tmp_path / "absent")


@pytest.mark.parametrize(
    ("removed", "kind", "named"),
    [
        (["config.json"], ProblemKind.MISSING_CONFIG, "config.json"),
        (["model.safetensors"], ProblemKind.MISSING_WEIGHTS, "model.safetensors"),
        (["vocab.txt"], ProblemKind.MISSING_TOKENIZER, "vocab.txt"),
    ],
)
def test_each_missing_required_piece_is_named(model_dir, removed, kind, named):
    for name in removed:
        (model_dir / name).unlink()

    problems = validate_model_dir(model_dir)

    assert _kinds(problems) == [kind]
    assert named in str(problems[0])


def test_missing_weights_message_lists_every_accepted_form(model_dir):
    (model_dir / "model.safetensors").unlink()

    (problem,) = validate_model_dir(model_dir)

    for form in (
        "model.safetensors",
        "pytorch_model.bin",
        "model.safetensors.index.json",
        "pytorch_model.bin.index.json",
    ):
        assert form in problem.message


def test_missing_tokenizer_message_lists_every_accepted_vocabulary(model_dir):
    (model_dir / "vocab.txt").unlink()

    (problem,) = validate_model_dir(model_dir)

    for form in ("tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "spiece.model"):
        assert form in problem.message


def test_all_problems_are_listed_at_once(model_dir):
    for name in ("config.json", "model.safetensors", "vocab.txt"):
        (model_dir / name).unlink()
    (model_dir / "tokenizer_config.json").write_text("{not json")

    kinds = _kinds(validate_model_dir(model_dir))

    assert kinds == [
        ProblemKind.MISSING_CONFIG,
        ProblemKind.MISSING_WEIGHTS,
        ProblemKind.MISSING_TOKENIZER,
        ProblemKind.INVALID_TOKENIZER,
    ]


def test_files_under_a_leading_directory_are_pointed_out(tmp_path, sample_dir):
    shutil.copytree(sample_dir, tmp_path / "wrapper" / "sentiment-model")

    problems = validate_model_dir(tmp_path / "wrapper")

    assert ProblemKind.MISSING_CONFIG in _kinds(problems)
    assert "sentiment-model/config.json" in str(problems[0])
    assert "root" in problems[0].message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_config_that_is_not_a_json_object_is_named(model_dir, content, reason):
    path = model_dir / "config.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)

    (problem,) = validate_model_dir(model_dir)

    assert problem.kind is ProblemKind.INVALID_CONFIG
    assert problem.path == "config.json"
    assert reason in problem.message


@pytest.mark.parametrize("model_type", [None, "", 7])
def test_config_needs_a_model_type(model_dir, model_type):
    _write_config(model_dir, model_type=model_type)

    (problem,) = validate_model_dir(model_dir)

    assert problem.kind is ProblemKind.INVALID_CONFIG
    assert "model_type" in problem.message


@pytest.mark.parametrize("architectures", [None, [], "DistilBertForSequenceClassification", [""]])
def test_config_needs_architectures_without_a_declared_task(model_dir, architectures):
    _write_config(model_dir, architectures=architectures)

    (problem,) = validate_model_dir(model_dir)

    assert problem.kind is ProblemKind.INVALID_CONFIG
    assert "architectures" in problem.message


def test_a_declared_hf_task_lets_a_config_without_architectures_pass(model_dir):
    _write_config(model_dir, architectures=None)

    assert validate_model_dir(model_dir, hf_task="text-classification") == []


def test_a_declared_hf_task_does_not_excuse_malformed_architectures(model_dir):
    _write_config(model_dir, architectures="DistilBertForSequenceClassification")

    problems = validate_model_dir(model_dir, hf_task="text-classification")

    assert _kinds(problems) == [ProblemKind.INVALID_CONFIG]


def test_pytorch_pickle_weights_are_accepted(model_dir):
    (model_dir / "model.safetensors").rename(model_dir / "pytorch_model.bin")

    assert validate_model_dir(model_dir) == []


def test_only_tensorflow_weights_are_named_as_unusable(model_dir):
    (model_dir / "model.safetensors").rename(model_dir / "tf_model.h5")

    (problem,) = validate_model_dir(model_dir)

    assert problem.kind is ProblemKind.MISSING_WEIGHTS
    assert "found tf_model.h5" in problem.message


def test_a_truncated_safetensors_file_is_named(model_dir):
    weights = model_dir / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4])

    (problem,) = validate_model_dir(model_dir)

    assert problem.kind is ProblemKind.INVALID_WEIGHTS
    assert problem.path == "model.safetensors"


def _shard_model(model_dir, weight_map):
    (model_dir / "model.safetensors").unlink()
    (model_dir / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": weight_map})
    )


def test_sharded_safetensors_with_every_shard_present_is_accepted(model_dir):
    _shard_model(model_dir, {"a": "model-1-of-2.safetensors", "b": "model-2-of-2.safetensors"})
    (model_dir / "model-1-of-2.safetensors").write_bytes(_shard("a"))
    (model_dir / "model-2-of-2.safetensors").write_bytes(_shard("b"))

    assert validate_model_dir(model_dir) == []


def test_each_missing_shard_is_named(model_dir):
    _shard_model(
        model_dir,
        {
            "a": "model-1-of-3.safetensors",
            "b": "model-2-of-3.safetensors",
            "c": "model-3-of-3.safetensors",
        },
    )
    (model_dir / "model-2-of-3.safetensors").write_bytes(_shard("b"))

    problems = validate_model_dir(model_dir)

    assert [(p.kind, p.path) for p in problems] == [
        (ProblemKind.MISSING_SHARD, "model-1-of-3.safetensors"),
        (ProblemKind.MISSING_SHARD, "model-3-of-3.safetensors"),
    ]
    assert "model.safetensors.index.json" in problems[0].message


@pytest.mark.parametrize(
    "weight_map", [{}, {"a": 3}, {"a": "sub/model-1.safetensors"}, {"a": "model-1.bin"}]
)
def test_a_malformed_shard_index_is_named(model_dir, weight_map):
    _shard_model(model_dir, weight_map)

    (problem,) = validate_model_dir(model_dir)

    assert problem.kind is ProblemKind.INVALID_WEIGHTS
    assert problem.path == "model.safetensors.index.json"


def test_a_shard_index_that_is_not_json_is_named(model_dir):
    (model_dir / "pytorch_model.bin.index.json").write_text("weight_map: shards")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (
        ProblemKind.INVALID_WEIGHTS,
        "pytorch_model.bin.index.json",
    )


@pytest.mark.parametrize(
    "vocabulary",
    [["tokenizer.json"], ["vocab.json", "merges.txt"], ["spiece.model"], ["tokenizer.model"]],
)
def test_every_tokenizer_vocabulary_form_is_accepted(model_dir, vocabulary):
    (model_dir / "vocab.txt").unlink()
    for name in vocabulary:
        (model_dir / name).write_text("{}" if name.endswith(".json") else "content\n")

    assert validate_model_dir(model_dir) == []


@pytest.mark.parametrize(
    ("present", "missing"), [("vocab.json", "merges.txt"), ("merges.txt", "vocab.json")]
)
def test_half_a_bpe_vocabulary_names_the_missing_partner(model_dir, present, missing):
    (model_dir / "vocab.txt").unlink()
    (model_dir / present).write_text("{}")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.INCOMPLETE_TOKENIZER, missing)


@pytest.mark.parametrize("name", ["tokenizer.json", "special_tokens_map.json", "added_tokens.json"])
def test_an_invalid_tokenizer_json_file_is_named(model_dir, name):
    (model_dir / name).write_text("[]")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.INVALID_TOKENIZER, name)


def test_an_empty_wordpiece_vocabulary_is_named(model_dir):
    (model_dir / "vocab.txt").write_text("\n")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.INVALID_TOKENIZER, "vocab.txt")


def test_a_code_directory_with_its_inference_script_is_accepted(model_dir):
    (model_dir / "code").mkdir()
    (model_dir / "code" / "inference.py").write_text("def model_fn(model_dir):\n    return 1\n")
    (model_dir / "code" / "helpers.py").write_text("LABELS = 2\n")

    assert validate_model_dir(model_dir) == []


def test_code_requirements_are_refused_because_the_endpoint_has_no_network(model_dir):
    (model_dir / "code").mkdir()
    (model_dir / "code" / "inference.py").write_text("def model_fn(model_dir):\n    return 1\n")
    (model_dir / "code" / "requirements.txt").write_text("numpy==2.1.0\n")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.NEEDS_NETWORK, "code/requirements.txt")
    assert "network isolation" in problem.message


@pytest.mark.parametrize("contents", [[], ["utils.py"], ["helpers.py"]])
def test_a_code_directory_without_inference_py_is_named(model_dir, contents):
    (model_dir / "code").mkdir()
    for name in contents:
        (model_dir / "code" / name).write_text("x = 1\n")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (
        ProblemKind.MISSING_INFERENCE_SCRIPT,
        "code/inference.py",
    )


def test_an_inference_script_that_does_not_compile_is_named(model_dir):
    (model_dir / "code").mkdir()
    (model_dir / "code" / "inference.py").write_text("def model_fn(model_dir)\n    return 1\n")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (
        ProblemKind.INVALID_INFERENCE_SCRIPT,
        "code/inference.py",
    )


@pytest.mark.parametrize("name", ["inference.py", "requirements.txt"])
def test_code_files_at_the_root_are_named_as_misplaced(model_dir, name):
    (model_dir / name).write_text("x = 1\n")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.MISPLACED_CODE, name)
    assert "code/" in problem.message


def test_a_code_file_instead_of_a_directory_is_named(model_dir):
    (model_dir / "code").write_text("x = 1\n")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.MISPLACED_CODE, "code")


def test_a_symlink_to_a_file_outside_the_directory_is_refused(model_dir, tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_text("{}")
    (model_dir / "added_tokens.json").symlink_to(outside)

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.UNSAFE_ENTRY, "added_tokens.json")
    assert "outside the model directory" in problem.message


def test_a_relative_symlink_climbing_out_is_refused(model_dir, tmp_path):
    (tmp_path / "secret.txt").write_text("token")
    (model_dir / "notes.txt").symlink_to("../secret.txt")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.UNSAFE_ENTRY, "notes.txt")


def test_a_symlink_to_a_file_inside_the_directory_is_accepted(model_dir):
    (model_dir / "vocab.txt").rename(model_dir / "wordpiece.txt")
    (model_dir / "vocab.txt").symlink_to("wordpiece.txt")

    assert validate_model_dir(model_dir) == []


def test_broken_symlinks_and_directory_symlinks_are_refused(model_dir, tmp_path):
    (model_dir / "dangling.json").symlink_to(tmp_path / "nothing-here")
    (tmp_path / "real-code").mkdir()
    (model_dir / "code").symlink_to(tmp_path / "real-code", target_is_directory=True)

    problems = validate_model_dir(model_dir)

    assert sorted((p.kind, p.path) for p in problems) == [
        (ProblemKind.UNSAFE_ENTRY, "code"),
        (ProblemKind.UNSAFE_ENTRY, "dangling.json"),
    ]


def test_a_fifo_is_refused(model_dir):
    os.mkfifo(model_dir / "pipe")

    (problem,) = validate_model_dir(model_dir)

    assert (problem.kind, problem.path) == (ProblemKind.UNSAFE_ENTRY, "pipe")


def test_hidden_entries_are_not_checked(model_dir):
    (model_dir / ".git").mkdir()
    (model_dir / ".git" / "config.json").write_text("not json")
    (model_dir / ".DS_Store").write_bytes(b"\0")

    assert validate_model_dir(model_dir) == []
