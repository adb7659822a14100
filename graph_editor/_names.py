"""Resolving user-given tensor names in the graphs of TF2 functions.

Names in a function's editable graph carry prefixes users rarely know in advance
(``StatefulPartitionedCall/sequential_1/dense_1/BiasAdd:0`` after inlining, ``_1`` suffixes
that depend on how often Keras traced a model). :func:`resolve_tensor` accepts:

- an exact tensor name (``"dense_1/BiasAdd:0"``) or an exact op name (its output 0);
- a unique suffix at a name-scope boundary (``"dense_1/BiasAdd:0"`` or ``"dense_1/BiasAdd"``
  for ``"StatefulPartitionedCall/dense_1/BiasAdd:0"``);
- failing that, a unique suffix match ignoring ``_<n>`` suffixes of name scopes, which
  depend on how often a model was traced (``"fc1/BiasAdd"`` for
  ``"sequential_1/fc1_1/BiasAdd:0"``);
- a ``tf.Tensor`` of the graph.

An unknown or ambiguous name raises :class:`~graph_editor.errors.GraphEditKeyError` listing
the closest candidates.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import tensorflow as tf

from graph_editor import util
from graph_editor.errors import GraphEditKeyError, GraphEditTypeError, GraphMismatchError

__all__ = ["resolve_tensor", "resolve_tensors", "tensor_names"]

_MAX_CANDIDATES = 6


def _split(name: str) -> tuple[str, int | None]:
    """``"a/b:1"`` -> ``("a/b", 1)``; ``"a/b"`` -> ``("a/b", None)``."""
    op_name, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return op_name, int(index)
    return name, None


_TRACE_SUFFIX = re.compile(r"_\d+(?=/|$)")


def _normalize(name: str) -> str:
    """``"seq_1/fc1_1/BiasAdd"`` -> ``"seq/fc1/BiasAdd"`` (drop ``_<n>`` scope suffixes)."""
    return _TRACE_SUFFIX.sub("", name)


def tensor_names(graph: tf.Graph) -> list[str]:
    """Every tensor name of ``graph``, in op creation order."""
    return [t.name for op in graph.get_operations() for t in op.outputs]


def _closest(graph: tf.Graph, name: str) -> list[str]:
    """Tensor names closest to ``name``: by whole name, then by last name component."""
    names = tensor_names(graph)
    close = difflib.get_close_matches(name, names, n=_MAX_CANDIDATES, cutoff=0.5)
    by_base: dict[str, list[str]] = {}
    for n in names:
        by_base.setdefault(n.rsplit("/", 1)[-1], []).append(n)
    base = name.rsplit("/", 1)[-1]
    if ":" not in base:
        base += ":0"
    for b in difflib.get_close_matches(base, list(by_base), n=_MAX_CANDIDATES, cutoff=0.5):
        for n in by_base[b]:
            if len(close) < _MAX_CANDIDATES and n not in close:
                close.append(n)
    return close


def _output(op: tf.Operation, index: int, name: str) -> tf.Tensor:
    if index >= len(op.outputs):
        raise GraphEditKeyError(
            f"Op '{op.name}' has {len(op.outputs)} output(s); '{name}' asks for output "
            f"{index}. Use one of {[t.name for t in op.outputs]}."
        )
    return op.outputs[index]


def resolve_tensor(graph: tf.Graph, name: Any, what: str = "tensor") -> tf.Tensor:
    """The tensor of ``graph`` that ``name`` designates (see the module docstring).

    Args:
        graph: the graph to search.
        name: a tensor of ``graph``, a tensor name, an op name, or a unique suffix of one.
        what: how to call the argument in error messages.

    Raises:
        GraphEditKeyError: no such tensor, or the suffix matches several (the message lists
            the closest names).
        GraphMismatchError: a tensor of another graph.
        GraphEditTypeError: neither a tensor nor a string.

    Example:
        >>> ge.functions.resolve_tensor(graph, "dense_1/BiasAdd:0").name
        'StatefulPartitionedCall/sequential/dense_1/BiasAdd:0'
    """
    if isinstance(name, tf.Tensor):
        if getattr(name, "graph", None) is not graph:  # eager tensors have no graph
            raise GraphMismatchError(
                f"The {what} '{getattr(name, 'name', name)}' is not in the edited graph "
                f"'{getattr(graph, 'name', graph)}'. Pass a tensor of that graph or its name "
                "(graphs from ge.graph_from_function are copies: look tensors up by name)."
            )
        return name
    if not isinstance(name, str):
        raise GraphEditTypeError(
            f"Expected a tensor or a tensor name for {what}, got {util._describe(name)}."
        )
    op_name, index = _split(name)
    op = _get_op(graph, op_name)
    if op is not None:
        return _output(op, index or 0, name)
    suffix = "/" + op_name
    matches = [o for o in graph.get_operations() if o.name.endswith(suffix)]
    if len(matches) == 1:
        return _output(matches[0], index or 0, name)
    if matches:
        shown = [f"{o.name}:{index or 0}" for o in matches[:_MAX_CANDIDATES]]
        more = f" (and {len(matches) - len(shown)} more)" if len(matches) > len(shown) else ""
        raise GraphEditKeyError(
            f"The {what} name '{name}' is ambiguous: it matches {len(matches)} tensors: "
            f"{shown}{more}. Give a longer suffix or the full name."
        )
    # Trace-count suffixes: Keras names scopes "fc1_1" when layer "fc1" is traced again.
    normal = _normalize(op_name)
    matches = [o for o in graph.get_operations() if _normalize(o.name).endswith("/" + normal)
               or _normalize(o.name) == normal]
    if len(matches) == 1:
        return _output(matches[0], index or 0, name)
    if matches:
        shown = [f"{o.name}:{index or 0}" for o in matches[:_MAX_CANDIDATES]]
        raise GraphEditKeyError(
            f"The {what} name '{name}' is ambiguous: ignoring '_<n>' suffixes it matches "
            f"{len(matches)} tensors: {shown}. Give the full name."
        )
    close = _closest(graph, name)
    hint = f" Closest names: {close}." if close else ""
    raise GraphEditKeyError(
        f"No tensor named '{name}' (nor any name ending in '/{name}') in graph "
        f"'{getattr(graph, 'name', '')}'.{hint}"
    )


def _get_op(graph: tf.Graph, op_name: str) -> tf.Operation | None:
    try:
        return graph.get_operation_by_name(op_name)
    except (KeyError, ValueError):
        return None


def resolve_tensors(graph: tf.Graph, names: Any, what: str = "tensor") -> list[tf.Tensor]:
    """:func:`resolve_tensor` for one name/tensor or a list of them (order kept).

    Example:
        >>> [t.name for t in ge.functions.resolve_tensors(graph, ["h1", "h2:0"])]
        ['h1:0', 'h2:0']
    """
    if isinstance(names, (str, tf.Tensor)):
        names = [names]
    try:
        items = list(names)
    except TypeError:
        raise GraphEditTypeError(
            f"Expected a tensor, a name or a list of them for {what}, got "
            f"{util._describe(names)}."
        ) from None
    return [resolve_tensor(graph, n, what) for n in items]
