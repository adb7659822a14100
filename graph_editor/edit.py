"""Editing: detach, connect and bypass subgraph views, in place.

Follows ``tf.contrib.graph_editor.edit`` (TF 1.15). Ops are never deleted (TensorFlow cannot
delete ops): detached or bypassed ops stay in the graph, fed by placeholders.

Each function builds the whole edit first (placeholders included, as pending objects),
validates it (dtypes, shapes, cycles, graph not finalized), and only then creates the
placeholders and rewires: a failed call leaves the graph byte-for-byte as it was.

Differences with contrib (bugs fixed):

- :func:`detach_inputs` placeholders keep the input's static shape (contrib dropped it);
- :func:`detach` returns the view, not the raw argument;
- :func:`detach_outputs` pairs each output with its own placeholder even when the consumers
  read the outputs in another order;
- error messages are formatted and name the ops.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graph_editor import _edits, select, subgraph, util
from graph_editor.errors import GraphEditTypeError
from graph_editor.reroute import (
    _A2B,
    _SWAP,
    _apply,
    _remove_control_inputs,
    _reroute_pairs,
    _reroute_sgv_inputs,
    _VState,
    _vstate,
)

__all__ = [
    "detach_control_inputs",
    "detach_control_outputs",
    "detach_inputs",
    "detach_outputs",
    "detach",
    "connect",
    "bypass",
    "note_external_edit",
]


def _detach_control_inputs(plan: _edits.Plan, v: _VState) -> None:
    inside = set(v.ops)
    for op in v.ops:
        outside = [c for c in plan.control_inputs(op) if c not in inside]
        if outside:
            _remove_control_inputs(plan, op, outside)


def _detach_control_outputs(plan: _edits.Plan, v: _VState) -> None:
    inside = set(v.ops)
    for op in v.ops:
        for cop in plan.control_outputs(op):
            if cop not in inside:
                _remove_control_inputs(plan, cop, [op])


def _check_control_outputs(control_outputs: Any) -> util.ControlOutputs:
    if not isinstance(control_outputs, util.ControlOutputs):
        raise GraphEditTypeError(
            f"Expected a ge.util.ControlOutputs, got {util._describe(control_outputs)}. "
            "Pass ge.ControlOutputs(graph)."
        )
    return control_outputs


def _detach_inputs(plan: _edits.Plan, v: _VState, control_inputs: bool) -> list:
    control_inputs = util.check_flag(control_inputs, "control_inputs")
    placeholders = [
        plan.placeholder(t.dtype, t.shape, util.placeholder_name(t)) for t in v.inputs
    ]
    if placeholders:
        _reroute_sgv_inputs(plan, v, _VState.passthrough(v.graph, placeholders), _SWAP)
    if control_inputs:
        _detach_control_inputs(plan, v)
    return placeholders


def _detach_outputs(plan: _edits.Plan, v: _VState, control_outputs: Any) -> tuple:
    v_ = v.remap_outputs([i for i, t in enumerate(v.outputs) if plan.consumers(t)])
    by_id: dict[int, Any] = {}
    placeholders = []
    for t in v_.outputs:
        ph = by_id.get(id(t))
        if ph is None:
            ph = by_id[id(t)] = plan.placeholder(t.dtype, t.shape, util.placeholder_name(t))
            placeholders.append(ph)
    _reroute_pairs(
        plan,
        list(v_.outputs),
        [by_id[id(t)] for t in v_.outputs],
        _SWAP,
        cannot_modify=set(v_.ops),
    )
    if control_outputs is not None:
        _detach_control_outputs(plan, v_)
    return v_, placeholders


def detach_control_inputs(sgv: Any) -> None:
    """Remove the control inputs of the view's ops that come from outside the view.

    Args:
        sgv: a view, or anything ``ge.sgv`` accepts.

    Example:
        >>> with graph.as_default():
        ...     init_op = tf.no_op(name="init")
        ...     with tf.control_dependencies([init_op]):
        ...         train_op = tf.no_op(name="train")
        >>> ge.detach_control_inputs(ge.sgv(train_op))
        >>> train_op.control_inputs
        []
    """
    plan = _edits.Plan(None)
    _detach_control_inputs(plan, _vstate(plan, sgv))
    plan.apply()


def detach_control_outputs(sgv: Any, control_outputs: util.ControlOutputs) -> None:
    """Remove the control edges from the view's ops to ops outside the view.

    Args:
        sgv: a view, or anything ``ge.sgv`` accepts.
        control_outputs: a ``ge.ControlOutputs`` of the graph (``TypeError`` otherwise).

    Example:
        >>> with graph.as_default():
        ...     init_op = tf.no_op(name="init")
        ...     with tf.control_dependencies([init_op]):
        ...         train_op = tf.no_op(name="train")
        >>> ge.detach_control_outputs(ge.sgv(init_op), ge.ControlOutputs(graph))
        >>> train_op.control_inputs
        []
    """
    _check_control_outputs(control_outputs)
    plan = _edits.Plan(None)
    _detach_control_outputs(plan, _vstate(plan, sgv))
    plan.apply()


def detach_inputs(
    sgv: Any, control_inputs: bool = False
) -> tuple[subgraph.SubGraphView, list[tf.Tensor]]:
    """Feed the view's ops from new placeholders instead of their inputs.

    One placeholder per input, in the input's own name scope, named ``geph__<op>_<index>``,
    with the input's dtype **and static shape**. The view is remapped in place: its inputs
    become the placeholders.

    Args:
        sgv: a view, or anything ``ge.sgv`` accepts.
        control_inputs: also remove control inputs coming from outside the view.

    Returns:
        ``(sgv, input_placeholders)``.

    Example:
        >>> sgv, phs = ge.detach_inputs(ge.sgv(d.op))
        >>> [p.name for p in phs]
        ['geph__c_0:0', 'geph__b_0:0']
    """
    plan = _edits.Plan(None)
    v = _vstate(plan, sgv)
    placeholders = _detach_inputs(plan, v, control_inputs)
    _apply(plan)
    return v.target, [_edits.resolve(p) for p in placeholders]


def detach_outputs(
    sgv: Any, control_outputs: util.ControlOutputs | None = None
) -> tuple[subgraph.SubGraphView, list[tf.Tensor]]:
    """Move the outside consumers of the view's outputs onto new placeholders.

    Only outputs with consumers get one; placeholders keep the output's dtype and static
    shape and live in its name scope (``geph__<op>_<index>``).

    Args:
        sgv: a view, or anything ``ge.sgv`` accepts.
        control_outputs: a ``ge.ControlOutputs``: also remove control edges to outside ops.

    Returns:
        ``(view remapped to the outputs that had consumers, output_placeholders)``.

    Example:
        >>> sgv, phs = ge.detach_outputs(ge.sgv(c.op))
        >>> [op.name for op in phs[0].consumers()]   # d and f now read a placeholder
        ['d', 'f']
    """
    if control_outputs is not None:
        _check_control_outputs(control_outputs)
    plan = _edits.Plan(None)
    v_, placeholders = _detach_outputs(plan, _vstate(plan, sgv), control_outputs)
    _apply(plan)
    return v_.to_view(), [_edits.resolve(p) for p in placeholders]


def detach(
    sgv: Any,
    control_inputs: bool = False,
    control_outputs: util.ControlOutputs | None = None,
    control_ios: util.ControlOutputs | None = None,
) -> tuple[subgraph.SubGraphView, list[tf.Tensor], list[tf.Tensor]]:
    """Detach both the inputs and the outputs of a view (one atomic edit).

    Args:
        sgv: a view, or anything ``ge.sgv`` accepts (a view is remapped in place).
        control_inputs: also cut control inputs from outside.
        control_outputs: a ``ge.ControlOutputs``: also cut control edges to outside ops.
        control_ios: a ``ge.ControlOutputs``: both of the above.

    Returns:
        ``(sgv, input_placeholders, output_placeholders)``; ``sgv`` is the view (contrib
        returned the raw argument).

    Example:
        >>> sgv, ins, outs = ge.detach(ge.sgv(c.op, d.op))
        >>> [t.name for t in ins], [t.name for t in outs]
        (['geph__a_0:0', 'geph__b_0:0'], ['geph__c_0:0', 'geph__d_0:0'])
    """
    control_inputs, control_outputs = select.check_cios(
        control_inputs, control_outputs, control_ios
    )
    plan = _edits.Plan(None)
    v = _vstate(plan, sgv)
    inputs = _detach_inputs(plan, v, control_inputs)
    _, outputs = _detach_outputs(plan, v, control_outputs)
    _apply(plan)
    return (
        v.target,
        [_edits.resolve(p) for p in inputs],
        [_edits.resolve(p) for p in outputs],
    )


def connect(
    sgv0: Any, sgv1: Any, disconnect_first: bool = False
) -> tuple[subgraph.SubGraphView, subgraph.SubGraphView]:
    """Connect the outputs of sgv0 to the inputs of sgv1, pairwise.

    sgv1's ops (and the consumers of sgv0's outputs) now read ``sgv0.outputs[i]`` where they
    read ``sgv1.inputs[i]``; sgv1 is remapped in place.

    Args:
        sgv0: a view (or anything ``ge.sgv`` accepts) whose outputs feed sgv1.
        sgv1: the view to feed; ``len(sgv0.outputs)`` must equal ``len(sgv1.inputs)``.
        disconnect_first: first move sgv0's current consumers onto placeholders.

    Returns:
        ``(sgv0, sgv1)``.

    Raises:
        GraphEditValueError: lengths, dtypes or shapes differ, or a cycle would result.

    Example:
        >>> with graph.as_default():
        ...     h = tf.tanh(a, name="h")
        ...     out = tf.identity(b, name="out")
        >>> _ = ge.connect(ge.sgv(h.op), ge.sgv(out.op))
        >>> out.op.inputs[0].name   # out now reads h
        'h:0'
    """
    disconnect_first = util.check_flag(disconnect_first, "disconnect_first")
    plan = _edits.Plan(None)
    v0 = _vstate(plan, sgv0)
    v1 = _vstate(plan, sgv1)
    if disconnect_first:
        _detach_outputs(plan, v0, None)
    _reroute_sgv_inputs(plan, _VState.passthrough(v0.graph, v0.outputs), v1, _A2B)
    _apply(plan)
    return v0.target, v1.target


def bypass(sgv: Any) -> tuple[subgraph.SubGraphView, list[tf.Tensor]]:
    """Bypass a view: the consumers of its outputs read its inputs instead, pairwise.

    The view's ops stay in the graph, fed by new placeholders (as by :func:`detach_inputs`).
    Needs ``len(sgv.inputs) == len(sgv.outputs)`` with matching dtypes and shapes.

    Returns:
        ``(sgv, input_placeholders)``.

    Example:
        >>> with graph.as_default():
        ...     dropout = tf.identity(c, name="dropout")
        ...     y = tf.tanh(dropout, name="y")
        >>> _ = ge.bypass(ge.sgv(dropout.op))
        >>> y.op.inputs[0].name   # readers of dropout read its input again
        'c:0'
    """
    plan = _edits.Plan(None)
    v = _vstate(plan, sgv)
    inputs = list(v.inputs)
    placeholders = _detach_inputs(plan, v, False)
    _reroute_pairs(plan, inputs, list(v.outputs), _A2B)
    _apply(plan)
    return v.target, [_edits.resolve(p) for p in placeholders]


def note_external_edit(graph: tf.Graph) -> None:
    """Tell graph_editor that ``graph``'s edges were changed with raw TensorFlow calls.

    graph_editor remembers facts about a graph between calls (a topological order for its
    cycle checks, whether creation order is topological for ``graph_replace``), and
    refreshes them after its own edits. Edges changed behind its back (``op._update_input``,
    ``op._add_control_inputs``, ``op._remove_all_control_inputs``) must be reported, or a
    later call may miss a path. Creating ops needs no report.

    Example:
        >>> f.op._update_input(0, e)      # a raw TF edit: f = -e
        >>> ge.note_external_edit(f.graph)
    """
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(
            f"note_external_edit expects a tf.Graph, got {util._describe(graph)}."
            f"{util._hint_for(graph, 'graph')}"
        )
    _edits.note_external_edit(graph)
