"""Rerouting: move the consumers of tensors onto other tensors, in place.

Follows ``tf.contrib.graph_editor.reroute`` (TF 1.15). The direction to remember::

    reroute_ts(ts0, ts1):   the consumers of ts1 now read ts0 (ts1 is left dangling)

        B0 B1        B0 B1
        |  |    =>   | /
        A0 A1        A0 A1         (A0 = ts0, A1 = ts1, B = their consumers)

Every function validates everything before the first mutation (lengths, dtypes, static
shapes, one graph, no data or control cycle, graph not finalized); a failed call leaves the
graph byte-for-byte as it was. Beyond contrib:

- dtypes are checked (TF 2.21's edge update does not: an int32 tensor would reach a float op
  and fail only at run time);
- a reroute that would create a cycle is refused, naming the path;
- ``swap_ts`` swaps correctly a consumer that reads both tensors of a pair (contrib gave it
  the same tensor twice);
- editing a graph that an open ``tf.compat.v1.Session`` already ran emits one
  :class:`~graph_editor.errors.LiveSessionWarning` (that session keeps the old graph);
- :func:`remove_control_input` removes one control edge.

Static shapes downstream are not re-inferred after a reroute (TensorFlow cannot).
"""

from __future__ import annotations

import itertools
from typing import Any

import tensorflow as tf

from graph_editor import _edits, _tf, subgraph, util
from graph_editor.errors import DtypeMismatchError, GraphEditTypeError, GraphEditValueError

__all__ = [
    # contrib's exported names (10)
    "swap_ts",
    "reroute_ts",
    "swap_inputs",
    "reroute_inputs",
    "swap_outputs",
    "reroute_outputs",
    "swap_ios",
    "reroute_ios",
    "remove_control_inputs",
    "add_control_inputs",
    # graph_editor extension
    "remove_control_input",
    # TF 0.x / 1.0 names
    "reroute_a2b_ts",
    "reroute_b2a_ts",
    "reroute_a2b_inputs",
    "reroute_b2a_inputs",
    "reroute_a2b_outputs",
    "reroute_b2a_outputs",
    "swap",
    "reroute_a2b",
    "reroute_b2a",
]

_SWAP, _A2B, _B2A = "swap", "a2b", "b2a"


# --------------------------------------------------------------------------------------------
# Virtual views (their tensors may be placeholders not created yet)
# --------------------------------------------------------------------------------------------


class _VState:
    """The boundary of a view inside a plan; written back to ``target`` once applied."""

    __slots__ = ("graph", "ops", "inputs", "outputs", "passthroughs", "target")

    def __init__(self, graph, ops, inputs, outputs, passthroughs, target=None) -> None:
        self.graph = graph
        self.ops = list(ops)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.passthroughs = list(passthroughs)
        self.target = target

    @classmethod
    def passthrough(cls, graph: tf.Graph | None, ts: list) -> _VState:
        seen: set[int] = set()
        unique = []
        for t in ts:
            if id(t) not in seen:
                seen.add(id(t))
                unique.append(t)
        return cls(graph if unique else None, [], unique, unique, unique)

    def copy(self) -> _VState:
        return _VState(self.graph, self.ops, self.inputs, self.outputs, self.passthroughs)

    def remap_outputs(self, positions: list[int]) -> _VState:
        res = self.copy()
        res.outputs = [self.outputs[i] for i in positions]
        return res

    def to_view(self, into: subgraph.SubGraphView | None = None) -> subgraph.SubGraphView:
        view = subgraph.SubGraphView._from_parts(
            self.graph, list(self.ops), [_edits.resolve(t) for t in self.inputs],
            [_edits.resolve(t) for t in self.outputs],
            [_edits.resolve(t) for t in self.passthroughs])
        if into is not None:
            into._assign_from(view)
            return into
        return view


