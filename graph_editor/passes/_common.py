"""Helpers shared by the passes (not public API)."""

from __future__ import annotations

import weakref
from typing import Any

import tensorflow as tf

from graph_editor import _tf, util
from graph_editor._names import resolve_tensor
from graph_editor.errors import (
    GraphEditTypeError,
    GraphEditValueError,
)
from graph_editor.rewrite import Match

__all__ = [
    "check_graph",
    "kept_ops",
    "not_kept",
    "clone_op",
    "is_foldable_type",
    "is_pure_op_type",
    "note_replaced",
    "replaced_names",
]

# graph -> names of the ops a pass replaced in it (unused now; TF cannot delete them).
_REPLACED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Ops whose value is not a pure function of their inputs, or that fold badly.
_NEVER_FOLD = frozenset(
    {
        "Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "NoOp", "ControlTrigger",
        "Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "RefSwitch",
        "RefMerge", "RefEnter", "RefExit", "RefNextIteration", "RefIdentity",
        "If", "While", "StatelessIf", "StatelessWhile", "Case", "StatelessCase",
        "PartitionedCall", "StatefulPartitionedCall", "SymbolicGradient", "HostConst",
    }
)
_BAD_DTYPES = frozenset({tf.resource, tf.variant})


def check_graph(graph: Any, fn: str) -> tf.Graph:
    """``graph``, checked to be a ``tf.Graph`` that pass ``fn`` can add ops to."""
    return util._check_editable(
        graph, fn, "Copy it first (ge.strip_unused or a GraphDef round trip)."
    )


def as_items(x: Any, what: str) -> list:
    """``x`` as a list of tensors / ops / names: one of them, or an iterable of them.

    Raises:
        GraphEditTypeError: naming ``what``, for an eager tensor or a non-iterable.
    """
    if x is None:
        return []
    if util._is_eager(x):
        raise util._eager_error(x, what)
    if isinstance(x, (str, tf.Tensor, tf.Operation)):
        return [x]
    if not util.is_iterable(x) or isinstance(x, (bytes, tf.Graph)):
        raise GraphEditTypeError(
            f"{what} must be a tensor, an op, a name or a list of them, got "
            f"{util._describe(x)}."
        )
    items = list(x)
    for item in items:
        if util._is_eager(item):
            raise util._eager_error(item, what)
    return items


def kept_ops(graph: tf.Graph, keep: Any) -> set:
    """The ops named (directly or through one of their tensors) by ``keep``."""
    out = set()
    for item in as_items(keep, "keep"):
        if isinstance(item, tf.Tensor):
            op = item.op
        elif isinstance(item, tf.Operation):
            op = item
        elif isinstance(item, str):
            op = _op_named(graph, item)
        else:
            raise GraphEditTypeError(
                f"keep holds tensors, ops or names, got {util._describe(item)}."
            )
        if op.graph is not graph:
            raise GraphEditValueError(f"keep: {op.name!r} is not in the graph being edited.")
        out.add(op)
    return out


def _op_named(graph: tf.Graph, name: str) -> tf.Operation:
    """The op ``name`` designates: an exact op (outputs or not) or tensor name, else what the
    other verbs accept (a unique suffix, trace suffixes, a layer name), with their errors."""
    try:
        if ":" in name:
            return graph.get_tensor_by_name(name).op
        return graph.get_operation_by_name(name)
    except (KeyError, ValueError):
        return resolve_tensor(graph, name, "keep").op


def not_kept(kept: set) -> Any:
    """A rewrite filter rejecting matches that would replace a kept op."""

    def filter_fn(m: Match) -> bool:
        return not any(o in kept for o in m.ops if o not in m._shared)

    return filter_fn


def clone_op(op: tf.Operation, inputs: list, op_type: str | None = None) -> tf.Operation:
    """A copy of ``op`` (same attrs and device, optionally another type) reading ``inputs``."""
    graph = op.graph
    node_def = op.node_def
    node_def.ClearField("input")
    if op_type is not None:
        node_def.op = op_type
    base = op.name if op_type is None else f"{op.name}_{op_type.lower()}"
    node_def.name = _tf.unique_name_at_root(graph, base)
    op_def = _tf.op_def_for_type(graph, node_def.op)
    try:
        return _tf.create_op(graph, node_def, list(inputs), op_def=op_def)
    except (ValueError, TypeError, tf.errors.OpError) as e:
        msg = getattr(e, "message", None) or str(e)
        raise GraphEditValueError(
            f"Cannot create {node_def.op} {node_def.name!r} from {op.name!r}: {msg}"
        ) from None


def is_pure_op_type(op: tf.Operation) -> bool:
    """True if ops of ``op``'s type compute a pure function of their inputs: not stateful,
    not v1 control flow, a placeholder or a function call (the same for every op of the
    type in the graph)."""
    if op.type in _NEVER_FOLD or _tf.has_function(op.graph, op.type):
        return False
    try:
        return not op.op_def.is_stateful
    except (ValueError, KeyError, AttributeError):
        return False


def is_foldable_type(op: tf.Operation) -> bool:
    """True if ``op``'s outputs are a pure function of its inputs (not counting inputs)."""
    if not is_pure_op_type(op):
        return False
    for t in op.outputs:
        if t.dtype in _BAD_DTYPES or t.dtype.base_dtype != t.dtype:
            return False
    return not any(t.dtype in _BAD_DTYPES or t.dtype.base_dtype != t.dtype for t in op.inputs)


def note_replaced(graph: tf.Graph, ops: Any) -> None:
    """Remember that a pass replaced ``ops`` (their readers moved elsewhere).

    Later passes skip work that only serves them (folding or simplifying their inputs).
    A hint only: a replaced op fetched by name still computes what it did.
    """
    names = _REPLACED.get(graph)
    if names is None:
        names = _REPLACED[graph] = set()
    names.update(op.name for op in ops)


def replaced_names(graph: tf.Graph) -> set:
    """Names of the ops passes replaced in ``graph`` (see :func:`note_replaced`)."""
    return _REPLACED.get(graph, set())
