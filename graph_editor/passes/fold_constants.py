"""``fold_constants``: evaluate constant subgraphs with TensorFlow and use ``Const`` ops.

An op is foldable when it is stateless (no random, variable, I/O or assert op; no v1
control flow, function call or placeholder) and everything it reads, data and control,
is foldable or a ``Const``. Each foldable tensor read by a non-foldable op is evaluated
(the graph itself never runs: NumPy or TensorFlow's kernels compute plumbing and
elementwise math from the ``Const`` values, bit for bit as TensorFlow would; anything else
runs in one Session of a new graph holding only the constant ops needed) and, if it is at
most ``max_bytes`` large, its consumers move onto a new ``Const`` holding the value. A
tensor too large is not folded; the tensors it is computed from are tried instead.

Then, as grappler's constant folding does:

- control edges from foldable ops (and from NoOps that only wait for such ops) are
  removed: waiting for a constant orders nothing, and this lets the weights of a frozen
  function go once nothing reads them;
- ops that add zeros or multiply by ones (``Add``/``AddV2``/``Sub``/``BiasAdd`` with an
  all-zero ``Const``, ``Mul``/``RealDiv``/``Div`` with an all-one ``Const``) are bypassed
  when the constant cannot change the other operand's shape (``simplify=True``);
- equal small ``Const`` ops read by non-foldable ops (same dtype, shape, device and
  value, at most 64 KiB) are merged: their readers all read the first one
  (``merge=True``).

Example::

    report = ge.fold_constants(graph, max_bytes=1 << 20, keep=["output"])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from graph_editor import _tf, rewrite, util
from graph_editor._callable_module import make_callable
from graph_editor.errors import GraphEditValueError
from graph_editor.passes._common import check_graph, kept_ops, note_replaced, replaced_names
from graph_editor.passes._consts import Constants, const_value
from graph_editor.passes._edit import Edits
from graph_editor.passes._serialize import NodeBatch

__all__ = ["fold_constants", "FoldConstantsReport", "DEFAULT_MAX_BYTES"]

#: Default size limit of one folded tensor.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_MERGE_MAX_BYTES = 64 * 1024
_ZERO_OPS = {"Add": (0, 1), "AddV2": (0, 1), "Sub": (1,), "BiasAdd": (1,)}
_ONE_OPS = {"Mul": (0, 1), "RealDiv": (1,), "Div": (1,)}


@dataclass(repr=False)
class FoldConstantsReport(rewrite.RewriteReport):
    """What :func:`fold_constants` did.

    Attributes:
        matches: tensors folded into new ``Const`` ops (``new_ops``).
        replaced_ops: ops no longer read: the folded tensors' ops, the simplified ops and
            the merged duplicate constants.
        simplified_ops: ops bypassed because they add zeros or multiply by ones.
        merged_consts: duplicate ``Const`` ops whose readers now read an equal one.
        dropped_control_edges: control edges removed because their source is constant.

    Example:
        >>> with graph.as_default():
        ...     out = tf.identity(tf.add(e, tf.zeros([2]), name="add"), name="out")
        >>> report = ge.fold_constants(graph, keep=["out"])
        >>> [op.name for op in report.simplified_ops]      # e + zeros is e
        ['add']
    """

    simplified_ops: list = field(default_factory=list)
    merged_consts: list = field(default_factory=list)
    dropped_control_edges: int = 0

    def __bool__(self) -> bool:
        return bool(
            self.matches or self.simplified_ops or self.merged_consts
            or self.dropped_control_edges
        )

    def __repr__(self) -> str:
        return (
            f"FoldConstantsReport(matches={self.matches}, replaced_ops="
            f"{len(self.replaced_ops)}, new_ops={len(self.new_ops)}, simplified_ops="
            f"{len(self.simplified_ops)}, merged_consts={len(self.merged_consts)}, "
            f"dropped_control_edges={self.dropped_control_edges})"
        )


def _nbytes(value: np.ndarray) -> int:
    if value.dtype == object:
        return int(sum(len(v) for v in value.ravel()))
    return int(value.nbytes)


def _static_nbytes(t: tf.Tensor) -> int | None:
    dims = t.shape.as_list() if t.shape.rank is not None else None
    if dims is None or None in dims or t.dtype == tf.string:
        return None
    return math.prod(dims) * t.dtype.size


def _frontier(ops: list, consts: Constants, replaced: set) -> list:
    """Foldable (non-Const) tensors read by a non-foldable op (that no pass replaced)."""
    out = []
    for op in ops:
        if op.type == "Const" or not consts.is_constant(op):
            continue
        for t in op.outputs:
            if any(c.name not in replaced and not consts.is_constant(c) for c in t.consumers()):
                out.append(t)
    return out


def _evaluate_frontier(todo: list, consts: Constants, max_bytes: int) -> list:
    """``(tensor, value)`` for the frontier tensors that fit ``max_bytes`` (else their inputs)."""
    queued = {t.name for t in todo}
    accepted: list = []
    while todo:
        small: list[tf.Tensor] = []
        too_big: list[tf.Tensor] = []
        for t in todo:
            n = _static_nbytes(t)
            (too_big if n is not None and n > max_bytes else small).append(t)
        todo = []
        for t, value in zip(small, consts.values(small)):
            value = np.asarray(value)
            if _nbytes(value) > max_bytes:
                too_big.append(t)
            else:
                accepted.append((t, value))
        for t in too_big:  # try what it is computed from
            for u in t.op.inputs:
                if u.op.type != "Const" and consts.is_constant(u.op) and u.name not in queued:
                    queued.add(u.name)
                    todo.append(u)
    accepted.sort(key=lambda tv: (_tf.op_id(tv[0].op), tv[0].value_index))
    return accepted


def _fold(graph: tf.Graph, accepted: list, edits: Edits, report: FoldConstantsReport) -> None:
    batch = NodeBatch(graph)
    names = []
    for t, value in accepted:
        base = t.op.name + "_folded" + (f"_{t.value_index}" if t.value_index else "")
        names.append(batch.const(base, value, t.dtype))
    created = batch.create()
    for (t, _), name in zip(accepted, names):
        edits.reroute(t, created[name].outputs[0])
    report.matches = len(accepted)
    report.replaced_ops.extend(dict.fromkeys(t.op for t, _ in accepted))
    report.new_ops.extend(created[name] for name in names)


def _orders_nothing(op: tf.Operation, consts: Constants, memo: dict) -> bool:
    """A constant op, or a NoOp that only waits for such ops: waiting for it is void. (A
    NoOp that waits for nothing is a marker, e.g. a gate built to be waited for: kept.)"""
    stack = [(op, False)]
    while stack:
        o, expanded = stack.pop()
        if o in memo:
            continue
        if o.type != "NoOp":
            memo[o] = consts.is_constant(o)
        elif not expanded:
            stack.append((o, True))
            stack.extend((c, False) for c in o.control_inputs if c not in memo)
        else:
            cins = o.control_inputs
            memo[o] = bool(cins) and all(memo.get(c, False) for c in cins)
    return memo[op]


def _drop_constant_controls(ops: list, consts: Constants, replaced: set, edits: Edits) -> int:
    planned: list = []
    memo: dict[tf.Operation, bool] = {}
    for op in ops:  # decide on the graph as it is, then edit
        cins = op.control_inputs
        if not cins or op.name in replaced or consts.is_constant(op):
            continue
        rest = [c for c in cins if not _orders_nothing(c, consts, memo)]
        if len(rest) != len(cins):
            planned.append((op, rest, len(cins) - len(rest)))
    for op, rest, _ in planned:
        edits.set_controls(op, rest)
    return sum(n for _, _, n in planned)


def _small_value(t: tf.Tensor, limit: int) -> np.ndarray | None:
    op = t.op
    if op.type != "Const" or op.control_inputs:
        return None
    n = _static_nbytes(t)
    if n is None or n > limit:
        return None
    return const_value(op)


def _keeps_shape(x: tf.Tensor, c: tf.Tensor, out: tf.Tensor) -> bool:
    """True if broadcasting ``c`` against ``x`` gives ``x``'s shape, dtype unchanged."""
    if x.dtype != out.dtype or x.shape.rank is None or c.shape.rank is None:
        return False
    if c.shape.rank > x.shape.rank:
        return False
    for cd, xd in zip(reversed(c.shape.as_list()), reversed(x.shape.as_list())):
        if cd != 1 and cd != xd:
            return False
    return True


