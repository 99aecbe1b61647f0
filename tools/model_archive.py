"""Write a model's files as a deterministic ``.tar.gz`` (ADR 0063).

The same files give the same bytes: members in sorted path order, each directory before its
contents, no leading directory (``config.json``, not ``model/config.json``), POSIX.1-2001 (pax)
format, mtime 0, uid/gid 0, empty owner names, mode 0644 for files and 0755 for directories;
the gzip header carries mtime 0 and no file name. The compressed bytes also depend on the zlib
build; the uncompressed tar stream does not.
"""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import PurePosixPath
from typing import BinaryIO

from tools.model_files import DirectoryFiles

FILE_MODE = 0o644
DIRECTORY_MODE = 0o755
GZIP_LEVEL = 9
COPY_BUFFER_BYTES = 1 << 20


def archive_members(files: DirectoryFiles) -> list[str]:
    """The member names the archive of ``files`` holds, in archive order (directories end
    with ``/``)."""
    entries = {(*PurePosixPath(path).parts,): path for path in files.paths}
    for directory in files.directories:
        entries[(*PurePosixPath(directory).parts,)] = directory + "/"
    return [entries[parts] for parts in sorted(entries)]


def write_archive(files: DirectoryFiles, stream: BinaryIO) -> list[str]:
    """Write the deterministic ``.tar.gz`` of ``files`` to ``stream``; return its members."""
    members = archive_members(files)
    with (
        gzip.GzipFile(
            filename="", mode="wb", fileobj=stream, mtime=0, compresslevel=GZIP_LEVEL
        ) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for member in members:
            if member.endswith("/"):
                tar.addfile(_normalised_info(member.rstrip("/"), tarfile.DIRTYPE, 0))
                continue
            with files.open(member) as source:
                size = os.fstat(source.fileno()).st_size
                tar.addfile(_normalised_info(member, tarfile.REGTYPE, size), source)
    return members


def _normalised_info(name: str, kind: bytes, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mode = DIRECTORY_MODE if kind == tarfile.DIRTYPE else FILE_MODE
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
