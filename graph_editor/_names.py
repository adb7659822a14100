"""Resolving user-given tensor names in the graphs of TF2 functions.

Names in a function's editable graph carry prefixes users rarely know in advance
(``StatefulPartitionedCall/sequential_1/dense_1/BiasAdd:0`` after inlining) and ``_<n>``
trace suffixes: TF makes a re-entered name scope unique by appending ``_<n>``, and Keras 3
enters each layer's scope twice, so layer ``fc1`` runs in scope ``fc1_1`` and an
auto-named layer ``dense_1`` in ``dense_1_2``. :func:`resolve_tensor` accepts, in this
order of precedence:

1. an exact tensor name (``"dense_1/BiasAdd:0"``) or an exact op name (its output 0);
2. a unique suffix at a name-scope boundary (``"dense_1/BiasAdd:0"`` or ``"dense_1/BiasAdd"``
   for ``"StatefulPartitionedCall/dense_1/BiasAdd:0"``);
3. failing that, a unique suffix where each *scope* of the graph's name may carry one
   ``_<n>`` trace suffix that the given name lacks: ``"fc1/BiasAdd"`` and
   ``"sequential/fc1/BiasAdd"`` find ``"sequential_1/fc1_1/BiasAdd:0"``, ``"dense_1/Relu"``
   finds ``"functional_1/dense_1_2/Relu:0"``. The given name is taken literally (its own
   ``_1`` is part of the layer name) and the op's own name is compared exactly, so
   ``"act/mul"`` never matches ``".../act_1/mul_1"``. If several ops match and exactly one
   carries a trace suffix on every given scope (the Keras reading), it wins:
   ``"functional/dense_1/Relu"`` finds ``".../functional_1/dense_1_2/Relu"``, not
   ``".../functional_1/dense_1/Relu"``;
4. a ``tf.Tensor`` of the graph.

Rule 2 wins over rule 3 even when both apply: with Keras auto-named layers ``dense`` and
``dense_1``, ``"dense_1/Relu"`` is an exact suffix of ``".../dense_1/Relu"`` (the traced
scope of layer ``dense``) and is resolved so, with an
:class:`~graph_editor.errors.AmbiguousNameWarning` naming layer ``dense_1``'s op
(``".../dense_1_2/Relu"``), which its graph name selects.

An unknown or ambiguous name raises :class:`~graph_editor.errors.GraphEditKeyError` listing
the closest candidates.
"""

from __future__ import annotations

import difflib
import re
import warnings
from typing import Any

import tensorflow as tf

from graph_editor import _edits, util
from graph_editor.errors import (
    AmbiguousNameWarning,
    GraphEditKeyError,
    GraphEditTypeError,
    GraphMismatchError,
)

__all__ = ["resolve_tensor", "resolve_tensors", "tensor_names"]

_MAX_CANDIDATES = 6


def _split(name: str) -> tuple[str, int | None]:
    """``"a/b:1"`` -> ``("a/b", 1)``; ``"a/b"`` -> ``("a/b", None)``."""
    op_name, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return op_name, int(index)
    return name, None


_TRACE = r"_\d+"
_AUTO_NAME = re.compile(r".+_\d+$")


def _component_res(scopes: list[str]) -> list[re.Pattern]:
    """One regex per given scope: the scope itself, or it plus one ``_<n>`` trace suffix."""
    return [re.compile(re.escape(c) + f"(?:{_TRACE})?") for c in scopes]


def _trace_matches(graph: tf.Graph, op_name: str, last_traced: bool = False
                   ) -> list[tf.Operation]:
    """Ops whose name ends with ``op_name`` at a ``/`` boundary, each scope of the op's
    name allowed one ``_<n>`` more than the given one; the last component exact (or, with
    ``last_traced``, carrying one ``_<n>`` more: inlining renames ``mm1`` to ``mm1_0``)."""
    parts = op_name.split("/")
    scopes, last = parts[:-1], parts[-1]
    res = _component_res(scopes)
    last_re = re.compile(re.escape(last) + _TRACE) if last_traced else None
    k = len(scopes)
    found = []
    for op in graph.get_operations():
        name = op.name
        comps = name.split("/")
        if last_re is not None:
            if not last_re.fullmatch(comps[-1]):
                continue
        elif not (name == last or name.endswith("/" + last)):
            continue
        if len(comps) <= k:
            continue
        tail = comps[len(comps) - 1 - k: -1]
        if all(r.fullmatch(c) for r, c in zip(res, tail)):
            found.append(op)
    return found


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
        >>> with graph.as_default():
        ...     h = tf.nn.relu(c, name="model/dense_1/Relu")
        >>> ge.functions.resolve_tensor(graph, "dense_1/Relu:0").name   # a unique suffix
        'model/dense_1/Relu:0'
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
        _warn_if_layer_name(graph, name, op_name, matches[0], index or 0)
        return _output(matches[0], index or 0, name)
    if matches:
        raise GraphEditKeyError(
            f"The {what} name '{name}' is ambiguous: it matches {len(matches)} tensors: "
            f"{_shown(matches, index)}. Give a longer suffix or the full name."
        )
    # Trace suffixes: Keras runs layer "fc1" in scope "fc1_1", layer "dense_1" in "dense_1_2".
    matches = _trace_matches(graph, op_name)
    if len(matches) > 1:  # the pure Keras reading: a trace suffix on every given scope
        traced = _all_traced(matches, op_name)
        matches = traced if len(traced) == 1 else matches
    if len(matches) == 1:
        return _output(matches[0], index or 0, name)
    if matches:
        raise GraphEditKeyError(
            f"The {what} name '{name}' is ambiguous: allowing a '_<n>' trace suffix on each "
            f"scope of the graph's names, it matches {len(matches)} tensors: "
            f"{_shown(matches, index)}. Give a longer suffix or the full name."
        )
    # Last resort, only when unique: an op renamed with a suffix (grappler's inlining).
    matches = _trace_matches(graph, op_name, last_traced=True)
    if len(matches) == 1:
        return _output(matches[0], index or 0, name)
    if index is None:  # a name scope (a Keras layer): its one output tensor
        out = _scope_output(graph, op_name, what)
        if out is not None:
            return out
    close = _closest(graph, name)
    hint = f" Closest names: {close}." if close else ""
    raise GraphEditKeyError(
        f"No tensor named '{name}' (nor any name ending in '/{name}', with or without "
        f"'_<n>' trace suffixes on its scopes) in graph '{getattr(graph, 'name', '')}'.{hint}"
    )