def _neutral_operand(op: tf.Operation) -> int | None:
    """The index of the input ``op`` passes through unchanged, or None."""
    slots, neutral = _ZERO_OPS.get(op.type), 0
    if slots is None:
        slots, neutral = _ONE_OPS.get(op.type), 1
    if slots is None or len(op.inputs) != 2 or op.control_inputs:
        return None
    if op.type == "BiasAdd" and op.get_attr("data_format") not in (b"NHWC", "NHWC"):
        return None
    for k in slots:
        c, x = op.inputs[k], op.inputs[1 - k]
        value = _small_value(c, DEFAULT_MAX_BYTES)
        if value is None or value.dtype.kind not in "fiuc":
            continue
        if (op.type == "BiasAdd" or _keeps_shape(x, c, op.outputs[0])) and np.all(
            value == neutral
        ):
            return 1 - k
    return None


def _simplify(ops: list, consts: Constants, skip: Any, edits: Edits, report: Any) -> None:
    for op in ops:  # creation order: x * 1 + 0 bypasses the Mul, then the Add
        if op.type not in _ZERO_OPS and op.type not in _ONE_OPS:
            continue
        if skip(op) or not op.outputs or not op.outputs[0].consumers():
            continue
        if consts.is_constant(op):
            continue
        k = _neutral_operand(op)
        if k is None:
            continue
        edits.reroute(op.outputs[0], op.inputs[k])
        report.simplified_ops.append(op)
        report.replaced_ops.append(op)


