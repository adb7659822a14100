"""``fold_batch_norm``: fold inference-mode batch norms into the preceding conv / matmul.

Two forms of batch norm are folded into a ``Conv2D``, ``DepthwiseConv2dNative`` or
``MatMul`` before them, with or without a bias add in between (``BiasAdd``, or ``Add`` /
``AddV2`` of a constant, which is how Keras 3 adds a bias), walking through ``Identity``
ops:

- ``FusedBatchNorm`` / ``V2`` / ``V3`` with ``is_training=False``, NHWC, whose scale,
  offset, mean and variance are constant (only its output ``y`` used);
- the decomposed form ``x * a + b`` (``Mul`` then ``Add`` / ``AddV2`` / ``BiasAdd``, either
  operand order) with ``a`` and ``b`` constant per output channel: what
  ``tf.nn.batch_normalization`` and frozen Keras layers produce.

"Constant" means computed from ``Const`` ops only, through any stateless ops: weights read
through ``Identity``, a Keras 3 bias ``Squeeze(Reshape(Identity(Const)))``, ``a`` and ``b``
computed from the moving statistics. All those values are computed in one go (NumPy for
plumbing and arithmetic, one TensorFlow run for anything else). The result is one conv /
matmul with folded weights plus a ``BiasAdd`` with the folded bias:
``W' = W * s`` per output channel, ``b' = (b - mean) * s + offset`` with
``s = scale / sqrt(var + eps)`` (fused form) or ``W' = W * a``, ``b' = b * a + b_add``.

Every batch norm not folded is reported with the reason, in ``report.not_folded`` and in
one :class:`~graph_editor.errors.BatchNormNotFoldedWarning` per call. (An ``x * a + b``
with a scalar ``a`` that no conv / matmul precedes, e.g. Keras's ``Rescaling``, is not
counted as a batch norm.)

Example::

    report = ge.fold_batch_norm(graph, keep=["logits"])
    print(report.matches, report.not_folded)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import node_def_pb2

from graph_editor import _tf, rewrite
from graph_editor._callable_module import make_callable
from graph_editor.errors import BatchNormNotFoldedWarning
from graph_editor.passes._common import check_graph, kept_ops, note_replaced, replaced_names
from graph_editor.passes._consts import Constants
from graph_editor.passes._edit import Edits
from graph_editor.passes._serialize import NodeBatch

__all__ = ["fold_batch_norm", "FoldBatchNormReport"]

FUSED_TYPES = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
CONV_TYPES = ("Conv2D", "DepthwiseConv2dNative")
LINEAR_TYPES = (*CONV_TYPES, "MatMul")
_ADD_TYPES = ("Add", "AddV2", "BiasAdd")
_PASS_TYPES = ("Identity", "Snapshot")
_FLOATS = (tf.float32, tf.float64)
_PARAMS = ("scale", "offset", "mean", "variance")
_MAX_ROUNDS = 10


@dataclass(repr=False)
class FoldBatchNormReport(rewrite.RewriteReport):
    """What :func:`fold_batch_norm` did.

    Attributes:
        matches: batch norms folded.
        replaced_ops: the ops folded away (batch norm, bias add, conv / matmul, identities).
        new_ops: the new weights, conv / matmul, bias and ``BiasAdd`` ops.
        not_folded: ``{batch norm op name: reason}`` for every batch norm left in place.

    Example:
        >>> with graph.as_default():
        ...     img = tf.compat.v1.placeholder(tf.float32, [1, 8, 8, 3], name="img")
        ...     one, zero = tf.ones([4]), tf.zeros([4])
        ...     cat = tf.concat([img, img[..., :1]], axis=3, name="cat")
        ...     y = tf.compat.v1.nn.fused_batch_norm(cat, one, zero, zero, one, is_training=False,
        ...                                          name="bn")[0]
        >>> report = ge.fold_batch_norm(graph)
        >>> report.not_folded
        {'bn': "it reads 'cat' (ConcatV2), not a Conv2D / ... (with an optional bias add)"}
    """

    not_folded: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"FoldBatchNormReport(matches={self.matches}, replaced_ops="
            f"{len(self.replaced_ops)}, new_ops={len(self.new_ops)}, "
            f"not_folded={len(self.not_folded)})"
        )


class _Skip(Exception):
    """A candidate that cannot be folded; the message is the reason."""


@dataclass
class _Plan:
    root: tf.Operation  # the batch norm op whose output the fold replaces
    lin: tf.Operation
    members: list  # every op folded away, root first
    weights: tf.Tensor
    bias: tf.Tensor | None  # the constant bias added to lin's output, if any
    params: list  # fused: scale, offset, mean, variance; decomposed: a, b
    fused: bool


def _nhwc(op: tf.Operation) -> bool:
    try:
        return op.get_attr("data_format") in (b"NHWC", "NHWC")
    except ValueError:
        return True


def _through(t: tf.Tensor) -> tuple[tf.Tensor, list]:
    """``t`` with identities (no control inputs) walked back, and the identities passed."""
    passed = []
    while t.op.type in _PASS_TYPES and not t.op.control_inputs:
        passed.append(t.op)
        t = t.op.inputs[0]
    return t, passed


def _decomposed(add: tf.Operation, consts: Constants) -> tuple | None:
    """``(mul, x, a, b, identities)`` if ``add`` is ``x * a + b`` with constant a, b."""
    if add.type not in _ADD_TYPES:
        return None
    for k in (0,) if add.type == "BiasAdd" else (0, 1):
        mul_t, ids = _through(add.inputs[k])
        b = add.inputs[1 - k]
        if mul_t.op.type != "Mul" or not consts.is_constant(b.op):
            continue
        mul = mul_t.op
        for j in (0, 1):
            x, a = mul.inputs[j], mul.inputs[1 - j]
            if consts.is_constant(a.op) and not consts.is_constant(x.op):
                return mul, x, a, b, ids
    return None


def _bias_parts(op: tf.Operation, consts: Constants) -> tuple | None:
    """``(data input, constant bias)`` if ``op`` adds a constant to a computed tensor."""
    if op.type == "BiasAdd":
        if consts.is_constant(op.inputs[1].op) and not consts.is_constant(op.inputs[0].op):
            if not _nhwc(op):
                raise _Skip(f"the bias add {op.name!r} is not NHWC")
            return op.inputs[0], op.inputs[1]
        return None
    if op.type in ("Add", "AddV2"):
        for k in (0, 1):
            x, c = op.inputs[k], op.inputs[1 - k]
            if consts.is_constant(c.op) and not consts.is_constant(x.op):
                return x, c
    return None


def _keeps_shape(x: tf.Tensor, out: tf.Tensor) -> bool:
    return x.shape.rank is not None and x.shape.as_list() == out.shape.as_list()


def _start(root: tf.Operation, consts: Constants) -> tuple[tf.Tensor, list, list, bool]:
    """``(x, params, ops between x and the output, fused)`` of a batch-norm candidate."""
    if root.type in FUSED_TYPES:
        if root.get_attr("is_training"):
            raise _Skip("is_training=True: a training batch norm uses batch statistics")
        if not _nhwc(root):
            raise _Skip(f"data_format {root.get_attr('data_format').decode()} (NHWC only)")
        if any(t.consumers() for t in root.outputs[1:]):
            raise _Skip("its batch mean / variance outputs are read")
        params = list(root.inputs[1:5])
        for name, p in zip(_PARAMS, params):
            if not consts.is_constant(p.op):
                raise _Skip(f"its {name} {p.name!r} is not constant (freeze the graph first)")
        return root.inputs[0], params, [root], True
    found = _decomposed(root, consts)
    if found is None:  # candidates are found by _decomposed; kept for a clear failure
        raise _Skip("not a batch norm (x * a + b with constant a, b)")
    mul, x, a, b, ids = found
    if root.type == "BiasAdd" and not _nhwc(root):
        raise _Skip("a BiasAdd that is not NHWC")
    if not (_keeps_shape(x, mul.outputs[0]) and _keeps_shape(x, root.outputs[0])):
        raise _Skip(f"a {a.name!r} or b {b.name!r} broadcast changes the shape of x")
    return x, [a, b], [root, *ids, mul], False


def _check_exclusive(members: list, replaced: set) -> None:
    """Every op folded away except the root is read (and waited for) only by members (or
    by ops an earlier pass replaced: unused, they keep reading the old ops)."""
    member_set = set(members)
    control_outputs = _tf.control_outputs
    for op in members[1:]:
        for t in op.outputs:
            for c in t.consumers():
                if c not in member_set and c.name not in replaced:
                    raise _Skip(f"{op.name!r} is also read by {c.name!r}")
        for c in control_outputs(op):
            if c not in member_set and c.name not in replaced:
                raise _Skip(f"{op.name!r} is waited for by {c.name!r}")


def _analyze(root: tf.Operation, consts: Constants, kept: set, replaced: set) -> _Plan:
    """The fold of one candidate, or :class:`_Skip` with the reason."""
    x, params, members, fused = _start(root, consts)
    t, ids = _through(x)
    members += ids
    bias = None
    parts = None if t.op.type in LINEAR_TYPES else _bias_parts(t.op, consts)
    if parts is not None:
        members.append(t.op)
        t, bias = parts
        t, ids = _through(t)
        members += ids
    lin = t.op
    if lin.type not in LINEAR_TYPES:
        raise _Skip(
            f"it reads {lin.name!r} ({lin.type}), not a Conv2D / DepthwiseConv2dNative / "
            "MatMul (with an optional bias add)"
        )
    members.append(lin)
    if lin.type != "MatMul" and not _nhwc(lin):
        raise _Skip(f"{lin.name!r} is not NHWC")
    if lin.outputs[0].dtype not in _FLOATS:
        raise _Skip(f"{lin.name!r} is {lin.outputs[0].dtype.name} (float32 / float64 only)")
    if lin.type == "MatMul" and consts.is_constant(lin.inputs[0].op):
        raise _Skip(f"the constant of {lin.name!r} is its left operand")
    weights = lin.inputs[1]
    if not consts.is_constant(weights.op):
        raise _Skip(f"the weights {weights.name!r} are not constant (freeze the graph first)")
    named = [op.name for op in members if op in kept]
    if named:
        raise _Skip(f"{named[0]!r} is named in keep")
    _check_exclusive(members, replaced)
    return _Plan(root, lin, members, weights, bias, params, fused)


def _per_channel(v: np.ndarray, c: int, what: str) -> np.ndarray:
    if v.size == 1:
        return np.full([c], v.reshape(()), np.float64)
    if v.shape[-1:] == (c,) and v.size == c:
        return v.reshape([c]).astype(np.float64)
    raise _Skip(f"{what} has shape {list(v.shape)}, not one value per channel ({c})")


def _scaled_weights(lin: tf.Operation, w: np.ndarray, s: np.ndarray) -> np.ndarray:
    s = s.astype(w.dtype)
    if lin.type == "Conv2D":
        return w * s
    if lin.type == "DepthwiseConv2dNative":
        return w * s.reshape(w.shape[2], w.shape[3])
    if lin.get_attr("transpose_b"):
        return w * s[:, None]
    return w * s


def _channels(lin: tf.Operation, w: np.ndarray) -> int:
    c = lin.outputs[0].shape[-1] if lin.outputs[0].shape.rank else None
    if lin.type == "DepthwiseConv2dNative":
        ok = w.ndim == 4 and c == w.shape[2] * w.shape[3]
    elif lin.type == "MatMul" and lin.get_attr("transpose_b"):
        ok = w.ndim == 2 and c == w.shape[0]
    else:
        ok = w.ndim >= 2 and c == w.shape[-1]
    if not ok or c is None:
        raise _Skip(f"the weights of {lin.name!r} (shape {list(w.shape)}) do not give "
                    f"its {c} output channels")
    return c


def _folded(plan: _Plan, values: dict) -> tuple[np.ndarray, np.ndarray]:
    """The folded weights and bias of ``plan`` (float64 bias), or :class:`_Skip`."""
    w = values[plan.weights.name]
    c = _channels(plan.lin, w)
    if plan.bias is None:
        b = np.zeros([c], np.float64)
    else:
        b = _per_channel(values[plan.bias.name], c, f"the bias {plan.bias.name!r}")
    if plan.fused:
        scale, offset, mean, var = (
            _per_channel(values[p.name], c, f"the {name} {p.name!r}")
            for name, p in zip(_PARAMS, plan.params)
        )
        s = scale / np.sqrt(var + plan.root.get_attr("epsilon"))
        return _scaled_weights(plan.lin, w, s), (b - mean) * s + offset
    a_t, b_t = plan.params
    a = _per_channel(values[a_t.name], c, f"a {a_t.name!r}")
    b_add = _per_channel(values[b_t.name], c, f"b {b_t.name!r}")
    return _scaled_weights(plan.lin, w, a), b * a + b_add


# ----- rewiring -------------------------------------------------------------------------------


def _emit(plan: _Plan, w2: np.ndarray, b2: np.ndarray, batch: NodeBatch) -> tuple:
    """Add ``lin(x, W') + b'`` to ``batch``; returns the new nodes' names."""
    lin, base = plan.lin, plan.root.name + "_folded"
    dtype = lin.outputs[0].dtype
    w = batch.const(f"{base}/weights", w2.astype(dtype.as_numpy_dtype, copy=False), dtype)
    node_def = lin.node_def
    node_def.name = f"{base}/{lin.type}"
    conv = batch.add(node_def, [batch.external(lin.inputs[0]), w])
    b = batch.const(f"{base}/bias", b2.astype(dtype.as_numpy_dtype), dtype)
    add_def = node_def_pb2.NodeDef(name=f"{base}/BiasAdd", op="BiasAdd")
    add_def.attr["T"].type = dtype.as_datatype_enum
    add_def.attr["data_format"].s = b"NHWC"
    return w, conv, b, batch.add(add_def, [conv, b])


def _rewire(plan: _Plan, new_ops: list, edits: Edits, report: Any) -> None:
    """Move the batch norm's readers (and waiters) onto the folded output."""
    root, conv, y = plan.root, new_ops[1], new_ops[3]
    members = set(plan.members)
    waits = [
        c for op in plan.members for c in op.control_inputs
        if c not in members and not (c.type == "Const" and not c.control_inputs)
    ]
    _tf.add_control_edges(conv, list(dict.fromkeys(waits)))
    edits.reroute(root.outputs[0], y.outputs[0])
    for d in list(_tf.control_outputs(root)):
        if d not in members:
            edits.set_controls(d, [y if c is root else c for c in d.control_inputs])
    report.matches += 1
    report.replaced_ops.extend(plan.members)
    report.new_ops.extend(new_ops)


def _is_candidate(op: tf.Operation, consts: Constants) -> tuple[bool, bool]:
    """``(is a batch-norm candidate, report it if not folded)``."""
    if op.type in FUSED_TYPES:
        return True, True
    found = _decomposed(op, consts)
    if found is None:
        return False, False
    return True, found[2].shape.rank != 0  # a scalar x * a + b is not called a batch norm


def _round(candidates: list, consts: Constants, kept: set, edits: Edits, report: Any,
           reasons: dict) -> int:
    """Analyze ``candidates``, fold those that fit; returns how many were folded."""
    replaced = replaced_names(candidates[0].graph)
    plans = []
    for root in candidates:
        try:
            plans.append(_analyze(root, consts, kept, replaced))
        except _Skip as e:
            reasons[root] = str(e)
    wanted = list({
        t.name: t
        for p in plans
        for t in [p.weights, *p.params] + ([] if p.bias is None else [p.bias])
    }.values())
    values = {t.name: v for t, v in zip(wanted, consts.values(wanted))}
    if not plans:
        return 0
    batch = NodeBatch(candidates[0].graph)
    emitted = []
    for plan in plans:
        try:
            w2, b2 = _folded(plan, values)
        except _Skip as e:
            reasons[plan.root] = str(e)
            continue
        emitted.append((plan, _emit(plan, w2, b2, batch)))
    created = batch.create() if emitted else {}
    for plan, names in emitted:
        _rewire(plan, [created[n] for n in names], edits, report)
        reasons.pop(plan.root, None)
    return len(emitted)


def _warn(report: FoldBatchNormReport) -> None:
    items = list(report.not_folded.items())
    shown = "; ".join(f"{name!r}: {reason}" for name, reason in items[:3])
    more = f"; and {len(items) - 3} more" if len(items) > 3 else ""
    warnings.warn(
        f"fold_batch_norm folded {report.matches} batch norm(s) and left {len(items)} in "
        f"place (report.not_folded gives each reason): {shown}{more}.",
        BatchNormNotFoldedWarning,
        stacklevel=3,
    )


def fold_batch_norm(graph: tf.Graph, keep: Any = ()) -> FoldBatchNormReport:
    """Fold inference batch norms (fused or ``x * a + b``) into the conv / matmul before them.

    Args:
        graph: the graph, edited in place (folded ops stay in the graph, unused).
        keep: tensors, ops or names that must survive unchanged (never folded away).

    Returns:
        A :class:`FoldBatchNormReport`: ``matches`` batch norms folded, ``replaced_ops``,
        ``new_ops``, and ``not_folded`` (``{batch norm name: reason}``).

    Warns:
        BatchNormNotFoldedWarning: once, if some batch norm is left in place.

    Example:
        >>> with graph.as_default():
        ...     img = tf.compat.v1.placeholder(tf.float32, [1, 8, 8, 3], name="img")
        ...     one, zero = tf.ones([4]), tf.zeros([4])
        ...     conv = tf.nn.conv2d(img, tf.ones([3, 3, 3, 4]), 1, "SAME")
        ...     bn = tf.compat.v1.nn.fused_batch_norm(conv, one, zero, zero, one, is_training=False)
        ...     logits = tf.nn.relu(bn[0], name="logits")
        >>> report = ge.fold_batch_norm(graph, keep=["logits"])
        >>> report.matches, report.not_folded
        (1, {})
    """
    check_graph(graph, "fold_batch_norm")
    kept = kept_ops(graph, keep)
    consts = Constants(graph)
    report = FoldBatchNormReport(graph=graph)
    candidates, silent = [], set()
    replaced = replaced_names(graph)
    for op in graph.get_operations():
        if op.name in replaced:  # folded by an earlier call: unused
            continue
        is_bn, loud = _is_candidate(op, consts)
        if is_bn:
            candidates.append(op)
            if not loud:
                silent.add(op)
    reasons: dict = {}
    edits = Edits(graph)
    try:
        while candidates and report.iterations < _MAX_ROUNDS:
            report.iterations += 1
            if not _round(candidates, consts, kept, edits, report, reasons):
                break
            candidates = [op for op in candidates if op in reasons]  # a fold may enable them
    except BaseException:
        edits.undo()
        raise
    edits.done()
    note_replaced(graph, report.replaced_ops)
    report.not_folded = {op.name: r for op, r in reasons.items() if op not in silent}
    if report.not_folded:
        _warn(report)
    return report


make_callable(__name__, fold_batch_norm)
