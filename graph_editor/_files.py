"""Output files: check a path before any work, then write it whole or not at all.

Every function that writes a file the user named (pictures, viewer pages) checks the path
first (a known suffix, an existing directory, not a directory) so a bad path fails before
the work, and writes through a temporary file in the same directory and ``os.replace``, so
a failure never leaves a half-written file or destroys the previous one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from graph_editor.errors import GraphEditTypeError, GraphEditValueError

__all__ = ["target", "write"]


def target(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    """Check ``path`` before any work: known suffix, existing directory, not a directory."""
    try:
        path = Path(path)
    except TypeError as e:
        raise GraphEditTypeError(f"{what}: path must be a str or os.PathLike, got {path!r}.") from e
    if path.suffix.lower() not in suffixes:
        raise GraphEditValueError(
            f"{what}: cannot write '{path}': the file name must end with one of "
            f"{', '.join(suffixes)}."
        )
    if path.is_dir():
        raise GraphEditValueError(
            f"{what}: '{path}' is a directory; give a file name such as '{path / 'model.html'}'."
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise GraphEditValueError(
            f"{what}: the directory '{parent}' of '{path}' does not exist; create it first "
            f"(os.makedirs('{parent}', exist_ok=True))."
        )
    return path


def write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same directory and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
