"""The ops that ``graph_replace`` copies (private).

They are the ops downstream of the replaced tensors' consumers and upstream of the
targets' producers, control edges included: ``select.get_walks_intersection_ops``.

When every edge of the graph goes from an older op to a newer one (creation order is
topological; checked once per graph, and again after graph_editor edits its edges), every
path from the replaced tensors to the targets stays among the ops created in between. Two
sweeps over that window in creation order then find the same set: forward, an op is
reached when one of its producers (data or control) is; backward, an op is needed when a
needed op reads it. Both sweeps read op inputs only, not the consumer lookups of the walks,
so the cost follows the window, not the graph.
"""

from __future__ import annotations

import operator
import weakref
from typing import Any

import tensorflow as tf

from graph_editor import _edits, _tf, select, util

__all__ = ["creation_order_is_topological", "ops_between"]

_OP = operator.attrgetter("op")

# graph -> (highest op id checked, edit count, clean): the check resumes where it stopped.
_TOPO_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def creation_order_is_topological(graph: tf.Graph) -> bool:
    """True if every data and control edge goes from an older op to a newer one.

    Checked incrementally: ops created since the last call are checked on their own, the
    whole graph again only after graph_editor edited edges (its edit counter moved). Edges
    changed with raw TF calls must be reported with ``ge.note_external_edit(graph)``.
    """
    key = _edits.edit_count(graph)
    entry = _TOPO_CACHE.get(graph)
    if entry is None or entry[1] != key:
        last, clean = 0, True
    else:
        last, _, clean = entry
        if not clean:
            return False
    new_ops, top = _tf.ops_created_after(graph, last)
    clean = _edges_increase(new_ops)
    _TOPO_CACHE[graph] = (top, key, clean)
    return clean


def _edges_increase(ops: list[tf.Operation]) -> bool:
    """Every data and control input of ``ops`` has a smaller id than its consumer (the ids
    read in bulk, the comparisons in one ``map``)."""
    ids = _tf.op_ids(ops)
    inputs = [op.inputs for op in ops]
    controls = [op.control_inputs for op in ops]
    for lists, producers in ((inputs, [t.op for ts in inputs for t in ts]),
                             (controls, [c for cs in controls for c in cs])):
        consumers = [i for xs, i in zip(lists, ids) for _ in xs]
        if any(map(operator.ge, _tf.op_ids(producers), consumers)):
            return False
    return True


def ops_between(graph: tf.Graph, replaced: list[tf.Tensor], targets: list[tf.Tensor],
                control_ios: util.ControlOutputs) -> list[tf.Operation]:
    """The ops downstream of ``replaced``'s consumers and upstream of ``targets``' producers
    (both included), control edges followed both ways.

    In creation order from the window sweeps when creation order is topological; else the
    walks' order (:func:`select.get_walks_intersection_ops`).
    """
    seeds = util.get_consuming_ops(replaced)
    sinks = util.get_generating_ops(targets)
    if not seeds or not sinks or not creation_order_is_topological(graph):
        return select.get_walks_intersection_ops(replaced, targets, control_ios=control_ios)
    window = _tf.ops_in_id_range(graph, min(_tf.op_ids(seeds)), max(_tf.op_ids(sinks)))
    return _sweep(window, seeds, sinks)


def _sweep(window: list[tf.Operation], seeds: list[Any], sinks: list[Any]
           ) -> list[tf.Operation]:
    """The ops of ``window`` (topologically ordered) reached from ``seeds`` and reaching
    ``sinks``, in window order."""
    reached = set(seeds)
    producers = []
    for op in window:
        preds = list(map(_OP, op.inputs))
        preds += op.control_inputs
        producers.append(preds)
        if op not in reached and not reached.isdisjoint(preds):
            reached.add(op)
    needed = set(sinks)
    for op, preds in zip(reversed(window), reversed(producers)):
        if op in needed:
            needed.update(preds)
    return [op for op in window if op in reached and op in needed]
