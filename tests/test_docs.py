"""Run the examples in README.md and docs/*.md, so the docs cannot rot.

Every fenced ```python block runs; the blocks of one file run in order, in one fresh
namespace, in a temporary working directory. Blocks fenced otherwise (```text, ```console,
```pycon) are not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("**/*.md")])
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def test_docs_exist():
    names = {p.name for p in DOC_FILES}
    assert {"README.md", "index.md", "install.md", "contrib_api.md"} <= names


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_examples_run(path, tmp_path, monkeypatch):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip("no python examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"doc_{path.stem}"}
    for line, code in blocks:
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as e:  # pragma: no cover - the message is the point
            raise AssertionError(f"example at {path.name}:{line} failed: {e!r}") from e