def _vstate(plan: _edits.Plan, sgv: Any) -> _VState:
    """The plan's state of a view argument (converted with ``make_view`` if needed)."""
    if isinstance(sgv, _VState):
        return sgv
    view = subgraph.make_view(sgv)
    states = plan.views
    st = states.get(id(view))
    if st is None:
        st = _VState(
            view.graph, view.ops, view._input_ts, view._output_ts, view._passthrough_ts, view
        )
        states[id(view)] = st
    plan.use_graph(view.graph)
    return st


def _apply(plan: _edits.Plan) -> None:
    """Apply the plan, then write the remapped views back into their objects."""
    plan.apply()
    for st in plan.views.values():
        st.to_view(into=st.target)


# --------------------------------------------------------------------------------------------
# Tensors
# --------------------------------------------------------------------------------------------


def _as_ts(ts: Any, what: str) -> list:
    if isinstance(ts, subgraph.SubGraphView):
        raise GraphEditTypeError(
            f"{what} must be tensors, got a SubGraphView. Use its .inputs or .outputs, or "
            "the view functions (reroute_inputs, reroute_outputs, ...)."
        )
    return util.make_list_of_t(ts, allow_graph=False)


def _as_op_set(ops: Any, what: str) -> set | None:
    if ops is None:
        return None
    if isinstance(ops, (set, frozenset)):
        ops = list(ops)
    return set(util.make_list_of_op(ops))


def _check_pairs(plan: _edits.Plan, ts0: list, ts1: list) -> None:
    """Lengths, graph, dtype and static shape of each pair, before anything changes."""
    if len(ts0) != len(ts1):
        raise GraphEditValueError(
            f"ts0 and ts1 have different sizes: {len(ts0)} != {len(ts1)} "
            f"(ts0: {[t.name for t in ts0]}, ts1: {[t.name for t in ts1]}). Tensors are "
            "rerouted pairwise; pass lists of equal length."
        )
    if ts0:  # each list is of one graph already (make_list_of_t, or a view's tensors)
        plan.use_graph(ts0[0].graph)
        plan.use_graph(ts1[0].graph)
    try:  # every pair of the same dtype and static shape, read in bulk: nothing to report
        if (_tf.tensor_dtypes(ts0) == _tf.tensor_dtypes(ts1)
                and _tf.tensor_dims(ts0) == _tf.tensor_dims(ts1)):
            return
    except AttributeError:  # a placeholder not created yet (PendingTensor): pair by pair
        pass
    for k, (t0, t1) in enumerate(zip(ts0, ts1)):
        if t0 is t1:
            continue
        d0, d1 = t0.dtype, t1.dtype
        if d0 is not d1 and d0.base_dtype != d1.base_dtype:
            raise DtypeMismatchError(
                f"Dtypes {d0.name} and {d1.name} are not compatible: pair {k} is tensor "
                f"'{t0.name}' ({d0.name}) and tensor '{t1.name}' ({d1.name}). Their consumers "
                "would get a tensor of the wrong type; insert a tf.cast first."
            )
        s0, s1 = t0.shape, t1.shape
        if not (s0 == s1 or s0.is_compatible_with(s1)):
            raise GraphEditValueError(
                f"Shapes {s0} and {s1} are not compatible: pair {k} is tensor '{t0.name}' "
                f"{s0} and tensor '{t1.name}' {s1}. Reshape one of them first."
            )


