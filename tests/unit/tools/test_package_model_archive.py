"""``package`` and ``check_archive``: root-level members, deterministic bytes, refusals
(ADR 0063)."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile

import pytest

from tools.model_layout import ProblemKind
from tools.package_model import LayoutError, UsageError, check_archive, package

SAMPLE_FILES = [
    "config.json",
    "model.safetensors",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "vocab.txt",
]
GZIP_FLAG_FNAME = 0x08


def _members(archive):
    with tarfile.open(archive, "r:gz") as tar:
        return tar.getmembers()


def test_members_are_exactly_the_model_files_at_the_archive_root(model_dir, out_dir):
    result = package(model_dir, out_dir / "model.tar.gz")

    members = _members(result.output)
    assert [m.name for m in members] == SAMPLE_FILES
    assert result.members == SAMPLE_FILES
    with tarfile.open(result.output, "r:gz") as tar:
        for member in members:
            assert member.isreg()
            assert tar.extractfile(member).read() == (model_dir / member.name).read_bytes()


def test_member_metadata_is_normalised(model_dir, out_dir):
    (model_dir / "vocab.txt").chmod(0o600)
    os.utime(model_dir / "config.json", (1_700_000_000, 1_700_000_000))

    members = _members(package(model_dir, out_dir / "model.tar.gz").output)

    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {
        (0, 0, 0, "", "", 0o644)
    }


def test_code_directory_is_archived_after_its_directory_entry(model_dir, out_dir):
    (model_dir / "code").mkdir()
    (model_dir / "code" / "helpers.py").write_text("LABELS = 2\n")
    (model_dir / "code" / "inference.py").write_text("def model_fn(model_dir):\n    return 1\n")

    members = _members(package(model_dir, out_dir / "model.tar.gz").output)

    names = [m.name for m in members]
    assert names == [
        "code",
        "code/helpers.py",
        "code/inference.py",
        *SAMPLE_FILES,
    ]
    assert members[0].isdir()
    assert members[0].mode == 0o755


def test_two_runs_write_identical_bytes(model_dir, out_dir):
    first = package(model_dir, out_dir / "first.tar.gz")
    second = package(model_dir, out_dir / "second.tar.gz")

    assert first.output.read_bytes() == second.output.read_bytes()
    assert first.sha256 == second.sha256


def test_bytes_do_not_depend_on_file_times_permissions_or_creation_order(
    model_dir, tmp_path, out_dir
):
    reordered = tmp_path / "reordered"
    reordered.mkdir()
    for name in reversed(SAMPLE_FILES):
        shutil.copyfile(model_dir / name, reordered / name)
        (reordered / name).chmod(0o600)
        os.utime(reordered / name, (1_800_000_000, 1_800_000_000))

    original = package(model_dir, out_dir / "original.tar.gz")
    copy = package(reordered, out_dir / "copy.tar.gz")

    assert original.output.read_bytes() == copy.output.read_bytes()


def test_gzip_header_has_no_timestamp_and_no_file_name(model_dir, out_dir):
    header = package(model_dir, out_dir / "model.tar.gz").output.read_bytes()[:10]

    assert header[:2] == b"\x1f\x8b"
    assert header[3] & GZIP_FLAG_FNAME == 0
    assert header[4:8] == b"\0\0\0\0"


def test_result_reports_size_and_sha256_of_the_written_file(model_dir, out_dir):
    import hashlib

    result = package(model_dir, out_dir / "model.tar.gz")

    content = result.output.read_bytes()
    assert result.size == len(content)
    assert result.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("name", ["model.tgz", "model.tar", "model.gz", "model.tar.gz.bak"])
def test_an_output_name_not_ending_tar_gz_is_refused(model_dir, out_dir, name):
    with pytest.raises(UsageError, match=r"\.tar\.gz"):
        package(model_dir, out_dir / name)

    assert list(out_dir.iterdir()) == []


def test_an_existing_output_is_kept_without_force(model_dir, out_dir):
    output = out_dir / "model.tar.gz"
    output.write_bytes(b"previous model")

    with pytest.raises(UsageError, match="--force"):
        package(model_dir, output)

    assert output.read_bytes() == b"previous model"
    assert list(out_dir.iterdir()) == [output]


def test_force_replaces_an_existing_output(model_dir, out_dir):
    output = out_dir / "model.tar.gz"
    output.write_bytes(b"previous model")

    package(model_dir, output, force=True)

    assert [m.name for m in _members(output)] == SAMPLE_FILES


def test_an_output_inside_the_model_directory_is_refused(model_dir):
    with pytest.raises(UsageError, match="inside the model directory"):
        package(model_dir, model_dir / "model.tar.gz")

    assert not (model_dir / "model.tar.gz").exists()


def test_missing_output_folders_are_created(model_dir, tmp_path):
    output = tmp_path / "out" / "nested" / "model.tar.gz"

    result = package(model_dir, output)

    assert result.output == output
    assert [m.name for m in _members(output)] == SAMPLE_FILES


def test_a_bad_layout_creates_no_output_folder(model_dir, tmp_path):
    (model_dir / "config.json").unlink()

    with pytest.raises(LayoutError):
        package(model_dir, tmp_path / "out" / "model.tar.gz")

    assert not (tmp_path / "out").exists()


def test_an_output_below_a_file_is_refused(model_dir, tmp_path):
    (tmp_path / "out").write_text("not a folder")

    with pytest.raises(UsageError, match=r"out is not a directory"):
        package(model_dir, tmp_path / "out" / "nested" / "model.tar.gz")


def test_a_bad_layout_writes_nothing_and_lists_every_problem(model_dir, out_dir):
    (model_dir / "config.json").unlink()
    (model_dir / "vocab.txt").unlink()

    with pytest.raises(LayoutError) as raised:
        package(model_dir, out_dir / "model.tar.gz")

    assert [p.kind for p in raised.value.problems] == [
        ProblemKind.MISSING_CONFIG,
        ProblemKind.MISSING_TOKENIZER,
    ]
    assert "2 problems" in str(raised.value)
    assert list(out_dir.iterdir()) == []


def test_a_symlink_escaping_the_directory_writes_nothing(model_dir, tmp_path, out_dir):
    (tmp_path / "id_rsa").write_text("private")
    (model_dir / "notes.txt").symlink_to(tmp_path / "id_rsa")

    with pytest.raises(LayoutError, match=r"notes\.txt"):
        package(model_dir, out_dir / "model.tar.gz")

    assert list(out_dir.iterdir()) == []


def test_an_inner_symlink_is_archived_as_a_regular_file(model_dir, out_dir):
    (model_dir / "vocab.txt").rename(model_dir / "wordpiece.txt")
    (model_dir / "vocab.txt").symlink_to("wordpiece.txt")

    archive = package(model_dir, out_dir / "model.tar.gz").output

    with tarfile.open(archive, "r:gz") as tar:
        vocab = tar.getmember("vocab.txt")
        assert vocab.isreg()
        assert tar.extractfile(vocab).read() == (model_dir / "wordpiece.txt").read_bytes()


def test_hidden_entries_are_skipped_and_reported(model_dir, out_dir):
    (model_dir / ".DS_Store").write_bytes(b"\0")
    (model_dir / ".git").mkdir()
    (model_dir / ".git" / "HEAD").write_text("ref: refs/heads/main\n")

    result = package(model_dir, out_dir / "model.tar.gz")

    assert result.skipped == [".git/", ".DS_Store"]
    assert [m.name for m in _members(result.output)] == SAMPLE_FILES


# ----------------------------------------------------------------------------------------------
# check_archive
# ----------------------------------------------------------------------------------------------


def test_the_committed_sample_archive_passes_the_check(sample_archive):
    assert check_archive(sample_archive) == []


def test_an_archive_made_with_tar_dot_prefixes_passes(model_dir, out_dir):
    archive = out_dir / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model_dir, arcname=".")

    assert check_archive(archive) == []


def test_an_archive_with_a_leading_directory_is_pointed_out(model_dir, out_dir):
    archive = out_dir / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model_dir, arcname="model")

    problems = check_archive(archive)

    assert [p.kind for p in problems] == [
        ProblemKind.MISSING_CONFIG,
        ProblemKind.MISSING_WEIGHTS,
        ProblemKind.MISSING_TOKENIZER,
    ]
    assert "found model/config.json" in problems[0].message


def _archive_with(path, model_dir, extra):
    """A .tar.gz of the sample plus ``extra`` members (TarInfo, bytes | None)."""
    with tarfile.open(path, "w:gz") as tar:
        for name in sorted(os.listdir(model_dir)):
            tar.add(model_dir / name, arcname=name)
        for info, content in extra:
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return path


def _file_member(name, content=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(content)
    return info, content


def _link_member(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize(
    ("member", "named", "reason"),
    [
        (_file_member("../escape.txt"), "../escape.txt", "'..'"),
        (_file_member("/etc/cron.d/job"), "/etc/cron.d/job", "absolute"),
        (_file_member("code\\inference.py"), "code\\inference.py", "backslash"),
        (_link_member("notes.txt", "/etc/passwd"), "notes.txt", "link"),
        (_link_member("hard.txt", "config.json", tarfile.LNKTYPE), "hard.txt", "link"),
        (_link_member("fifo", "", tarfile.FIFOTYPE), "fifo", "special file"),
    ],
)
def test_unsafe_archive_members_are_named(model_dir, out_dir, member, named, reason):
    archive = _archive_with(out_dir / "model.tar.gz", model_dir, [member])

    (problem,) = check_archive(archive)

    assert (problem.kind, problem.path) == (ProblemKind.UNSAFE_ENTRY, named)
    assert reason in problem.message


def test_a_member_stored_twice_is_named(model_dir, out_dir):
    archive = _archive_with(
        out_dir / "model.tar.gz", model_dir, [_file_member("config.json", b"{}")]
    )

    problems = check_archive(archive)

    assert (ProblemKind.UNSAFE_ENTRY, "config.json") in [(p.kind, p.path) for p in problems]
    assert any("occurs 2 times" in p.message for p in problems)


@pytest.mark.parametrize(
    "content", [b"not an archive", gzip.compress(b"gzip but not tar" * 40), b""]
)
def test_a_file_that_is_not_a_gzip_tar_is_named(out_dir, content):
    archive = out_dir / "model.tar.gz"
    archive.write_bytes(content)

    (problem,) = check_archive(archive)

    assert (problem.kind, problem.path) == (ProblemKind.INVALID_ARCHIVE, "model.tar.gz")


def test_an_archive_not_named_tar_gz_is_named(sample_archive, out_dir):
    renamed = out_dir / "model.tgz"
    shutil.copyfile(sample_archive, renamed)

    (problem,) = check_archive(renamed)

    assert (problem.kind, problem.path) == (ProblemKind.INVALID_ARCHIVE, "model.tgz")
    assert ".tar.gz" in problem.message


def test_checking_a_missing_archive_is_a_usage_error(out_dir):
    with pytest.raises(UsageError, match="no such file"):
        check_archive(out_dir / "absent.tar.gz")


def test_archive_layout_problems_are_the_directory_rules(model_dir, out_dir):
    (model_dir / "model.safetensors").unlink()
    (model_dir / "code").mkdir()
    (model_dir / "code" / "helpers.py").write_text("LABELS = 2\n")
    archive = out_dir / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            tar.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False)

    assert [(p.kind, p.path) for p in check_archive(archive)] == [
        (ProblemKind.MISSING_WEIGHTS, "weights"),
        (ProblemKind.MISSING_INFERENCE_SCRIPT, "code/inference.py"),
    ]
