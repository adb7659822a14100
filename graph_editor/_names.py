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
4. a ``tf.Tensor`` of the graph;
5. a name scope: the one tensor leaving it (a Keras layer's name in a traced model).

In a graph of ``ge.graph_from_keras(model)`` a layer's name comes first: ``"fc2"`` is
the output of layer ``fc2`` (the one tensor leaving its traced scope ``fc2_<n>``, e.g. its
``Relu``, not its ``BiasAdd``), even where another reading would apply.

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
import weakref
from collections.abc import Iterable
from typing import Any

import tensorflow as tf

from graph_editor import _edits, util
from graph_editor.errors import (
    AmbiguousNameWarning,
    GraphEditKeyError,
    GraphEditTypeError,
    GraphMismatchError,
)

__all__ = [
    "resolve_tensor",
    "resolve_tensors",
    "resolve_scope",
    "tensor_names",
    "note_keras_layers",
]

_MAX_CANDIDATES = 6
#: graph of ``ge.graph_from_keras`` -> the names of the model's layers
_KERAS_LAYERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def note_keras_layers(graph: tf.Graph, layer_names: Iterable[str]) -> None:
    """Remember that ``graph`` traces a Keras model with these layers: their names then
    resolve to the layers' output tensors (see the module docstring)."""
    _KERAS_LAYERS[graph] = frozenset(layer_names)


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
    layers = sorted(_KERAS_LAYERS.get(graph, ()))  # a Keras model's layer names come first
    return (difflib.get_close_matches(name, layers, n=3, cutoff=0.5) + close)[:_MAX_CANDIDATES]


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
                f"The {what} '{getattr(name, 'name', name)}' is not in the given graph "
                f"'{getattr(graph, 'name', graph)}'. Pass a tensor of that graph or its name "
                "(graphs from ge.graph_from_function are copies: look tensors up by name)."
            )
        return name
    if not isinstance(name, str):
        raise GraphEditTypeError(
            f"Expected a tensor or a tensor name for {what}, got {util._describe(name)}."
        )
    op_name, index = _split(name)
    if index is None and op_name in _KERAS_LAYERS.get(graph, ()):
        out = _layer_output(graph, op_name, what)
        if out is not None:
            return out
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
    as_op = f"no op '{op_name}' whose output 0 is '{op_name}:0', " if index is None else ""
    raise GraphEditKeyError(
        f"No tensor named '{name}' ({as_op}nor any name ending in '/{name}', with or without "
        f"'_<n>' trace suffixes on its scopes) in graph '{getattr(graph, 'name', '')}'.{hint}"
    )


def _scopes_matching(graph: tf.Graph, res: list[re.Pattern]) -> dict[str, list[tf.Operation]]:
    """Name scopes (``"a/b_1/"``) whose last components match ``res``, each with its ops."""
    k = len(res)
    prefixes: dict[str, list[tf.Operation]] = {}
    for op in graph.get_operations():
        comps = op.name.split("/")
        for start in range(len(comps) - k):
            if all(r.fullmatch(c) for r, c in zip(res, comps[start:start + k])):
                prefixes.setdefault("/".join(comps[:start + k]) + "/", []).append(op)
                break
    return prefixes


def _layer_output(graph: tf.Graph, layer: str, what: str) -> tf.Tensor | None:
    """The output of Keras layer ``layer`` in a traced model: the one tensor leaving its
    scope ``<layer>_<n>``. None when the layer has no such scope (an ``Input``)."""
    prefixes = _scopes_matching(graph, [re.compile(re.escape(layer) + _TRACE)])
    if len(prefixes) > 1:
        raise GraphEditKeyError(
            f"The {what} '{layer}' names a Keras layer traced {len(prefixes)} times (scopes "
            f"{sorted(prefixes)[:_MAX_CANDIDATES]}): the layer is called more than once. "
            "Name a tensor of one call, e.g. '<scope>/<op>'."
        )
    if not prefixes:
        return None
    (prefix, ops), = prefixes.items()
    return _leaving(prefix, ops, layer, what)


def _scope_output(graph: tf.Graph, scope: str, what: str) -> tf.Tensor | None:
    """The one tensor that leaves the unique name scope ``scope`` (each of its components
    may carry a ``_<n>`` trace suffix): a Keras layer's output, by the layer's name."""
    prefixes = _scopes_matching(graph, _component_res(scope.split("/")))
    if len(prefixes) != 1:
        return None
    (prefix, ops), = prefixes.items()
    return _leaving(prefix, ops, scope, what)