def _reroute_pairs(
    plan: _edits.Plan,
    ts0: list,
    ts1: list,
    mode: str,
    can_modify: set | None = None,
    cannot_modify: set | None = None,
) -> int:
    """Record the reroute of each pair in ``plan``; return the number of input slots set."""
    _check_pairs(plan, ts0, ts1)
    a2b = mode in (_SWAP, _A2B)
    b2a = mode in (_SWAP, _B2A)

    if _independent(plan, ts0, ts1, a2b, b2a):
        return _record_fresh(plan, ts0, ts1, (a2b, b2a), can_modify, cannot_modify)

    def keep(ops: list) -> list:
        if can_modify is not None:
            ops = [op for op in ops if op in can_modify]
        if cannot_modify is not None:
            ops = [op for op in ops if op not in cannot_modify]
        return ops

    # Consumer sets first, for every pair (repeated tensors behave as in contrib).
    consumers = [
        (
            keep(plan.consumers(t0)) if b2a and t0 is not t1 else [],
            keep(plan.consumers(t1)) if a2b and t0 is not t1 else [],
        )
        for t0, t1 in zip(ts0, ts1)
    ]
    count = 0
    for (t0, t1), (c0, c1) in zip(zip(ts0, ts1), consumers):
        if t0 is t1:
            continue
        # Slots of both directions are read before either is written: a consumer of both
        # tensors gets them swapped, not the same tensor twice.
        to_t0 = [(c, plan.slots_reading(c, t1)) for c in c1]
        to_t1 = [(c, plan.slots_reading(c, t0)) for c in c0]
        for c, slots in to_t0:
            for i in slots:
                plan.set_input(c, i, t0, t1)
                count += 1
        for c, slots in to_t1:
            for i in slots:
                plan.set_input(c, i, t1, t0)
                count += 1
    return count


def _independent(plan: _edits.Plan, ts0: list, ts1: list, a2b: bool, b2a: bool) -> bool:
    """The plan holds no edit yet, the tensors whose readers move (``ts1`` for a2b,
    ``ts0`` for b2a) are distinct, and none of them is also a target: then each slot moves
    once and the graph's own inputs are the virtual ones."""
    if plan.pending or plan.slots or plan.ctrl:
        return False
    if a2b and b2a:
        return len(set(map(id, itertools.chain(ts0, ts1)))) == 2 * len(ts0)
    srcs, dsts = (ts1, ts0) if a2b else (ts0, ts1)
    ids = set(map(id, srcs))
    return len(ids) == len(srcs) and ids.isdisjoint(map(id, dsts))


def _record_fresh(plan: _edits.Plan, ts0: list, ts1: list, directions: tuple,
                  can_modify: set | None, cannot_modify: set | None) -> int:
    """The slot edits of independent pairs, recorded in one batch (the graph is not
    edited before the plan is applied, so each pair's consumers are read as they are)."""
    a2b, b2a = directions
    if a2b and b2a:  # (src, dst): src's consumers read dst
        moves = [m for t0, t1 in zip(ts0, ts1) for m in ((t1, t0), (t0, t1))]
    else:
        moves = list(zip(ts1, ts0) if a2b else zip(ts0, ts1))
    edits, *ids = _tf.reader_moves(moves, can_modify, cannot_modify)
    plan.set_inputs_fresh(edits, tuple(ids))
    return len(edits)


def _reroute_ts(ts0: Any, ts1: Any, mode: str, can_modify: Any, cannot_modify: Any) -> int:
    ts0 = _as_ts(ts0, "ts0")
    ts1 = _as_ts(ts1, "ts1")
    plan = _edits.Plan(None)
    count = _reroute_pairs(
        plan,
        ts0,
        ts1,
        mode,
        _as_op_set(can_modify, "can_modify"),
        _as_op_set(cannot_modify, "cannot_modify"),
    )
    plan.apply()
    return count


def swap_ts(ts0: Any, ts1: Any, can_modify: Any = None, cannot_modify: Any = None) -> int:
    """For each pair ``(t0, t1)``, swap their consumers: readers of t0 read t1 and vice versa.

    ::

        B0 B1     B0 B1
        |  |  =>   X
        A0 A1     A0 A1

    Args:
        ts0: a tensor or list of tensors.
        ts1: a tensor or list of tensors, same length.
        can_modify: if given, only these ops may be modified.
        cannot_modify: ops that must not be modified.

    Returns:
        The number of input slots modified.

    Raises:
        GraphEditValueError: different lengths, dtypes or static shapes, two graphs, or the
            swap would create a cycle (the graph is then unchanged).
        GraphEditTypeError: an argument is not tensors / ops.

    Example:
        >>> ge.swap_ts([a], [b])          # consumers of a now read b and vice versa
        3
        >>> [t.name for t in c.op.inputs]
        ['b:0', 'a:0']
    """
    return _reroute_ts(ts0, ts1, _SWAP, can_modify, cannot_modify)


