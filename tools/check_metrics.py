"""Check a model's metrics file before uploading it.

Usage (from the repository root)::

    python -m tools.check_metrics path/to/model.metrics.json [...] [--require METRIC ...]

Says whether each file is acceptable to the registration function and, if not, lists every
problem with its JSON path. It runs the function's own parser (``lambda/registry``), so its
verdict is the function's. It also checks what the parser cannot see from the bytes alone:

- the file name: the model's key with ``.tar.gz`` replaced by ``.metrics.json``;
- the metrics the gate needs (``--require``; by default the default gate policy's primary
  metric and guards). Without them the model is never served automatically;
- ``artifact.sha256``, when the archive ``<stem>.tar.gz`` is next to the file.

Exit codes: 0 every file is acceptable; 1 a file has problems (each printed on stderr);
2 the command was misused or a file could not be read.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2

REGISTRY_DIR = Path(__file__).resolve().parent.parent / "lambda" / "registry"
# A private name: the tool never shadows or reuses a ``registry`` module of its caller.
_PACKAGE = "_lambda_registry"


def load_registry_module(name: str) -> ModuleType:
    """``lambda/registry/<name>.py``, imported from its path.

    ``lambda`` is a Python keyword, so ``lambda.registry`` cannot be imported, and putting the
    whole Lambda asset on sys.path would expose the handler's modules too. The package is
    loaded once under a private name; its modules import each other relatively.
    """
    if _PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            _PACKAGE,
            REGISTRY_DIR / "__init__.py",
            submodule_search_locations=[str(REGISTRY_DIR)],
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load the registry package from {REGISTRY_DIR}")
        package = importlib.util.module_from_spec(spec)
        sys.modules[_PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{_PACKAGE}.{name}")


metrics_file = load_registry_module("metrics_file")
gate = load_registry_module("gate")


def default_required_metrics() -> list[str]:
    policy = gate.GatePolicy()
    return [policy.primary_metric, *(guard.name for guard in policy.guards)]


def check_file(path: Path, data: bytes, required: Sequence[str]) -> tuple[list[str], list[str]]:
    """(problems, notes) for one metrics file's bytes read from ``path``."""
    problems: list[str] = []
    notes: list[str] = []
    if not path.name.endswith(metrics_file.METRICS_FILE_SUFFIX):
        problems.append(
            f"file name: must end in {metrics_file.METRICS_FILE_SUFFIX} (upload it as the "
            f"model's key with {metrics_file.MODEL_ARCHIVE_SUFFIX} replaced by "
            f"{metrics_file.METRICS_FILE_SUFFIX})"
        )
    try:
        parsed = metrics_file.parse_metrics_file(data)
    except metrics_file.MetricsFileError as error:
        return problems + [str(problem) for problem in error.problems], notes
    for name in required:
        if name not in parsed.metrics:
            problems.append(
                f"/metrics/{name}: missing; the gate compares it, so without it the model "
                f"waits for manual approval"
            )
    notes.append(
        "metrics: " + ", ".join(f"{name}={value!r}" for name, value in parsed.metrics.items())
    )
    sections = [
        name
        for name, value in (
            ("training", parsed.training),
            ("dataset", parsed.dataset),
            ("artifact", parsed.artifact_sha256),
            ("baseline", parsed.baseline),
        )
        if value is not None
    ]
    notes.append(f"optional sections: {', '.join(sections) or 'none'}")
    if parsed.artifact_sha256 is not None:
        problems += _check_archive(path, parsed.artifact_sha256, notes)
    return problems, notes


def _check_archive(path: Path, declared: str, notes: list[str]) -> list[str]:
    stem = path.name[: -len(metrics_file.METRICS_FILE_SUFFIX)]
    archive = path.with_name(stem + metrics_file.MODEL_ARCHIVE_SUFFIX)
    if not path.name.endswith(metrics_file.METRICS_FILE_SUFFIX) or not archive.is_file():
        notes.append("artifact.sha256 not checked: no archive next to the file")
        return []
    digest = hashlib.sha256()
    with archive.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != declared:
        return [
            f"/artifact/sha256: {declared} is not the SHA-256 of {archive.name} "
            f"({digest.hexdigest()})"
        ]
    notes.append(f"artifact.sha256 matches {archive.name}")
    return []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.check_metrics",
        description="Check model metrics files (<model>.metrics.json) before uploading them.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="METRICS_FILE")
    parser.add_argument(
        "--require",
        action="append",
        metavar="METRIC",
        help="a metric the gate compares (repeatable; default: "
        f"{', '.join(default_required_metrics())})",
    )
    args = parser.parse_args(argv)
    required = args.require if args.require is not None else default_required_metrics()

    exit_code = EXIT_OK
    for path in args.paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            print(f"error: cannot read {path}: {error.strerror or error}", file=sys.stderr)
            exit_code = EXIT_USAGE
            continue
        problems, notes = check_file(path, data, required)
        if problems:
            exit_code = max(exit_code, EXIT_PROBLEMS)
            count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
            print(f"{path}: NOT acceptable, {count}:", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
            continue
        print(f"{path}: acceptable")
        for note in notes:
            print(f"  {note}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
