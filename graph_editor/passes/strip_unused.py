"""``strip_unused``: a new graph holding only what the outputs need.

TensorFlow cannot delete ops from a graph; this is how ops are "deleted": the part of the
GraphDef that the outputs need (data and control inputs, walked backwards, stopping at the
given inputs) is imported into a fresh ``tf.Graph``. Names are kept. Inputs that are not
placeholders become placeholders of the same name, dtype and static shape (so a graph can be
cut at any tensor). Collections and Python ``tf.Variable`` objects are not carried over.

Example::

    small = ge.strip_unused(graph, inputs=["x:0"], outputs=["logits:0"])
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from tensorflow.core.framework import graph_pb2

from graph_editor import util
from graph_editor.errors import (
    GraphEditKeyError,
    GraphEditTypeError,
    GraphEditValueError,
    GraphMismatchError,
)

__all__ = ["strip_unused", "copy_graph"]


def copy_graph(graph: tf.Graph) -> tf.Graph:
    """A new ``tf.Graph`` with the same ops and names (GraphDef round trip).

    Example:
        >>> g2 = copy_graph(graph)
        >>> [op.name for op in g2.get_operations()] == [op.name for op in graph.get_operations()]
        True
    """
    new = tf.Graph()
    with new.as_default():
        tf.graph_util.import_graph_def(graph.as_graph_def(), name="")
    return new


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
        except (KeyError, ValueError):
            raise GraphEditKeyError(
                f"{what} {item!r} is not in the graph (names are 'op' or 'op:index')."
            ) from None
        if want_tensor:
            return _resolve(graph, op, what, True)
        return op
    raise GraphEditTypeError(
        f"{what} must be a tensor, an op or a name, got {util._describe(item)}."
    )


def _as_items(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, (str, tf.Tensor, tf.Operation)):
        return [x]
    return list(x)


def _node_name(inp: str) -> str:
    name = inp[1:] if inp.startswith("^") else inp
    return name.split(":", 1)[0]


def strip_unused(graph: tf.Graph, inputs: Any, outputs: Any) -> tf.Graph:
    """A new graph with only the ops that ``outputs`` need, cut at ``inputs``.

    Args:
        graph: the source graph (left untouched).
        inputs: tensors (or names ``"op:0"`` / ``"op"``) where the walk stops; each becomes
            a placeholder of the same name, dtype and shape unless it already is one. Its op
            must have a single output. May be empty.
        outputs: tensors, ops or names whose producers are kept (with everything they need
            through data and control inputs).

    Returns:
        A new ``tf.Graph``; every kept op has its original name.

    Raises:
        GraphEditKeyError: a name is not in the graph.
        GraphEditValueError: an input tensor belongs to a multi-output op.
        GraphMismatchError: a tensor or op of another graph.

    Example:
        >>> g2 = ge.strip_unused(graph, inputs=["h:0"], outputs=["y:0"])
        >>> g2.get_operation_by_name("h").type
        'Placeholder'
    """
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(f"strip_unused expects a tf.Graph, got {util._describe(graph)}.")
    in_ts = [_resolve(graph, x, "input", True) for x in _as_items(inputs)]
    out_items = [_resolve(graph, x, "output", False) for x in _as_items(outputs)]
    in_nodes: dict[str, tf.Tensor] = {}
    for t in in_ts:
        if t.op.type != "Placeholder" and len(t.op.outputs) != 1:
            raise GraphEditValueError(
                f"Input {t.name!r} comes from {t.op.name!r} ({t.op.type}), which has "
                f"{len(t.op.outputs)} outputs: it cannot be replaced by a placeholder of the "
                "same name. Cut at a single-output op (e.g. an Identity of it)."
            )
        in_nodes[t.op.name] = t
    gd = graph.as_graph_def()
    nodes = {n.name: n for n in gd.node}
    keep: set[str] = set()
    stack = [x.op.name if isinstance(x, tf.Tensor) else x.name for x in out_items]
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        if name in in_nodes:
            continue
        stack.extend(_node_name(i) for i in nodes[name].input)
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(gd.versions)
    out.library.CopyFrom(gd.library)
    for node in gd.node:
        if node.name not in keep:
            continue
        t = in_nodes.get(node.name)
        if t is not None and node.op != "Placeholder":
            ph = out.node.add(name=node.name, op="Placeholder", device=node.device)
            ph.attr["dtype"].type = t.dtype.as_datatype_enum
            ph.attr["shape"].shape.CopyFrom(t.shape.as_proto())
        else:
            copied = out.node.add()
            copied.CopyFrom(node)
            if t is not None:  # a placeholder input: the walk stopped here
                del copied.input[:]
    new = tf.Graph()
    with new.as_default():
        tf.graph_util.import_graph_def(out, name="")
    return new