def reroute_ts(ts0: Any, ts1: Any, can_modify: Any = None, cannot_modify: Any = None) -> int:
    """For each pair ``(t0, t1)``, the consumers of **t1** now read **t0**.

    ::

        B0 B1     B0 B1
        |  |  =>  | /
        A0 A1     A0 A1        (t1 = A1 is left dangling)

    Args:
        ts0: the new tensors (a tensor or list of tensors).
        ts1: the tensors whose consumers move (same length).
        can_modify: if given, only these ops may be modified.
        cannot_modify: ops that must not be modified (e.g. the op that computes t0 from t1).

    Returns:
        The number of input slots modified.

    Raises:
        GraphEditValueError: different lengths, dtypes or static shapes, two graphs, or the
            reroute would create a cycle (the graph is then unchanged).

    Example:
        >>> with graph.as_default():
        ...     noisy = tf.add(c, 0.1, name="noisy")      # built on c
        >>> ge.reroute_ts(noisy, c, cannot_modify=noisy.op)   # d and f now read noisy
        2
    """
    return _reroute_ts(ts0, ts1, _A2B, can_modify, cannot_modify)


def reroute_b2a_ts(ts0: Any, ts1: Any, can_modify: Any = None, cannot_modify: Any = None) -> int:
    """TF 1.0 name: the consumers of **t0** now read **t1** (``reroute_ts(ts1, ts0)``).

    Example:
        >>> ge.reroute_b2a_ts(a, b)       # readers of a now read b
        1
    """
    return _reroute_ts(ts0, ts1, _B2A, can_modify, cannot_modify)


reroute_a2b_ts = reroute_ts


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


def _ts_consumers(plan: _edits.Plan, ts: list) -> set:
    res: set = set()
    for t in ts:
        res.update(plan.consumers(t))
    return res


def _remap_inputs(v0: _VState, v1: _VState, mode: str) -> None:
    """Contrib's in-place remap of two views' inputs after an input reroute."""
    n0, n1 = v0.copy(), v1.copy()
    if mode == _SWAP:
        n0.inputs, n1.inputs = n1.inputs, n0.inputs
        n0.passthroughs, n1.passthroughs = n1.passthroughs, n0.passthroughs
    elif mode == _A2B:
        n1.inputs = list(n0.inputs)
        n1.passthroughs = list(n0.passthroughs)
    else:
        n0.inputs = list(n1.inputs)
        n0.passthroughs = list(n1.passthroughs)

    def update_passthrough_outputs(a: _VState, b: _VState) -> None:
        pt = {id(t) for t in a.passthroughs}
        pos: dict[int, int] = {}
        for k, t in enumerate(a.inputs):
            pos.setdefault(id(t), k)
        for i, t in enumerate(b.outputs):
            if id(t) in pt and id(t) in pos:
                b.outputs[i] = b.inputs[pos[id(t)]]

    if mode in (_SWAP, _A2B):
        update_passthrough_outputs(n0, n1)
    if mode in (_SWAP, _B2A):
        update_passthrough_outputs(n1, n0)
    for old, new in ((v0, n0), (v1, n1)):
        old.inputs, old.outputs, old.passthroughs = new.inputs, new.outputs, new.passthroughs


def _reroute_sgv_inputs(plan: _edits.Plan, v0: _VState, v1: _VState, mode: str) -> None:
    can_modify = set(v0.ops) | set(v1.ops)
    can_modify |= _ts_consumers(plan, v0.passthroughs)
    can_modify |= _ts_consumers(plan, v1.passthroughs)
    _reroute_pairs(plan, v0.inputs, v1.inputs, mode, can_modify=can_modify)
    _remap_inputs(v0, v1, mode)


