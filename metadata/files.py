"""Input files read in bounded chunks: memory stays flat however many files an ingest is given."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from metadata.pipeline import Document

BATCH_BYTES = 8 * 1024 * 1024  # input bytes prepared at once: their parsed trees take several times more


def xml_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and *.xml files under folders named, in a stable order."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.xml") if p.is_file())
        else:
            yield path


def read_in_chunks(files: Iterable[Path], count: int, origin: str | None = None) -> Iterator[list[Document]]:
    """Each file's bytes as a Document (one that cannot be read says why, and the pipeline refuses it), in
    lists of at most count files and, unless one file alone is larger, BATCH_BYTES."""
    chunk: list[Document] = []
    size = 0
    for path in files:
        try:
            with open(path, "rb", buffering=0) as file:
                data = file.readall()
        except OSError as exc:
            chunk.append(Document(b"", os.fspath(path), unreadable=f"cannot read: {exc.strerror}"))
            continue
        if chunk and size + len(data) > BATCH_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(Document(data, os.fspath(path), origin=origin))
        size += len(data)
        if len(chunk) >= count:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
