"""``fold_batch_norm``: fold inference-mode batch norms into the preceding conv / matmul.

Two forms are folded, each after ``Conv2D``, ``DepthwiseConv2dNative`` or (decomposed form
only) ``MatMul``, with or without a ``BiasAdd`` in between:

- ``FusedBatchNorm`` / ``V2`` / ``V3`` with ``is_training=False``, NHWC, whose scale,
  offset, mean and variance are constants (only its output ``y`` used);
- the decomposed form ``x * a + b`` (``Mul`` then ``Add`` / ``AddV2`` / ``BiasAdd``, either
  operand order) with ``a`` and ``b`` constant per output channel, which is what
  ``tf.nn.batch_normalization`` and frozen Keras layers produce (``a``, ``b`` may be small
  constant subgraphs; they are evaluated).

The weights must be constants (``Const``, possibly behind ``Identity``). The result is one
conv / matmul with folded weights plus a ``BiasAdd`` with the folded bias:
``W' = W * s`` per output channel, ``b' = (b - mean) * s + offset`` with
``s = scale / sqrt(var + eps)`` (fused form) or ``W' = W * a``, ``b' = b * a + b_add``.

Example::

    report = ge.fold_batch_norm(graph, keep=["logits"])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from graph_editor import rewrite
from graph_editor.match import OpMatcher, op_type
from graph_editor.passes._common import check_graph, clone_op, const_value, kept_ops, not_kept

__all__ = ["fold_batch_norm"]

FUSED_TYPES = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
CONV_TYPES = ("Conv2D", "DepthwiseConv2dNative")
LINEAR_TYPES = (*CONV_TYPES, "MatMul")
_FLOATS = (tf.float32, tf.float64)


def _nhwc(op: tf.Operation) -> bool:
    try:
        return op.get_attr("data_format") in (b"NHWC", "NHWC")
    except ValueError:
        return True


def _linear_parts(x_op: tf.Operation) -> tuple[tf.Operation, tf.Operation | None]:
    """(conv/matmul op, BiasAdd op or None) for the op feeding the batch norm."""
    if x_op.type == "BiasAdd":
        return x_op.inputs[0].op, x_op
    return x_op, None


def _channels(lin: tf.Operation) -> int | None:
    dim = lin.outputs[0].shape.rank and lin.outputs[0].shape[-1]
    return dim if isinstance(dim, int) else None


def _weights(lin: tf.Operation) -> np.ndarray | None:
    if lin.type == "MatMul" and lin.inputs[0].op.type == "Const":
        return None  # the constant is the left operand: not a dense layer
    w = const_value(lin.inputs[1], max_ops=0)
    return w


def _scaled_weights(lin: tf.Operation, w: np.ndarray, s: np.ndarray) -> np.ndarray:
    if lin.type == "Conv2D":
        return w * s
    if lin.type == "DepthwiseConv2dNative":
        return w * s.reshape(w.shape[2], w.shape[3])
    if lin.get_attr("transpose_b"):
        return w * s[:, None]
    return w * s


def _build(lin: tf.Operation, w: np.ndarray, b: np.ndarray) -> Any:
    dtype = lin.outputs[0].dtype
    w_t = tf.constant(w.astype(dtype.as_numpy_dtype), name="folded_weights")
    new_lin = clone_op(lin, [lin.inputs[0], w_t])
    b_t = tf.constant(b.astype(dtype.as_numpy_dtype), name="folded_bias")
    return tf.nn.bias_add(new_lin.outputs[0], b_t, name="folded")


def _bias_of(bias_op: tf.Operation | None, channels: int) -> np.ndarray | None:
    if bias_op is None:
        return np.zeros([channels], np.float64)
    if not _nhwc(bias_op):
        return None
    return const_value(bias_op.inputs[1], max_ops=0)


# ----- fused form -----------------------------------------------------------------------------


def _fused_info(m: rewrite.Match) -> Any:
    bn = m.root
    if bn.get_attr("is_training") or not _nhwc(bn):
        return None
    if any(t.consumers() for t in bn.outputs[1:]):
        return None
    lin, bias_op = _linear_parts(bn.inputs[0].op)
    if lin.type not in CONV_TYPES or not _nhwc(lin) or lin.outputs[0].dtype not in _FLOATS:
        return None
    c = _channels(lin)
    w = _weights(lin)
    if c is None or w is None:
        return None
    b = _bias_of(bias_op, c)
    params = [const_value(t, max_ops=0) for t in bn.inputs[1:5]]
    if b is None or any(p is None or p.shape != (c,) for p in params):
        return None
    scale, offset, mean, var = (p.astype(np.float64) for p in params)
    s = scale / np.sqrt(var + bn.get_attr("epsilon"))
    w2 = _scaled_weights(lin, w.astype(np.float64), s)
    b2 = (b.astype(np.float64) - mean) * s + offset
    return lin, bias_op, w2, b2


def _fused_patterns() -> list[OpMatcher]:
    out = []
    for biased in (True, False):
        lin = OpMatcher(op_type(CONV_TYPES))
        x = OpMatcher(op_type("BiasAdd")).input_ops(lin, None) if biased else lin
        out.append(OpMatcher(op_type(FUSED_TYPES)).input_ops(x, None, None, None, None))
    return out


# ----- decomposed form ------------------------------------------------------------------------


def _decomposed_patterns() -> list[OpMatcher]:
    out = []
    for biased in (True, False):
        for mul_first in (True, False):
            for add_types, positions in ((("Add", "AddV2"), (0, 1)), (("BiasAdd",), (0,))):
                for pos in positions:
                    lin = OpMatcher(op_type(LINEAR_TYPES))
                    x = OpMatcher(op_type("BiasAdd")).input_ops(lin, None) if biased else lin
                    mul = OpMatcher(op_type("Mul"))
                    mul.input_ops(*((x, None) if mul_first else (None, x)))
                    add = OpMatcher(op_type(add_types))
                    add.input_ops(*((mul, None) if pos == 0 else (None, mul)))
                    out.append(add)
    return out


def _per_channel(v: np.ndarray | None, c: int) -> np.ndarray | None:
    if v is None:
        return None
    if v.size == 1:
        return np.full([c], v.reshape(()), np.float64)
    if v.shape[-1:] == (c,) and v.size == c:
        return v.reshape([c]).astype(np.float64)
    return None


def _decomposed_info(m: rewrite.Match) -> Any:
    add = m.root
    if add.type == "BiasAdd" and not _nhwc(add):
        return None
    mul_t = next(t for t in add.inputs if t.op in m.ops and t.op.type == "Mul")
    other_add = next(t for t in add.inputs if t is not mul_t)
    mul = mul_t.op
    x_t = next(t for t in mul.inputs if t.op in m.ops)
    other_mul = next(t for t in mul.inputs if t is not x_t)
    lin, bias_op = _linear_parts(x_t.op)
    if lin.outputs[0].dtype not in _FLOATS or (lin.type != "MatMul" and not _nhwc(lin)):
        return None
    c = _channels(lin)
    if c is None or mul.outputs[0].shape != x_t.shape or add.outputs[0].shape != x_t.shape:
        return None  # a broadcast that changes the shape: not a per-channel affine
    w = _weights(lin)
    b = _bias_of(bias_op, c) if w is not None else None
    a = _per_channel(const_value(other_mul), c)
    b_add = _per_channel(const_value(other_add), c)
    if w is None or b is None or a is None or b_add is None:
        return None
    w2 = _scaled_weights(lin, w.astype(np.float64), a)
    b2 = b.astype(np.float64) * a + b_add
    return lin, bias_op, w2, b2


# ----- the pass -------------------------------------------------------------------------------


def fold_batch_norm(graph: tf.Graph, keep: Any = ()) -> rewrite.RewriteReport:
    """Fold inference batch norms (fused or Mul/Add) into the conv / matmul before them.

    Args:
        graph: the graph, edited in place (folded ops stay in the graph, unused).
        keep: tensors, ops or names that must survive unchanged (never folded away).

    Returns:
        A :class:`~graph_editor.rewrite.RewriteReport` (``matches``: batch norms folded).

    Example:
        >>> ge.fold_batch_norm(g, keep=["logits"]).matches
        2
    """
    check_graph(graph, "fold_batch_norm")
    kept = kept_ops(graph, keep)
    keep_filter = not_kept(kept)
    total = rewrite.RewriteReport(graph=graph)
    types = {op.type for op in graph.get_operations()}
    forms: list = []
    if types & set(LINEAR_TYPES):  # skip whole-graph passes that cannot match
        if types & set(FUSED_TYPES):
            forms += [(p, _fused_info) for p in _fused_patterns()]
        if "Mul" in types:
            forms += [(p, _decomposed_info) for p in _decomposed_patterns()]
    for pattern, info_fn in forms:
        infos: dict = {}

        def filter_fn(m: rewrite.Match, info_fn: Any = info_fn, infos: dict = infos) -> bool:
            if not keep_filter(m):
                return False
            info = info_fn(m)
            if info is None:
                return False
            infos[m.root] = info
            return True

        def replacement(m: rewrite.Match, infos: dict = infos) -> list:
            lin, _, w2, b2 = infos[m.root]
            y = _build(lin, w2, b2)
            return [y] + [None] * (len(m.outputs) - 1)

        r = rewrite.rewrite(graph, pattern, replacement, filter=filter_fn, max_iterations=1)
        total.matches += r.matches
        total.replaced_ops.extend(r.replaced_ops)
        total.new_ops.extend(r.new_ops)
        total.iterations = max(total.iterations, r.iterations)
    return total
