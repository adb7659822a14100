"""``fold_constants``: evaluate constant subgraphs with TensorFlow and use ``Const`` ops.

An op is foldable when it is stateless (no random, variable, I/O or assert op; no v1
control flow, function call or placeholder) and everything it reads, data and control,
is foldable or a ``Const``. Each foldable tensor read by a non-foldable op is evaluated
(in a stripped copy of the graph, so the graph itself never ran in a Session) and, if it
is at most ``max_bytes`` large, its consumers move onto a new ``Const`` holding the value.
A tensor too large is not folded; the tensors it is computed from are tried instead.

Example::

    report = ge.fold_constants(graph, max_bytes=1 << 20, keep=["output"])
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import tensorflow as tf

from graph_editor import _tf, rewrite
from graph_editor.errors import GraphEditValueError
from graph_editor.passes._common import check_graph, evaluate, is_foldable_type, kept_ops

__all__ = ["fold_constants", "DEFAULT_MAX_BYTES"]

#: Default size limit of one folded tensor.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def _foldable_ops(graph: tf.Graph, kept: set) -> set:
    """Foldable ops, in one topological pass (Kahn) over data and control edges."""
    ops = graph.get_operations()
    pending: dict = {}
    ready: deque = deque()
    for op in ops:
        n = len(op.inputs) + len(op.control_inputs)
        pending[op] = n
        if n == 0:
            ready.append(op)
    foldable: set = set()
    control_outputs = _tf.control_outputs
    while ready:
        op = ready.popleft()
        if (
            op not in kept
            and (op.type == "Const" or is_foldable_type(op))
            and all(t.op in foldable for t in op.inputs)
            and all(c in foldable for c in op.control_inputs)
        ):
            foldable.add(op)
        for t in op.outputs:
            for c in t.consumers():
                pending[c] -= 1
                if pending[c] == 0:
                    ready.append(c)
        for c in control_outputs(op):
            pending[c] -= 1
            if pending[c] == 0:
                ready.append(c)
    return foldable


def _nbytes(value: np.ndarray) -> int:
    if value.dtype == object:
        return int(sum(len(v) for v in value.ravel()))
    return int(value.nbytes)


def _static_nbytes(t: tf.Tensor) -> int | None:
    if not t.shape.is_fully_defined() or t.dtype == tf.string:
        return None
    return int(np.prod(t.shape.as_list(), dtype=np.int64)) * t.dtype.size


def fold_constants(
    graph: tf.Graph, max_bytes: int = DEFAULT_MAX_BYTES, keep: Any = ()
) -> rewrite.RewriteReport:
    """Replace constant subgraphs by ``Const`` ops holding their values.

    Args:
        graph: the graph, edited in place (folded ops stay in the graph, unused).
        max_bytes: the largest value folded, in bytes (larger ones are left computed).
        keep: tensors, ops or names that must survive unchanged (never folded away).

    Returns:
        A :class:`~graph_editor.rewrite.RewriteReport`: ``matches`` tensors folded,
        ``replaced_ops`` their ops, ``new_ops`` the new ``Const`` ops.

    Example:
        >>> ge.fold_constants(g).matches        # e.g. y = x * (c1 + c2): c1 + c2 folded
        1
    """
    check_graph(graph, "fold_constants")
    if not isinstance(max_bytes, int) or max_bytes < 0:
        raise GraphEditValueError(f"max_bytes must be an int >= 0, got {max_bytes!r}.")
    kept = kept_ops(graph, keep)
    foldable = _foldable_ops(graph, kept)
    report = rewrite.RewriteReport(graph=graph, iterations=1)
    # Frontier: foldable (non-Const) tensors read by a non-foldable op.
    todo: list = []
    queued: set = set()
    for op in foldable:
        if op.type == "Const":
            continue
        for t in op.outputs:
            if any(c not in foldable for c in t.consumers()):
                todo.append(t)
                queued.add(t.name)
    accepted: list = []
    while todo:
        batch, todo = todo, []
        small = []
        too_big = []
        for t in batch:
            n = _static_nbytes(t)
            (too_big if n is not None and n > max_bytes else small).append(t)
        for t, value in zip(small, evaluate(graph, small)):
            value = np.asarray(value)
            if _nbytes(value) > max_bytes:
                too_big.append(t)
            else:
                accepted.append((t, value))
        for t in too_big:  # try what it is computed from
            for u in t.op.inputs:
                if u.op.type != "Const" and u.op in foldable and u.name not in queued:
                    queued.add(u.name)
                    todo.append(u)
    if not accepted:
        return report
    accepted.sort(key=lambda tv: (_tf.op_id(tv[0].op), tv[0].value_index))
    created = []
    with graph.as_default(), graph.control_dependencies(None):
        for t, value in accepted:
            base = t.op.name + "_folded" + (f"_{t.value_index}" if t.value_index else "")
            name = _tf.unique_name_at_root(graph, base)
            const = tf.constant(value, dtype=t.dtype, name=name + "/")
            created.append(const)
    journal = rewrite._Journal()
    try:
        for (t, _), const in zip(accepted, created):
            consumers = list(t.consumers())
            if consumers:
                journal.reroute(const, t, consumers)
    except BaseException:
        journal.undo()
        raise
    report.matches = len(accepted)
    report.replaced_ops = list(dict.fromkeys(t.op for t, _ in accepted))
    report.new_ops = [c.op for c in created]
    return report
