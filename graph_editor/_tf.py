"""Every private TensorFlow symbol graph_editor uses, and nothing else.

TensorFlow changes its private API between releases; keeping each use behind a small
wrapper here means a TF upgrade touches this file alone. Each wrapper says what TF does
and does not check. Public TF names (``tf.Graph``, ``tf.Operation``, ``tf.Tensor``) are used
directly elsewhere.

Verified against TensorFlow 2.21.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = [
    "Graph",
    "Operation",
    "Tensor",
    "Variable",
    "control_outputs",
    "op_id",
    "is_function_graph",
]

#: Public classes, re-exported so the library imports TF types from one place.
Graph = tf.Graph
Operation = tf.Operation
Tensor = tf.Tensor
Variable = tf.Variable


def control_outputs(op: tf.Operation) -> list[tf.Operation]:
    """Ops that have ``op`` as a control input, read live from the C graph.

    ``Operation._control_outputs`` wraps ``TF_OperationGetControlOutputs``; it reflects
    control-edge edits at once (TF's ``graph.version`` does not change on such edits).
    The order is TF's internal edge order, not creation order.
    """
    return op._control_outputs  # noqa: SLF001


def op_id(op: tf.Operation) -> int:
    """The creation-order id of ``op`` in its graph (``Operation._id``)."""
    return op._id  # noqa: SLF001


def is_function_graph(graph: tf.Graph) -> bool:
    """True for a ``FuncGraph`` (a graph being built for a ``tf.function``).

    In such graphs ``tf.Tensor.__eq__`` is element-wise and tensors are unhashable, which
    is why the library keys tensors by ``id()`` everywhere.
    """
    return bool(getattr(graph, "building_function", False))
