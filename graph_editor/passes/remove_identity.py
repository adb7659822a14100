"""``remove_identity``: bypass Identity ops and NoOp chains, in place.

Consumers of an ``Identity`` / ``Snapshot`` / ``IdentityN`` output read its input instead;
the identity's control inputs move to those consumers, and ops that waited for the identity
(``^identity``) now wait for its input's op and its control inputs. Ops waiting for a
``NoOp`` that has control inputs wait for those control inputs instead. Identities and
NoOps that nothing reads (graph outputs, train ops) are left alone, as are the ops named in
``keep`` and the identities of TF1 control-flow outputs (``cond`` branch pivots: bypassing
them would run both branches).

Example::

    report = ge.remove_identity(graph, keep=["output"])
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graph_editor import _tf, rewrite
from graph_editor.match import OpMatcher, op_type
from graph_editor.passes._common import check_graph, kept_ops, not_kept

__all__ = ["remove_identity", "IDENTITY_TYPES"]

#: Op types bypassed by :func:`remove_identity`.
IDENTITY_TYPES = ("Identity", "Snapshot", "IdentityN")

# TF1 control flow: an Identity of a Switch output is a branch pivot (ops of the branch wait
# on it); waiting on the Switch itself instead would run both branches (and hang Merge).
# Identities of Enter outputs are left alone too (loop-frame bookkeeping).
_V1_CONTROL_FLOW = frozenset({"Switch", "RefSwitch", "Enter", "RefEnter"})


def _bypass(m: rewrite.Match) -> list:
    return list(m.root.inputs)


def _remove_noops(graph: tf.Graph, kept: set, journal: Any, report: rewrite.RewriteReport) -> None:
    control_outputs = _tf.control_outputs
    for op in graph.get_operations():  # creation order: upstream NoOps first in chains
        if op.type != "NoOp" or op in kept:
            continue
        cins = list(op.control_inputs)
        dependents = list(control_outputs(op)) if cins else []
        if not dependents:  # a graph output, or a lone NoOp: nothing to bypass
            continue
        for d in dependents:
            journal.remove_controls(d, [op])
            journal.add_controls(d, cins)
        report.matches += 1
        report.replaced_ops.append(op)


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
        >>> y = tf.identity(tf.identity(x))          # in graph g, consumed by z
        >>> ge.remove_identity(g).matches
        2
    """
    check_graph(graph, "remove_identity")
    kept = kept_ops(graph, keep)
    keep_filter = not_kept(kept)
    control_outputs = _tf.control_outputs

    def filter_fn(m: rewrite.Match) -> bool:
        root = m.root
        used = any(t.consumers() for t in root.outputs) or control_outputs(root)
        if not used or any(t.op.type in _V1_CONTROL_FLOW for t in root.inputs):
            return False
        return keep_filter(m)

    report = rewrite.rewrite(
        graph, OpMatcher(op_type(IDENTITY_TYPES)), _bypass, filter=filter_fn, max_iterations=2
    )
    journal = rewrite._Journal()
    try:
        _remove_noops(graph, kept, journal, report)
    except BaseException:
        journal.undo()
        raise
    return report
