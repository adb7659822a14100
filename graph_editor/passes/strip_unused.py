"""``strip_unused``: a new graph holding only what the outputs need.

TensorFlow cannot delete ops from a graph; this is how ops are "deleted": the part of the
GraphDef that the outputs need (data and control inputs, walked backwards, stopping at the
given inputs) is imported into a fresh ``tf.Graph``. Names are kept. Inputs that are not
placeholders become placeholders of the same name, dtype and static shape (so a graph can be
cut at any tensor). Ops named in ``keep`` are kept too, as by the other passes. Collections
and Python ``tf.Variable`` objects are not carried over. The walk and the copy are
:mod:`graph_editor._graphdef`'s.

Example::

    small = ge.strip_unused(graph, inputs=["x:0"], outputs=["logits:0"], keep=["init"])
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from tensorflow.core.framework import node_def_pb2

from graph_editor import _graphdef, util
from graph_editor._callable_module import make_callable
from graph_editor._names import resolve_tensor
from graph_editor.errors import (
    GraphEditTypeError,
    GraphEditValueError,
    GraphMismatchError,
)
from graph_editor.passes._common import as_items, kept_ops

__all__ = ["strip_unused"]


def _resolve(graph: tf.Graph, item: Any, what: str, want_tensor: bool) -> Any:
    if isinstance(item, (tf.Tensor, tf.Operation)):
        if item.graph is not graph:
            raise GraphMismatchError(
                f"{what} {item.name!r} is not in the graph being stripped."
            )
        if want_tensor and isinstance(item, tf.Operation):
            if len(item.outputs) != 1:
                raise GraphEditValueError(
                    f"{what} op {item.name!r} has {len(item.outputs)} outputs: pass a tensor."
                )
            return item.outputs[0]
        return item
    if isinstance(item, str):
        try:
            if ":" in item:
                return graph.get_tensor_by_name(item)
            op = graph.get_operation_by_name(item)
        except (KeyError, ValueError):  # a suffix, a layer name...; else closest names
            t = resolve_tensor(graph, item, what)
            return t if want_tensor else t.op
        if want_tensor:
            return _resolve(graph, op, what, True)
        return op
    raise GraphEditTypeError(
        f"{what} must be a tensor, an op or a name, got {util._describe(item)}."
    )


def strip_unused(graph: tf.Graph, inputs: Any, outputs: Any, keep: Any = ()) -> tf.Graph:
    """A new graph with only the ops that ``outputs`` (and ``keep``) need, cut at ``inputs``.

    Args:
        graph: the source graph (left untouched).
        inputs: tensors (or names ``"op:0"`` / ``"op"``) where the walk stops; each becomes
            a placeholder of the same name, dtype and shape unless it already is one. Its op
            must have a single output. May be empty.
        outputs: tensors, ops or names whose producers are kept (with everything they need
            through data and control inputs).
        keep: tensors, ops or names kept too, as the other passes' ``keep`` (with what
            they need, cut at ``inputs`` like the outputs), e.g. a second head or an op
            fetched by name.

    Returns:
        A new ``tf.Graph``; every kept op has its original name.

    Raises:
        GraphEditKeyError: a name (of ``inputs``, ``outputs`` or ``keep``) is not in the
            graph.
        GraphEditValueError: an input tensor belongs to a multi-output op.
        GraphMismatchError: a tensor or op of another graph.

    Example:
        >>> g2 = ge.strip_unused(graph, inputs=["c:0"], outputs=["e:0"])
        >>> g2.get_operation_by_name("c").type
        'Placeholder'
    """
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(f"strip_unused expects a tf.Graph, got {util._describe(graph)}.")
    in_ts = [_resolve(graph, x, "input", True) for x in as_items(inputs, "inputs")]
    out_items = [_resolve(graph, x, "output", False) for x in as_items(outputs, "outputs")]
    roots = [x.op if isinstance(x, tf.Tensor) else x for x in out_items]
    roots.extend(kept_ops(graph, keep))
    in_nodes: dict = {}
    for t in in_ts:
        if t.op.type != "Placeholder" and len(t.op.outputs) != 1:
            raise GraphEditValueError(
                f"Input {t.name!r} comes from {t.op.name!r} ({t.op.type}), which has "
                f"{len(t.op.outputs)} outputs: it cannot be replaced by a placeholder of the "
                "same name. Cut at a single-output op (e.g. an Identity of it)."
            )
        in_nodes[t.op] = t
    kept = _graphdef.needed_ops(roots, in_nodes)
    replace = {}
    for op, t in in_nodes.items():
        if op not in kept:
            continue
        if op.type != "Placeholder":
            ph = node_def_pb2.NodeDef(name=op.name, op="Placeholder", device=op.device)
            ph.attr["dtype"].type = t.dtype.as_datatype_enum
            ph.attr["shape"].shape.CopyFrom(t.shape.as_proto())
            replace[op] = ph
        elif op.control_inputs or op.inputs:  # a placeholder input: the walk stopped here
            node = op.node_def
            del node.input[:]
            replace[op] = node
    return _graphdef.extract(graph, kept, replace)


make_callable(__name__, strip_unused)

