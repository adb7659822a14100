"""``remove_identity``: bypass Identity ops and NoOp chains, in place.

Consumers of an ``Identity`` / ``Snapshot`` / ``IdentityN`` output read its input instead;
the identity's control inputs move to those consumers, and ops that waited for the identity
(``^identity``) now wait for its input's op and its control inputs. Ops waiting for a
``NoOp`` that has control inputs wait for those control inputs instead. A control edge that
would end up waiting for a ``Const`` is dropped (a constant orders nothing): the output of a
frozen function, which waits on a ``NoOp`` waiting on every weight read, then waits on
nothing, and ``strip_unused`` keeps only the weights the outputs read. Identities and
NoOps that nothing reads (graph outputs, train ops) are left alone, as are the ops named in
``keep`` and the identities of TF1 control-flow outputs (``cond`` branch pivots: bypassing
them would run both branches).

All bypasses are resolved first (chains of identities and NoOps, in one walk), then every
reader is rewired once: linear in the graph size.

Example::

    report = ge.remove_identity(graph, keep=["output"])
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graph_editor import _tf, rewrite
from graph_editor._callable_module import make_callable
from graph_editor.passes._common import check_graph, kept_ops, note_replaced
from graph_editor.passes._edit import Edits

__all__ = ["remove_identity", "IDENTITY_TYPES"]

#: Op types bypassed by :func:`remove_identity`.
IDENTITY_TYPES = ("Identity", "Snapshot", "IdentityN")

# TF1 control flow: an Identity of a Switch output is a branch pivot (ops of the branch wait
# on it); waiting on the Switch itself instead would run both branches (and hang Merge).
# Identities of Enter outputs are left alone too (loop-frame bookkeeping).
_V1_CONTROL_FLOW = frozenset({"Switch", "RefSwitch", "Enter", "RefEnter"})


def _trivial(op: tf.Operation) -> bool:
    """A ``Const`` without control inputs: waiting for it orders nothing."""
    return op.type == "Const" and not op.control_inputs


def _bypassed(ops: list, kept: set) -> dict:
    """The ops to bypass (insertion-ordered dict used as an ordered set)."""
    control_outputs = _tf.control_outputs
    out: dict = {}
    for op in ops:
        if op in kept:
            continue
        if op.type in IDENTITY_TYPES:
            if any(t.op.type in _V1_CONTROL_FLOW for t in op.inputs):
                continue
            if any(t.consumers() for t in op.outputs) or control_outputs(op):
                out[op] = None
        elif op.type == "NoOp" and op.control_inputs and control_outputs(op):
            out[op] = None
    return out


def _post_order(bypass: dict) -> list:
    """The bypassed ops, each after the bypassed ops it reads or waits for (iterative DFS)."""
    order: list = []
    seen: set = set()
    for root in bypass:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter([*(t.op for t in root.inputs), *root.control_inputs]))]
        while stack:
            op, deps = stack[-1]
            for d in deps:
                if d in bypass and d not in seen:
                    seen.add(d)
                    stack.append((d, iter([*(t.op for t in d.inputs), *d.control_inputs])))
                    break
            else:
                stack.pop()
                order.append(op)
    return order


class _Resolved:
    """For each bypassed op: what waiting for it means, and (identities) where its outputs
    come from and which control inputs their readers must take over."""

    def __init__(self, bypass: dict) -> None:
        self.bypass = bypass
        self.wait: dict = {}  # op -> ops to wait for instead of op
        self.src: dict = {}  # identity -> source tensor of each output
        self.ctl: dict = {}  # identity -> control inputs its readers take over
        for op in _post_order(bypass):
            controls = [w for c in op.control_inputs for w in self.wait_of(c)]
            if op.type == "NoOp":
                self.wait[op] = list(dict.fromkeys(controls))
                continue
            data = [w for t in op.inputs for w in self.wait_of(t.op)]
            self.wait[op] = list(dict.fromkeys(data + controls))
            chained = [c for t in op.inputs if t.op in bypass for c in self.ctl[t.op]]
            self.ctl[op] = list(dict.fromkeys(controls + chained))
            self.src[op] = [self.source(t) for t in op.inputs]

    def wait_of(self, op: tf.Operation) -> Any:
        if op in self.bypass:
            return self.wait[op]
        return () if _trivial(op) else (op,)

    def source(self, t: tf.Tensor) -> tf.Tensor:
        return self.src[t.op][t.value_index] if t.op in self.bypass else t


def _rewire(ops: list, r: _Resolved, edits: Edits) -> None:
    bypass = r.bypass
    for op in ops:
        if op in bypass:
            continue
        data, extra = [], []
        for i, t in enumerate(op.inputs):
            if t.op in bypass:
                data.append((op, i, r.source(t)))
                extra.extend(r.ctl[t.op])
        cins = op.control_inputs
        if data:
            edits.set_inputs(data)
        if extra or any(c in bypass for c in cins):
            controls = [w for c in cins for w in r.wait_of(c)] + extra
            edits.set_controls(op, [c for c in controls if not _trivial(c)])


def remove_identity(graph: tf.Graph, keep: Any = ()) -> rewrite.RewriteReport:
    """Bypass every Identity-like op (and NoOp chain) that something reads.

    Args:
        graph: the graph, edited in place (bypassed ops stay in the graph, unused).
        keep: tensors, ops or names that must survive unchanged (named outputs).

    Returns:
        A :class:`~graph_editor.rewrite.RewriteReport`: ``matches`` ops bypassed,
        ``replaced_ops`` the bypassed ops.

    Raises:
        GraphEditKeyError: a name in ``keep`` is not in the graph.

    Example:
        >>> with graph.as_default():
        ...     y = tf.identity(tf.identity(e))
        ...     z = tf.tanh(y, name="z")
        >>> ge.remove_identity(graph, keep=["z"]).matches
        2
    """
    check_graph(graph, "remove_identity")
    kept = kept_ops(graph, keep)
    ops = graph.get_operations()
    bypass = _bypassed(ops, kept)
    report = rewrite.RewriteReport(graph=graph, iterations=1)
    if not bypass:
        return report
    resolved = _Resolved(bypass)
    edits = Edits(graph)
    try:
        _rewire(ops, resolved, edits)
    except BaseException:
        edits.undo()
        raise
    edits.done()
    note_replaced(graph, bypass)
    report.matches = len(bypass)
    report.replaced_ops = list(bypass)
    return report


make_callable(__name__, remove_identity)
