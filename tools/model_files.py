"""Read a model's files from a directory or from a ``.tar.gz``, refusing entries that are unsafe.

Both readers give the layout checker (``tools.model_layout``) the same view: root-relative POSIX
paths of regular files. What is refused, and why (ADR 0063):

- Directory: a symlink whose target lies outside the model directory, a broken symlink, a
  symlink to a directory, and anything that is not a regular file (FIFO, socket, device).
  A symlink to a regular file inside the directory is read through: the archive gets the
  file's content, never a link. Hidden entries (``.git``, ``.DS_Store``...) and
  ``__pycache__`` are skipped and reported as skipped.
- Archive: absolute member names, ``..`` components, backslashes, link and device members, and
  names that occur twice; an extractor could write outside ``/opt/ml/model`` or keep the wrong
  copy. A leading ``./`` is accepted (``tar -C DIR -czf out.tar.gz .`` writes it).
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tools.model_layout import LayoutProblem, ProblemKind

SKIPPED_DIRECTORY_NAMES = frozenset({"__pycache__"})


def _is_skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRECTORY_NAMES


def _parents(paths: frozenset[str]) -> frozenset[str]:
    return frozenset(
        str(parent)
        for path in paths
        for parent in PurePosixPath(path).parents
        if str(parent) != "."
    )


@dataclass(frozen=True)
class DirectoryFiles:
    """A model directory's regular files; ``sources`` maps each to the file read for it."""

    root: Path
    sources: dict[str, Path]
    problems: list[LayoutProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Directories as found on disk, so that an empty ``code/`` is still seen.
    found_directories: frozenset[str] = frozenset()

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self.sources)

    @property
    def directories(self) -> frozenset[str]:
        return self.found_directories | _parents(self.paths)

    def size(self, path: str) -> int:
        return self.sources[path].stat().st_size

    @contextmanager
    def open(self, path: str) -> Iterator[BinaryIO]:
        with self.sources[path].open("rb") as stream:
            yield stream

    @classmethod
    def read(cls, root: Path) -> DirectoryFiles:
        """Walk ``root`` (a directory) in sorted order."""
        real_root = Path(os.path.realpath(root))
        sources: dict[str, Path] = {}
        problems: list[LayoutProblem] = []
        skipped: list[str] = []
        directories: set[str] = set()
        for current, dirnames, filenames in os.walk(real_root, followlinks=False):
            relative_dir = PurePosixPath(Path(current).relative_to(real_root).as_posix())
            kept_dirs = []
            for name in sorted(dirnames):
                relative = str(relative_dir / name)
                if _is_skipped(name):
                    skipped.append(relative + "/")
                elif Path(current, name).is_symlink():
                    problems.append(
                        _unsafe(relative, "is a symlink to a directory; use a real directory")
                    )
                else:
                    kept_dirs.append(name)
                    directories.add(relative)
            dirnames[:] = kept_dirs
            for name in sorted(filenames):
                relative = str(relative_dir / name)
                if _is_skipped(name):
                    skipped.append(relative)
                    continue
                source, problem = _regular_file(Path(current, name), relative, real_root)
                if problem:
                    problems.append(problem)
                else:
                    sources[relative] = source
        return cls(real_root, sources, problems, skipped, frozenset(directories))


def _regular_file(path: Path, relative: str, real_root: Path) -> tuple[Path, LayoutProblem | None]:
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return path, _unsafe(relative, "has a name that is not valid UTF-8")
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.exists():
            return path, _unsafe(relative, f"is a broken symlink (to {os.readlink(path)})")
        if not target.is_relative_to(real_root):
            return path, _unsafe(
                relative,
                f"is a symlink to {target}, outside the model directory; copy the file in "
                "(e.g. cp -L)",
            )
        path = target
    if not stat.S_ISREG(path.stat().st_mode):
        return path, _unsafe(relative, "is not a regular file (FIFO, socket or device)")
    return path, None


def _unsafe(path: str, message: str) -> LayoutProblem:
    return LayoutProblem(ProblemKind.UNSAFE_ENTRY, path, message)


class ArchiveFiles:
    """The regular-file members of a ``.tar.gz``; use as a context manager."""

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.problems: list[LayoutProblem] = []
        self._members: dict[str, tarfile.TarInfo] = {}
        self._directories: set[str] = set()
        self._tar: tarfile.TarFile | None = None

    def __enter__(self) -> ArchiveFiles:
        try:
            self._tar = tarfile.open(self.archive, mode="r:gz")  # closed in __exit__
            members = self._tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as error:
            self.problems.append(
                LayoutProblem(
                    ProblemKind.INVALID_ARCHIVE,
                    self.archive.name,
                    f"is not a readable gzip-compressed tar archive ({error})",
                )
            )
            return self
        self._index(members)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._tar is not None:
            self._tar.close()

    def _index(self, members: list[tarfile.TarInfo]) -> None:
        counts = Counter(_normalised(member.name) for member in members)
        for name, count in sorted(counts.items()):
            if count > 1 and name:
                self.problems.append(
                    _unsafe(name, f"occurs {count} times; extraction would keep only the last")
                )
        for member in members:
            name = _normalised(member.name)
            if not name:
                continue
            reason = _unsafe_name_reason(member.name)
            if reason:
                self.problems.append(_unsafe(member.name, reason))
            elif member.isreg():
                self._members[name] = member
            elif member.isdir():
                self._directories.add(name)
            else:
                kind = "link" if member.issym() or member.islnk() else "special file"
                self.problems.append(
                    _unsafe(name, f"is a {kind} member; the archive may hold regular files only")
                )

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self._members)

    @property
    def directories(self) -> frozenset[str]:
        return frozenset(self._directories) | _parents(self.paths)

    def size(self, path: str) -> int:
        return self._members[path].size

    @contextmanager
    def open(self, path: str) -> Iterator[BinaryIO]:
        if self._tar is None:
            raise RuntimeError("ArchiveFiles must be entered before reading members")
        stream = self._tar.extractfile(self._members[path])
        if stream is None:
            raise RuntimeError(f"{path} has no content")
        with stream:
            yield stream


def _normalised(name: str) -> str:
    """The member name without leading ``./`` and trailing ``/``; "" for the root itself."""
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if name != "." else ""


def _unsafe_name_reason(name: str) -> str:
    if name.startswith("/"):
        return "is an absolute path; members must be relative to the model root"
    if "\\" in name:
        return "contains a backslash; members must use '/' separators"
    if ".." in PurePosixPath(name).parts:
        return "contains '..'; an extractor could write outside the model directory"
    return ""
