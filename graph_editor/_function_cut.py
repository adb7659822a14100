"""Where a function graph is cut in two: the tensors crossing the cut, and the control
edges the tail drops.

A cut at tensors ``at`` splits the ops into a head side (the ops ``at`` need that depend
on the function's arguments, and the arguments) and a tail. Walking back from the outputs,
every head-side tensor the tail reads crosses; ``at`` tensors come first, the others
(skip connections, arguments used after the cut) follow in creation order. Private; used by
:mod:`graph_editor.functions` (``crossing_tensors``, ``split_function``) and ``saved_model``.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graph_editor import _tf, select, util
from graph_editor._names import resolve_tensors
from graph_editor.errors import CutError

__all__ = ["cut"]

#: Control inputs of these types only order a value nobody uses: the tail drops them.
_PURE_READS = frozenset({"ReadVariableOp"})


def cut(graph: tf.Graph, at: Any, args: list[tf.Tensor]) -> tuple[list[tf.Tensor], set]:
    """Crossing tensors of a cut at ``at`` and the control edges ``(op, control input)``
    the tail drops; ``args`` are the function's argument placeholders.

    Raises:
        CutError: the cut is empty, the graph has no arguments, a cut tensor does not depend
            on the arguments, or the outputs do not depend on a cut tensor.
    """
    at_ts = _cut_tensors(graph, at)
    if not args:
        raise CutError(f"Graph '{graph.name}' has no inputs: there is nothing to cut from.")
    arg_ops = {t.op for t in args}
    head_side = _head_side(graph, at_ts, args) | arg_ops
    at_ids = {id(t) for t in at_ts}
    extra, used, drop = _tail_walk(graph, at_ids, head_side, arg_ops)
    unused = [t.name for t in at_ts if id(t) not in used]
    if unused:
        raise CutError(
            f"The outputs {[t.name for t in graph.outputs][:4]} do not depend on the cut "
            f"tensor(s) {unused}: the cut does not separate inputs from outputs there. Cut at "
            "tensors on a path from the inputs to the outputs."
        )
    rest = sorted(extra.values(), key=lambda t: (_tf.op_id(t.op), t.value_index))
    return at_ts + rest, drop


def _cut_tensors(graph: tf.Graph, at: Any) -> list[tf.Tensor]:
    """The tensors ``at`` names, without repeats, in the order given."""
    at_ts = resolve_tensors(graph, at, "cut tensor")
    if not at_ts:
        raise CutError("The cut is empty: give at least one tensor (or name) to cut at.")
    at_ids: dict[int, tf.Tensor] = {}
    for t in at_ts:
        at_ids.setdefault(id(t), t)
    return list(at_ids.values())


def _head_side(graph: tf.Graph, at_ts: list[tf.Tensor], args: list[tf.Tensor]) -> set:
    """The ops the cut tensors need that depend on the arguments (arguments excluded)."""
    depends = set(
        select.get_forward_walk_ops(
            [t.op for t in args], control_outputs=util.ControlOutputs(graph)
        )
    )
    for t in at_ts:
        if t.op not in depends:
            raise CutError(
                f"The cut tensor '{t.name}' does not depend on the function's inputs "
                f"{[a.name for a in args]}: cutting there separates nothing. Cut at a tensor "
                "computed from the inputs."
            )
    head = set(select.get_backward_walk_ops([t.op for t in at_ts], control_inputs=True))
    return {op for op in head if op in depends}


def _tail_walk(
    graph: tf.Graph, at_ids: set[int], head_side: set, arg_ops: set
) -> tuple[dict[int, tf.Tensor], set[int], set]:
    """Walk back from the outputs through the tail: the other crossing tensors (by id), the
    ids of the cut tensors reached, and the control edges to drop."""
    extra: dict[int, tf.Tensor] = {}
    used: set[int] = set()
    drop: set[tuple[tf.Operation, tf.Operation]] = set()
    seen: set[tf.Operation] = set()
    stack = []

    def crosses(t: tf.Tensor) -> bool:
        # Head-side tensors cross, except through Identity ops (inlined calls' plumbing):
        # the tail copies those and the tensor they forward crosses instead.
        return t.op in head_side and not (t.op.type == "Identity" and t.op not in arg_ops)

    for t in graph.outputs:
        if id(t) in at_ids:
            used.add(id(t))
        elif crosses(t):
            extra[id(t)] = t
        else:
            stack.append(t.op)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        for t in op.inputs:
            if id(t) in at_ids:
                used.add(id(t))
            elif crosses(t):
                extra[id(t)] = t
            elif t.op not in seen:
                stack.append(t.op)
        for c in op.control_inputs:
            # Control edges to the head side are honoured by running the head first; those
            # to plain variable reads (auto control deps) only order a value nobody uses.
            if c in head_side or c.type in _PURE_READS:
                drop.add((op, c))
            elif c not in seen:
                stack.append(c)
    return extra, used, drop
