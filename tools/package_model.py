"""Package a Hugging Face model directory as a SageMaker ``model.tar.gz``, or check an archive.

Usage (from the repository root)::

    python -m tools.package_model MODEL_DIR OUTPUT.tar.gz [--force] [--hf-task TASK]
    python -m tools.package_model --check ARCHIVE.tar.gz [--hf-task TASK]

The first form checks MODEL_DIR against the Hugging Face DLC layout (``tools.model_layout``)
and writes a deterministic archive with the files at its root; it never overwrites an existing
file unless ``--force`` is given, and writes nothing when the layout is wrong. Missing output
folders are created (only once the model passed its checks). The second form
checks an existing archive before it is uploaded. Every problem is listed at once.

Exit codes: 0 success; 1 the model or archive has layout problems (each printed on stderr);
2 the command was misused (arguments, output path).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config.constants import MODEL_ARTIFACT_SUFFIX
from tools.model_archive import write_archive
from tools.model_files import ArchiveFiles, DirectoryFiles
from tools.model_layout import LayoutProblem, ProblemKind, check_layout

EXIT_OK = 0
EXIT_LAYOUT_PROBLEMS = 1
EXIT_USAGE = 2
OUTPUT_MODE = 0o644


class PackagingError(Exception):
    """The command cannot do what was asked; the message says why."""


class UsageError(PackagingError):
    """The arguments are wrong (output name, output location, missing directory)."""


class LayoutError(PackagingError):
    """The model has layout problems; nothing was written."""

    def __init__(self, source: Path, problems: list[LayoutProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(_problem_report(source, problems))


@dataclass(frozen=True)
class PackageResult:
    """What ``package`` wrote."""

    output: Path
    members: list[str]
    skipped: list[str]
    size: int
    sha256: str


def validate_model_dir(model_dir: Path | str, hf_task: str | None = None) -> list[LayoutProblem]:
    """Every layout problem of ``model_dir`` (unsafe entries included); [] when it is valid."""
    files = _read_model_dir(Path(model_dir))
    return [*files.problems, *check_layout(files, hf_task)]


def check_archive(archive: Path | str, hf_task: str | None = None) -> list[LayoutProblem]:
    """Every layout problem of an existing ``.tar.gz``; [] when the DLC can serve it."""
    archive = Path(archive)
    if not archive.is_file():
        raise UsageError(f"{archive}: no such file")
    problems = []
    if not archive.name.endswith(MODEL_ARTIFACT_SUFFIX):
        problems.append(
            LayoutProblem(
                ProblemKind.INVALID_ARCHIVE,
                archive.name,
                f"name must end with {MODEL_ARTIFACT_SUFFIX!r}: the registration function "
                "ignores any other upload",
            )
        )
    with ArchiveFiles(archive) as files:
        problems.extend(files.problems)
        if not any(p.kind is ProblemKind.INVALID_ARCHIVE for p in files.problems):
            problems.extend(check_layout(files, hf_task))
    return problems


def package(
    model_dir: Path | str,
    output: Path | str,
    *,
    force: bool = False,
    hf_task: str | None = None,
) -> PackageResult:
    """Check ``model_dir`` and write its deterministic archive to ``output``.

    Raises UsageError for a bad output path (wrong suffix, inside the model directory, a file
    where a folder should be, existing file without ``force``) and LayoutError listing every
    layout problem; in both cases nothing is written, not even a folder. Missing folders of
    ``output`` are created once the checks passed.
    """
    model_dir, output = Path(model_dir), Path(output)
    files = _read_model_dir(model_dir)
    _check_output(files.root, output, force=force)
    problems = [*files.problems, *check_layout(files, hf_task)]
    if problems:
        raise LayoutError(model_dir, problems)
    output.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial_name = tempfile.mkstemp(
        dir=output.parent, prefix=f".{output.name}.", suffix=".partial"
    )
    partial = Path(partial_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            members = write_archive(files, stream)
            stream.flush()
            os.fsync(stream.fileno())
        partial.chmod(OUTPUT_MODE)
        with partial.open("rb") as written:
            sha256 = hashlib.file_digest(written, "sha256").hexdigest()
        _publish(partial, output, force=force)
    finally:
        partial.unlink(missing_ok=True)
    return PackageResult(output, members, files.skipped, output.stat().st_size, sha256)


def _read_model_dir(model_dir: Path) -> DirectoryFiles:
    if not model_dir.is_dir():
        raise UsageError(f"{model_dir}: not a directory")
    return DirectoryFiles.read(model_dir)


def _check_output(model_root: Path, output: Path, *, force: bool) -> None:
    if not output.name.endswith(MODEL_ARTIFACT_SUFFIX):
        raise UsageError(
            f"{output}: the output name must end with {MODEL_ARTIFACT_SUFFIX!r} "
            "(the registration function ignores any other upload)"
        )
    parent = Path(os.path.realpath(output.parent))
    # A missing folder is created later; an existing non-folder on the way cannot be.
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise UsageError(f"{output}: {existing} is not a directory")
    if parent.is_relative_to(model_root):
        raise UsageError(
            f"{output}: inside the model directory {model_root}; the archive would package itself"
        )
    if output.is_dir():
        raise UsageError(f"{output}: is a directory")
    if (output.exists() or output.is_symlink()) and not force:
        raise UsageError(f"{output}: already exists; pass --force to replace it")


def _publish(partial: Path, output: Path, *, force: bool) -> None:
    if force:
        partial.replace(output)
        return
    try:
        # A hard link fails if the name appeared since the check: no silent overwrite.
        os.link(partial, output)
    except FileExistsError:
        raise UsageError(f"{output}: already exists; pass --force to replace it") from None


def _problem_report(source: Path, problems: list[LayoutProblem]) -> str:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    lines = [f"{source} is not in the Hugging Face DLC layout ({count}):"]
    lines.extend(f"  - {problem}" for problem in problems)
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.package_model",
        description="Package a Hugging Face model directory as a SageMaker model.tar.gz "
        "(files at the archive root, deterministic bytes), or check an existing archive.",
    )
    parser.add_argument("model_dir", nargs="?", type=Path, help="the model directory")
    parser.add_argument(
        "output", nargs="?", type=Path, help=f"the archive to write, ending {MODEL_ARTIFACT_SUFFIX}"
    )
    parser.add_argument(
        "--check", metavar="ARCHIVE", type=Path, help="check an existing archive instead"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    parser.add_argument(
        "--hf-task",
        metavar="TASK",
        help="the HF_TASK the endpoint sets (e.g. text-classification); lets a config.json "
        "without 'architectures' pass",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.check is not None and (args.model_dir or args.output or args.force):
        parser.error("--check takes only the archive (and optionally --hf-task)")
    if args.check is None and (args.model_dir is None or args.output is None):
        parser.error("give MODEL_DIR and OUTPUT.tar.gz, or --check ARCHIVE")
    try:
        if args.check is not None:
            return _run_check(args.check, args.hf_task)
        return _run_package(args.model_dir, args.output, args.force, args.hf_task)
    except LayoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_LAYOUT_PROBLEMS
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _run_check(archive: Path, hf_task: str | None) -> int:
    problems = check_archive(archive, hf_task)
    if problems:
        raise LayoutError(archive, problems)
    print(f"{archive}: Hugging Face DLC layout OK")
    return EXIT_OK


def _run_package(model_dir: Path, output: Path, force: bool, hf_task: str | None) -> int:
    result = package(model_dir, output, force=force, hf_task=hf_task)
    print(
        f"wrote {result.output} ({result.size} bytes, sha256 {result.sha256}) "
        f"with {len(result.members)} members:"
    )
    for member in result.members:
        print(f"  {member}")
    for name in result.skipped:
        print(f"  skipped (hidden or cache): {name}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
