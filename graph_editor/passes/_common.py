"""Helpers shared by the passes (not public API)."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from graph_editor import _tf, util
from graph_editor.errors import (
    GraphEditKeyError,
    GraphEditTypeError,
    GraphEditValueError,
    GraphFinalizedError,
)
from graph_editor.rewrite import Match

__all__ = [
    "check_graph",
    "kept_ops",
    "not_kept",
    "clone_op",
    "const_value",
    "evaluate",
    "is_foldable_type",
]

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
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(f"{fn} expects a tf.Graph, got {util._describe(graph)}.")
    if graph.finalized:
        raise GraphFinalizedError(
            f"{fn}: the graph is finalized; ops cannot be added to it. Copy it first "
            "(ge.strip_unused or a GraphDef round trip)."
        )
    return graph


def kept_ops(graph: tf.Graph, keep: Any) -> set:
    """The ops named (directly or through one of their tensors) by ``keep``."""
    if keep is None:
        return set()
    if isinstance(keep, (str, tf.Tensor, tf.Operation)):
        keep = [keep]
    out = set()
    for item in keep:
        if isinstance(item, tf.Tensor):
            op = item.op
        elif isinstance(item, tf.Operation):
            op = item
        elif isinstance(item, str):
            try:
                op = (
                    graph.get_tensor_by_name(item).op
                    if ":" in item
                    else graph.get_operation_by_name(item)
                )
            except (KeyError, ValueError):
                raise GraphEditKeyError(
                    f"keep names {item!r}, which is not in the graph (use 'op' or 'op:0')."
                ) from None
        else:
            raise GraphEditTypeError(
                f"keep holds tensors, ops or names, got {util._describe(item)}."
            )
        if op.graph is not graph:
            raise GraphEditValueError(f"keep: {op.name!r} is not in the graph being edited.")
        out.add(op)
    return out


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


def is_foldable_type(op: tf.Operation) -> bool:
    """True if ``op``'s outputs are a pure function of its inputs (not counting inputs)."""
    if op.type in _NEVER_FOLD or _tf.has_function(op.graph, op.type):
        return False
    try:
        if op.op_def.is_stateful:
            return False
    except (ValueError, KeyError, AttributeError):
        return False
    for t in op.outputs:
        if t.dtype in _BAD_DTYPES or t.dtype.base_dtype != t.dtype:
            return False
    return not any(t.dtype in _BAD_DTYPES or t.dtype.base_dtype != t.dtype for t in op.inputs)


def evaluate(graph: tf.Graph, tensors: list) -> list:
    """Values of constant ``tensors`` of ``graph``, run in a stripped copy (graph untouched)."""
    from graph_editor.passes.strip_unused import strip_unused

    if not tensors:
        return []
    small = strip_unused(graph, [], tensors)
    with tf.compat.v1.Session(graph=small) as sess:
        return sess.run([t.name for t in tensors])


def const_value(t: tf.Tensor, max_ops: int = 200) -> np.ndarray | None:
    """The value of ``t`` if it only depends on constants (Const, through pure ops), else None.

    A ``Const`` (possibly behind ``Identity`` ops) is read directly; a small constant
    subgraph (at most ``max_ops`` ops) is evaluated in a stripped copy of the graph.
    """
    op = t.op
    while op.type in ("Identity", "Snapshot") and not op.control_inputs:
        t = op.inputs[0]
        op = t.op
    if op.type == "Const":
        return tf.make_ndarray(op.get_attr("value"))
    seen: set = set()
    stack = [op]
    while stack:
        o = stack.pop()
        if o in seen:
            continue
        seen.add(o)
        if len(seen) > max_ops:
            return None
        if o.type == "Const":
            continue
        if not is_foldable_type(o):
            return None
        stack.extend(x.op for x in o.inputs)
        stack.extend(o.control_inputs)
    return evaluate(t.graph, [t])[0]
