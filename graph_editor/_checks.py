"""Checking arguments and describing objects in error messages (private).

Every public function validates its arguments before the first change, with messages that
name the argument, what was given and what is expected; these helpers are the shared
vocabulary (``util`` re-exports them for the other modules).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import tensorflow as tf

from graph_editor.errors import GraphEditTypeError, GraphEditValueError

__all__ = [
    "check_flag",
    "check_callable",
    "check_scope",
    "OP_NAME",
]

OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")  # TF's rule for op names


def _describe(obj: Any) -> str:
    """A short, readable description of ``obj`` for error messages."""
    if isinstance(obj, tf.Operation):
        return f"op '{obj.name}' (type {obj.type})"
    if isinstance(obj, tf.Variable):
        return f"tf.Variable '{obj.name}'"
    if isinstance(obj, tf.Tensor):
        if _is_eager(obj):
            return "an eager tf.Tensor"
        return f"tensor '{obj.name}'"
    if isinstance(obj, tf.Graph):
        return _graph_text(obj)
    text = repr(obj)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(obj).__name__} {text}"


def _graph_text(graph: Any) -> str:
    """A graph for messages: a function's graph by name, else its ops and address."""
    name = getattr(graph, "name", None)
    if isinstance(name, str) and name:
        return f"the graph of function '{name}'"
    try:
        n: int | str = len(graph.get_operations())
    except Exception:  # noqa: BLE001 - a description must never fail
        n = "?"
    return f"a tf.Graph with {n} ops (at 0x{id(graph):x})"


def _is_eager(obj: Any) -> bool:
    """An eager tensor or variable handle: it has no graph to edit."""
    return isinstance(obj, tf.Tensor) and not tf.is_symbolic_tensor(obj)


def _eager_error(obj: Any, what: str = "argument") -> GraphEditTypeError:
    return GraphEditTypeError(
        f"{what}: got an eager tf.Tensor (value {_clip_repr(obj)}); graph_editor edits graphs. "
        "Pass a tensor of a tf.Graph (built under `with graph.as_default():`) or of a "
        "tf.function's graph (`ge.graph_from_function(f)`)."
    )


def _clip_repr(obj: Any, width: int = 40) -> str:
    try:
        text = repr(obj.numpy()) if hasattr(obj, "numpy") else repr(obj)
    except Exception:  # noqa: BLE001
        text = type(obj).__name__
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def check_flag(value: Any, name: str) -> bool:
    """``value`` as a bool, if it is one (``True``/``False``, NumPy bools, 0 and 1).

    Raises:
        GraphEditTypeError: naming ``name``, for anything else (a tensor, a list, ...):
            ``if tensor`` is not allowed in a graph and would fail deep in the call.

    Example:
        >>> ge.util.check_flag(True, "inclusive")
        True
    """
    if isinstance(value, (bool, np.bool_)) or (
            isinstance(value, (int, np.integer)) and value in (0, 1)):
        return bool(value)
    raise GraphEditTypeError(f"{name} must be True or False, got {_describe(value)}.")


def check_callable(value: Any, name: str, allow_none: bool = True) -> Any:
    """``value`` if it is callable (or None when ``allow_none``); else a clear ge error."""
    if (value is None and allow_none) or callable(value):
        return value
    raise GraphEditTypeError(
        f"{name} must be a function{' or None' if allow_none else ''}, got "
        f"{_describe(value)}."
    )


def check_scope(value: Any, name: str = "scope", new: bool = False) -> str:
    """``value`` if it is a name-scope string; else a clear ge error naming ``name``.

    With ``new``, the scope is one ops will be created in, so it must also be a valid op
    name prefix (letters, digits and ``. _ - /``).
    """
    if not isinstance(value, str):
        raise GraphEditTypeError(
            f"{name} must be a string (a name scope such as 'block_1/'), got "
            f"{_describe(value)}."
        )
    if new and value and not OP_NAME.match(value):
        raise GraphEditValueError(
            f"{name} '{value}' is not a valid name scope: use letters, digits and . _ - / "
            "only, starting with a letter, digit or '.'."
        )
    return value


def _hint_for(obj: Any, expected: str) -> str:
    """A fix suggestion when ``obj`` was given where ``expected`` was needed."""
    if isinstance(obj, tf.Variable):
        return (
            " Pass the variable's op (`v.op`) or the tensor it is read through "
            "(e.g. `v.value()`) instead."
        )
    if expected == "op" and isinstance(obj, tf.Tensor):
        return " Pass the op that produces it (`t.op`) instead, or use ignore_ts=True."
    if expected == "tensor" and isinstance(obj, tf.Operation):
        return " Pass one of its outputs (`op.outputs[i]`) instead, or use ignore_ops=True."
    return ""