def _reroute_sgv_outputs(plan: _edits.Plan, v0: _VState, v1: _VState, mode: str) -> None:
    cannot_modify = set(v0.ops) | set(v1.ops)
    _reroute_pairs(plan, v0.outputs, v1.outputs, mode, cannot_modify=cannot_modify)


def _run_views(sgv0: Any, sgv1: Any, mode: str, outputs: bool, inputs: bool) -> tuple:
    plan = _edits.Plan(None)
    v0 = _vstate(plan, sgv0)
    v1 = _vstate(plan, sgv1)
    if outputs:
        _reroute_sgv_outputs(plan, v0, v1, mode)
    if inputs:
        _reroute_sgv_inputs(plan, v0, v1, mode)
    _apply(plan)
    return v0.target, v1.target


def swap_inputs(sgv0: Any, sgv1: Any) -> tuple[subgraph.SubGraphView, subgraph.SubGraphView]:
    """Swap the inputs of two views: sgv0's ops read sgv1's inputs and vice versa.

    Only the views' ops and the consumers of their passthroughs are modified. Views passed
    in are remapped **in place** (inputs and passthroughs exchanged); other arguments are
    converted with ``ge.sgv`` first. A list of tensors is a passthrough view, so
    ``ge.swap_inputs(op, [x, y])`` feeds new tensors into ``op``.

    Returns:
        ``(sgv0, sgv1)`` as views.

    Example:
        >>> with graph.as_default():
        ...     x, y = tf.ones([2], name="x"), tf.zeros([2], name="y")
        >>> _ = ge.swap_inputs(c.op, [x, y])
        >>> [t.name for t in c.op.inputs]     # c now computes x + y
        ['x:0', 'y:0']
    """
    return _run_views(sgv0, sgv1, _SWAP, outputs=False, inputs=True)


def reroute_inputs(sgv0: Any, sgv1: Any) -> tuple[subgraph.SubGraphView, subgraph.SubGraphView]:
    """sgv1's ops now read sgv0's inputs (pairwise); sgv1 is remapped in place.

    Returns:
        ``(sgv0, sgv1)`` as views.

    Example:
        >>> with graph.as_default():
        ...     x, y = tf.ones([2], name="x"), tf.zeros([2], name="y")
        >>> _ = ge.reroute_inputs([x, y], c.op)
        >>> [t.name for t in c.op.inputs]     # c now reads x and y
        ['x:0', 'y:0']
    """
    return _run_views(sgv0, sgv1, _A2B, outputs=False, inputs=True)


def reroute_b2a_inputs(sgv0: Any, sgv1: Any) -> tuple:
    """TF 1.0 name: sgv0's ops now read sgv1's inputs; returns ``(sgv0, sgv1)``.

    Example:
        >>> with graph.as_default():
        ...     x, y = tf.ones([2], name="x"), tf.zeros([2], name="y")
        >>> _ = ge.reroute_b2a_inputs(c.op, [x, y])
        >>> [t.name for t in c.op.inputs]
        ['x:0', 'y:0']
    """
    return _run_views(sgv0, sgv1, _B2A, outputs=False, inputs=True)


def swap_outputs(sgv0: Any, sgv1: Any) -> tuple[subgraph.SubGraphView, subgraph.SubGraphView]:
    """Swap the consumers of the two views' outputs (the views' own ops are not modified).

    Returns:
        ``(sgv0, sgv1)`` as views (not remapped).

    Example:
        >>> with graph.as_default():
        ...     relu, tanh = tf.nn.relu(c, name="relu"), tf.tanh(c, name="tanh")
        ...     y = tf.add(relu, 1.0, name="y")
        >>> _ = ge.swap_outputs(relu.op, tanh.op)
        >>> y.op.inputs[0].name       # readers of relu read tanh and vice versa
        'tanh:0'
    """
    return _run_views(sgv0, sgv1, _SWAP, outputs=True, inputs=False)


