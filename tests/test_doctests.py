"""Run the ``>>>`` examples in graph_editor's docstrings, so they cannot rot.

Each docstring's examples run in order in a fresh namespace (in a temporary working directory)
holding the module's own names, ``ge``, ``tf``, ``np``, ``keras`` and the small graph most
examples use::

    graph: a, b (float32 [2] placeholders) -> c = a + b -> d = c * b -> e = tanh(d);
           f = -c (dangling)

with its tensors bound to ``a`` .. ``f``. Examples that need more build it in setup lines of
their own. ``# doctest: +SKIP`` marks the few that need a SavedModel on disk or Graphviz.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import diamond_graph

import graph_editor as ge

_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _doctests(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    found = doctest.DocTestFinder(exclude_empty=True).find(module, module_name)
    return [t for t in found if t.examples and t.name.startswith(module_name)]


def _modules_with_examples() -> list[str]:
    names = [ge.__name__] + [info.name for info in pkgutil.walk_packages(ge.__path__,
                                                                         prefix="graph_editor.")]
    return sorted(n for n in names if _doctests(n))


def namespace() -> dict:
    """The names every docstring example may use (see the module docstring)."""
    graph, tensors = diamond_graph()
    return dict(ge=ge, tf=tf, np=np, keras=keras, graph=graph, **tensors)


def test_every_module_with_examples_is_found():
    modules = _modules_with_examples()
    assert {"graph_editor.util", "graph_editor.select", "graph_editor.surgeon.layers"} <= set(
        modules)


# An example of a batch norm left in place shows the report; its warning is expected.
@pytest.mark.filterwarnings("ignore::graph_editor.errors.BatchNormNotFoldedWarning")
@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_docstring_examples(module_name, tmp_path, monkeypatch):
    module = importlib.import_module(module_name)
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    failures = []
    for test in _doctests(module_name):
        test.globs = {**vars(module), **namespace()}
        out: list[str] = []
        if runner.run(test, out=out.append, clear_globs=True).failed:
            failures.append("".join(out))
    if not runner.tries:
        pytest.skip("every example is marked +SKIP")
    assert not failures, "\n".join(failures)
