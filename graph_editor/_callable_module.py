"""Modules that are also callable as the function they are named after (private).

``graph_editor.rewrite`` defines ``rewrite()`` and ``graph_editor.passes.strip_unused``
defines ``strip_unused()``. Python binds the package attribute of that name to the
submodule whenever the submodule is imported, and ``import graph_editor.rewrite as m`` reads
that attribute: if the package rebound it to the function, ``m`` would be the function.
So the package attribute stays the module, and the module answers the call: ``ge.rewrite(...)``
and ``ge.passes.strip_unused(...)`` call the functions, ``import ... as m`` gives the module.

Example::

    # at the end of graph_editor/passes/strip_unused.py
    _callable_module.make_callable(__name__, strip_unused)
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

from graph_editor.errors import GraphEditAssertionError

__all__ = ["CallableModule", "make_callable"]


class CallableModule(types.ModuleType):
    """A module whose call is that of its function of the same name (looked up at each
    call, so the module's current attribute is what runs)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


def make_callable(module_name: str, fn: Callable[..., Any]) -> None:
    """Make module ``module_name`` callable as ``fn``, its function of the same name.

    Raises:
        GraphEditAssertionError: ``fn`` is not the module's function named after the module (a
            programming error in the package, caught at import).
    """
    module = sys.modules[module_name]
    short = module_name.rpartition(".")[2]
    if getattr(module, short, None) is not fn:
        raise GraphEditAssertionError(f"{module_name}.{short} is not {fn!r}")
    module.__class__ = CallableModule