def reroute_outputs(sgv0: Any, sgv1: Any) -> tuple[subgraph.SubGraphView, subgraph.SubGraphView]:
    """The consumers of sgv1's outputs now read sgv0's outputs (pairwise).

    Returns:
        ``(sgv0, sgv1)`` as views (not remapped).

    Example:
        >>> with graph.as_default():
        ...     relu, tanh = tf.nn.relu(c, name="relu"), tf.tanh(c, name="tanh")
        ...     y = tf.add(relu, 1.0, name="y")
        >>> _ = ge.reroute_outputs(tanh.op, relu.op)
        >>> y.op.inputs[0].name       # relu's readers use tanh
        'tanh:0'
    """
    return _run_views(sgv0, sgv1, _A2B, outputs=True, inputs=False)


def reroute_b2a_outputs(sgv0: Any, sgv1: Any) -> tuple:
    """TF 1.0 name: the consumers of sgv0's outputs now read sgv1's outputs.

    Example:
        >>> with graph.as_default():
        ...     relu, tanh = tf.nn.relu(c, name="relu"), tf.tanh(c, name="tanh")
        ...     y = tf.add(relu, 1.0, name="y")
        >>> _ = ge.reroute_b2a_outputs(relu.op, tanh.op)
        >>> y.op.inputs[0].name
        'tanh:0'
    """
    return _run_views(sgv0, sgv1, _B2A, outputs=True, inputs=False)


def swap_ios(sgv0: Any, sgv1: Any) -> tuple[subgraph.SubGraphView, subgraph.SubGraphView]:
    """Swap outputs, then inputs, of two views (one validated, atomic edit).

    Views are remapped in place as by :func:`swap_inputs`.

    Example:
        >>> _ = ge.swap_ios(e.op, f.op)      # the two ops trade places
        >>> e.op.inputs[0].name, f.op.inputs[0].name
        ('c:0', 'd:0')
    """
    return _run_views(sgv0, sgv1, _SWAP, outputs=True, inputs=True)


def reroute_ios(sgv0: Any, sgv1: Any) -> tuple[subgraph.SubGraphView, subgraph.SubGraphView]:
    """Reroute outputs, then inputs, from sgv0 to sgv1: sgv0 takes sgv1's place.

    Example:
        >>> with graph.as_default():
        ...     new = tf.sigmoid(c, name="new")
        ...     y = tf.identity(e, name="y")
        >>> _ = ge.reroute_ios(new.op, e.op)   # e's readers read new; e reads new's input
        >>> y.op.inputs[0].name, e.op.inputs[0].name
        ('new:0', 'c:0')
    """
    return _run_views(sgv0, sgv1, _A2B, outputs=True, inputs=True)


def reroute_b2a(sgv0: Any, sgv1: Any) -> tuple:
    """TF 1.0 name: ``reroute_ios`` in the other direction (sgv1 takes sgv0's place).

    Example:
        >>> with graph.as_default():
        ...     new = tf.sigmoid(c, name="new")
        ...     y = tf.identity(e, name="y")
        >>> _ = ge.reroute_b2a(e.op, new.op)
        >>> y.op.inputs[0].name, e.op.inputs[0].name
        ('new:0', 'c:0')
    """
    return _run_views(sgv0, sgv1, _B2A, outputs=True, inputs=True)


swap = swap_ios
reroute_a2b_inputs = reroute_inputs
reroute_a2b_outputs = reroute_outputs
reroute_a2b = reroute_ios


# --------------------------------------------------------------------------------------------
# Control inputs
# --------------------------------------------------------------------------------------------


def _check_op(op: Any, fn: str) -> tf.Operation:
    if not isinstance(op, tf.Operation):
        raise GraphEditTypeError(
            f"{fn} expects a tf.Operation as first argument, got {util._describe(op)}."
            f"{util._hint_for(op, 'op')}"
        )
    return op