def _leaving(prefix: str, ops: list[tf.Operation], scope: str, what: str) -> tf.Tensor | None:
    """The one tensor of ``ops`` (the ops of scope ``prefix``) consumed outside them."""
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


def _all_scopes(graph: tf.Graph) -> set[str]:
    """Every name scope of ``graph`` (``"a"``, ``"a/b"``), op names that are scopes included."""
    scopes: set[str] = set()
    for op in graph.get_operations():
        name = op.name
        cut = name.rfind("/")
        while cut > 0 and name[:cut] not in scopes:
            scopes.add(name[:cut])
            cut = name.rfind("/", 0, cut)
    return scopes


def _closest_scopes(graph: tf.Graph, scopes: set[str], scope: str) -> list[str]:
    """Scopes closest to ``scope``: a Keras model's layer names, then whole scopes, then
    scopes whose last component, trace suffixes removed, is close to ``scope``'s."""
    layers = sorted(_KERAS_LAYERS.get(graph, ()))
    close = difflib.get_close_matches(scope, layers, n=3, cutoff=0.5)
    ordered = sorted(scopes)
    close += difflib.get_close_matches(scope, ordered, n=_MAX_CANDIDATES, cutoff=0.5)
    by_base: dict[str, list[str]] = {}
    for s in ordered:
        by_base.setdefault(re.sub(r"(_\d+)+$", "", s.rsplit("/", 1)[-1]), []).append(s)
    base = scope.rsplit("/", 1)[-1]
    for b in difflib.get_close_matches(base, list(by_base), n=_MAX_CANDIDATES, cutoff=0.6):
        close += by_base[b]
    return list(dict.fromkeys(close))[:_MAX_CANDIDATES]


def resolve_scope(graph: tf.Graph, scope: str, what: str = "scope") -> str:
    """The name scope of ``graph`` (without its trailing ``/``) that ``scope`` designates.

    The same rules as :func:`resolve_tensor`, for scopes: the exact scope; else a unique
    scope ending with ``scope`` at a ``/`` boundary; else a unique one when each of the
    graph's components may carry one ``_<n>`` trace suffix (a Keras layer ``fc1`` traced in
    scope ``functional_1/fc1_1``). In a graph of ``ge.graph_from_keras`` a layer's name
    means the layer's traced scope first.

    Raises:
        GraphEditKeyError: no such scope, or several match (the message lists the closest
            or the matching scopes).
        GraphEditTypeError: ``scope`` is not a string.

    Example:
        >>> g = tf.Graph()
        >>> with g.as_default(), tf.name_scope("functional_1"), tf.name_scope("fc1_1"):
        ...     w = tf.constant(1.0, name="w")
        >>> ge._names.resolve_scope(g, "fc1")
        'functional_1/fc1_1'
    """
    if not isinstance(scope, str) or not scope.strip("/"):
        raise GraphEditTypeError(f"Expected a name scope for {what}, got {util._describe(scope)}.")
    scope = scope.strip("/")
    scopes = _all_scopes(graph)
    if scope in scopes:
        return scope
    if scope in _KERAS_LAYERS.get(graph, ()):
        traced = _scopes_matching(graph, [re.compile(re.escape(scope) + _TRACE)])
        if len(traced) == 1:
            return next(iter(traced))[:-1]
    for found in ([s for s in scopes if s.endswith("/" + scope)],
                  [p[:-1] for p in _scopes_matching(graph, _component_res(scope.split("/")))]):
        if len(found) == 1:
            return found[0]
        if found:
            raise GraphEditKeyError(
                f"The {what} '{scope}' is ambiguous: it matches {len(found)} name scopes: "
                f"{sorted(found)[:_MAX_CANDIDATES]}. Give a longer suffix or the full scope."
            )
    close = _closest_scopes(graph, scopes, scope)
    hint = f" Closest names: {close}." if close else ""
    raise GraphEditKeyError(
        f"No name scope '{scope}' (nor any scope ending in '/{scope}', with or without "
        f"'_<n>' trace suffixes) in graph '{getattr(graph, 'name', '')}'.{hint}"
    )