def _merge(ops: list, consts: Constants, skip: Any, edits: Edits, report: Any) -> None:
    first: dict = {}
    for op in ops:
        if op.type != "Const" or skip(op):
            continue
        t = op.outputs[0]
        readers = [c for c in t.consumers() if not skip(c)]
        if not any(not consts.is_constant(c) for c in readers):
            continue
        value = _small_value(t, _MERGE_MAX_BYTES)
        if value is None or value.dtype == object:
            continue
        key = (t.dtype, tuple(value.shape), op.device, value.tobytes())
        canonical = first.setdefault(key, op)
        if canonical is not op:
            edits.reroute(t, canonical.outputs[0], readers)
            report.merged_consts.append(op)
            report.replaced_ops.append(op)


def fold_constants(
    graph: tf.Graph,
    max_bytes: int = DEFAULT_MAX_BYTES,
    keep: Any = (),
    simplify: bool = True,
    merge: bool = True,
) -> FoldConstantsReport:
    """Replace constant subgraphs by ``Const`` ops holding their values.

    Args:
        graph: the graph, edited in place (folded ops stay in the graph, unused).
        max_bytes: the largest value folded, in bytes (larger ones are left computed).
        keep: tensors, ops or names that must survive unchanged (never folded away).
        simplify: bypass ops that add zeros or multiply by ones.
        merge: make readers of equal small constants read one ``Const``.

    Returns:
        A :class:`FoldConstantsReport`: ``matches`` tensors folded, ``replaced_ops``
        the ops no longer read, ``new_ops`` the new ``Const`` ops, plus
        ``simplified_ops``, ``merged_consts`` and ``dropped_control_edges``.

    Example:
        >>> with graph.as_default():
        ...     y = e * (tf.constant(1.0) + tf.constant(2.0))
        >>> ge.fold_constants(graph).matches        # 1.0 + 2.0 folded
        1
    """
    check_graph(graph, "fold_constants")
    simplify, merge = util.check_flag(simplify, "simplify"), util.check_flag(merge, "merge")
    if not isinstance(max_bytes, int) or max_bytes < 0:
        raise GraphEditValueError(f"max_bytes must be an int >= 0, got {max_bytes!r}.")
    kept = kept_ops(graph, keep)
    consts = Constants(graph, exclude=kept)
    ops = graph.get_operations()
    replaced = replaced_names(graph)

    def skip(op: tf.Operation) -> bool:  # kept, or replaced by an earlier pass
        return op in kept or op.name in replaced

    report = FoldConstantsReport(graph=graph, iterations=1)
    accepted = _evaluate_frontier(_frontier(ops, consts, replaced), consts, max_bytes)
    edits = Edits(graph)
    try:
        _fold(graph, accepted, edits, report)
        report.dropped_control_edges = _drop_constant_controls(ops, consts, replaced, edits)
        if simplify:
            _simplify(ops, consts, skip, edits, report)
        if merge:
            _merge(graph.get_operations(), consts, skip, edits, report)
    except BaseException:
        edits.undo()
        raise
    edits.done()
    note_replaced(graph, report.replaced_ops)
    return report


make_callable(__name__, fold_constants)