def _control_ops(op: tf.Operation, cops: Any, plan: _edits.Plan) -> list[tf.Operation]:
    cops = util.make_list_of_op(cops, allow_graph=False)
    plan.use_graph(op.graph)
    for cop in cops:
        plan.use_graph(cop.graph)
    return cops


def _add_control_inputs(plan: _edits.Plan, op: tf.Operation, cops: list) -> None:
    current = plan.control_inputs(op)
    present = set(current)
    for cop in cops:
        if cop in present:
            raise GraphEditValueError(
                f"'{cop.name}' is already a control input of '{op.name}'; nothing to add."
            )
    new = list(dict.fromkeys(cops))  # a repeat within cops is added once (TF keeps one)
    plan.set_control_inputs(op, current + new)


def _remove_control_inputs(plan: _edits.Plan, op: tf.Operation, cops: list) -> None:
    current = plan.control_inputs(op)
    present = set(current)
    for cop in cops:
        if cop not in present:
            raise GraphEditValueError(
                f"'{cop.name}' is not a control input of '{op.name}' (its control inputs: "
                f"{[c.name for c in current]})."
            )
    drop = set(cops)
    plan.set_control_inputs(op, [c for c in current if c not in drop])


def _edit_control_inputs(op: Any, cops: Any, fn: str, record: Any) -> None:
    """Validate ``op`` and ``cops``, record the edit in a plan, apply it."""
    _check_op(op, fn)
    plan = _edits.Plan(op.graph)
    record(plan, op, _control_ops(op, cops, plan))
    plan.apply()


def add_control_inputs(op: tf.Operation, cops: Any) -> None:
    """Add ``cops`` as control inputs of ``op`` (they run before it).

    Args:
        op: the op to modify.
        cops: an op or a list of ops of the same graph.

    Raises:
        GraphEditTypeError: ``op`` is not a ``tf.Operation``.
        GraphEditValueError: one of ``cops`` already is a control input of ``op``, or the new
            edge would close a cycle (e.g. ``cop`` depends on ``op``).

    Example:
        >>> with graph.as_default():
        ...     update_op, train_op = tf.no_op(name="update"), tf.no_op(name="train")
        >>> ge.add_control_inputs(train_op, [update_op])
        >>> train_op.control_inputs
        [<tf.Operation 'update' type=NoOp>]
    """
    _edit_control_inputs(op, cops, "add_control_inputs", _add_control_inputs)


def remove_control_inputs(op: tf.Operation, cops: Any) -> None:
    """Remove the control inputs ``cops`` from ``op``; its other control inputs stay, in order.

    Raises:
        GraphEditTypeError: ``op`` is not a ``tf.Operation``.
        GraphEditValueError: one of ``cops`` is not a control input of ``op``.

    Example:
        >>> with graph.as_default():
        ...     update_op = tf.no_op(name="update")
        ...     with tf.control_dependencies([update_op]):
        ...         train_op = tf.no_op(name="train")
        >>> ge.remove_control_inputs(train_op, [update_op])
        >>> train_op.control_inputs
        []
    """
    _edit_control_inputs(op, cops, "remove_control_inputs", _remove_control_inputs)


def remove_control_input(op: tf.Operation, cop: tf.Operation) -> None:
    """Remove the single control edge ``cop -> op`` (TF can only remove all of them).

    Raises:
        GraphEditValueError: ``cop`` is not a control input of ``op``.

    Example:
        >>> with graph.as_default():
        ...     update_op = tf.no_op(name="update")
        ...     with tf.control_dependencies([update_op]):
        ...         train_op = tf.no_op(name="train")
        >>> ge.remove_control_input(train_op, update_op)
        >>> train_op.control_inputs
        []
    """
    _check_op(op, "remove_control_input")
    _check_op(cop, "remove_control_input (second argument)")
    remove_control_inputs(op, [cop])