def _scope_output(graph: tf.Graph, scope: str, what: str) -> tf.Tensor | None:
    """The one tensor that leaves the unique name scope ``scope`` (each of its components
    may carry a ``_<n>`` trace suffix): a Keras layer's output, by the layer's name."""
    res = _component_res(scope.split("/"))
    k = len(res)
    prefixes: dict[str, list[tf.Operation]] = {}
    for op in graph.get_operations():
        comps = op.name.split("/")
        for start in range(len(comps) - k):
            if all(r.fullmatch(c) for r, c in zip(res, comps[start:start + k])):
                prefixes.setdefault("/".join(comps[:start + k]) + "/", []).append(op)
                break
    if len(prefixes) != 1:
        return None
    (prefix, ops), = prefixes.items()
    inside = set(ops)
    leaving = [t for op in ops for t in op.outputs
               if any(c not in inside for c in t.consumers())]
    if len(leaving) == 1:
        return leaving[0]
    if leaving:
        raise GraphEditKeyError(
            f"The {what} '{scope}' names the scope '{prefix}', from which "
            f"{len(leaving)} tensors leave: {[t.name for t in leaving[:_MAX_CANDIDATES]]}. "
            "Name one of them."
        )
    return None


def _all_traced(ops: list[tf.Operation], op_name: str) -> list[tf.Operation]:
    """The ops of ``ops`` whose every scope matched by ``op_name`` carries a trace suffix."""
    scopes = op_name.split("/")[:-1]
    k = len(scopes)
    res = [re.compile(re.escape(c) + _TRACE) for c in scopes]
    return [o for o in ops if k and all(
        r.fullmatch(c) for r, c in zip(res, o.name.split("/")[-1 - k:-1]))]


def _shown(matches: list[tf.Operation], index: int | None) -> str:
    shown = [f"{o.name}:{index or 0}" for o in matches[:_MAX_CANDIDATES]]
    more = f" (and {len(matches) - len(shown)} more)" if len(matches) > len(shown) else ""
    return f"{shown}{more}"


def _warn_if_layer_name(graph: tf.Graph, name: str, op_name: str, chosen: tf.Operation,
                        index: int) -> None:
    """Warn when an exact suffix wins over the trace-suffix reading of a Keras auto-name.

    ``"dense_1/Relu"`` is an exact suffix of ``".../dense_1/Relu"`` (layer ``dense``, traced)
    and, with a trace suffix, of ``".../dense_1_2/Relu"`` (layer ``dense_1``). Only given
    scopes that look like auto-names (``<base>_<m>``) can name both.
    """
    scopes = op_name.split("/")[:-1]
    if not any(_AUTO_NAME.match(c) for c in scopes):
        return
    others = [o for o in _trace_matches(graph, op_name) if o is not chosen]
    if not others:
        return
    warnings.warn(
        f"The tensor name '{name}' resolves to '{chosen.name}:{index}', whose name ends "
        f"with it exactly. Read as Keras layer names (Keras runs layer 'L' in a scope "
        f"'L_<n>'), it names {_shown(others, index)}; pass that full name, or "
        f"'{_short(others[0], op_name)}', to select it.",
        AmbiguousNameWarning,
        stacklevel=_edits._caller_stacklevel(),  # noqa: SLF001
    )


def _short(op: tf.Operation, op_name: str) -> str:
    """The last components of ``op``'s name, as many as ``op_name`` has."""
    k = op_name.count("/") + 1
    return "/".join(op.name.split("/")[-k:])


def _get_op(graph: tf.Graph, op_name: str) -> tf.Operation | None:
    try:
        return graph.get_operation_by_name(op_name)
    except (KeyError, ValueError):
        return None


def resolve_tensors(graph: tf.Graph, names: Any, what: str = "tensor") -> list[tf.Tensor]:
    """:func:`resolve_tensor` for one name/tensor or a list of them (order kept).

    Example:
        >>> [t.name for t in ge.functions.resolve_tensors(graph, ["c", "d:0"])]
        ['c:0', 'd:0']
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
