"""Constant analysis and bulk evaluation for the passes (not public API).

:class:`Constants` answers, for one graph, "is this op a pure function of ``Const`` ops?"
(memoized, one iterative walk over what is asked) and "what are the values of these
tensors?". Values are computed without running the graph itself:

- plumbing and elementwise arithmetic (``Identity``, ``Reshape``, ``Squeeze``, ``Cast``,
  ``Add``, ``Mul``...) are evaluated with NumPy from the ``Const`` values, in the tensors'
  own dtypes, where NumPy gives TensorFlow's result to the last bit (IEEE arithmetic);
  ``Rsqrt``, ``Exp``, ``Sigmoid``... run TensorFlow's own kernel eagerly on the value. That
  covers what a frozen Keras layer's weight reads and batch-norm parameters are made of;
- everything else is evaluated by TensorFlow, all tensors of one call together: one
  GraphDef holding only the constant ops they need, one Session run.

Example::

    consts = Constants(graph)
    if consts.is_constant(t.op):
        (value,) = consts.values([t])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from graph_editor import _graphdef, _tf
from graph_editor.passes._common import is_pure_op_type
from graph_editor.passes._serialize import const_array

__all__ = ["Constants", "evaluate_in_new_graph", "const_value"]

_IDENTITIES = frozenset({"Identity", "Snapshot", "StopGradient", "PreventGradient"})
_BINARY = {
    "Add": np.add,
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "RealDiv": np.divide,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
}
_UNARY = {
    "Neg": np.negative,
    "Sqrt": np.sqrt,
    "Square": np.square,
}
# NumPy's result is not TensorFlow's to the last bit (TF's kernels approximate these): run
# the TF kernel itself, eagerly, on the host value.
_EAGER_UNARY = {
    "Rsqrt": tf.math.rsqrt,
    "Reciprocal": tf.math.reciprocal,
    "Exp": tf.math.exp,
    "Log": tf.math.log,
    "Tanh": tf.math.tanh,
    "Sigmoid": tf.math.sigmoid,
}
_NUMPY_KINDS = frozenset("fiub")  # float, signed / unsigned int, bool
_BAD_ENUMS = frozenset({tf.resource.as_datatype_enum, tf.variant.as_datatype_enum})


class _NoNumpy(Exception):
    """The op is not in the NumPy table (or its result would not match TensorFlow's)."""


def _numpy_op(op: tf.Operation, args: list) -> np.ndarray:
    kind = op.type
    if kind in _IDENTITIES:
        return args[0]
    if kind == "Reshape":
        return np.reshape(args[0], [int(d) for d in np.ravel(args[1])])
    if kind == "Squeeze":
        dims = op.get_attr("squeeze_dims")
        return np.squeeze(args[0], axis=tuple(dims)) if dims else np.squeeze(args[0])
    if kind == "ExpandDims":
        return np.expand_dims(args[0], int(np.ravel(args[1])[0]))
    if kind == "Cast":
        return args[0].astype(op.get_attr("DstT").as_numpy_dtype)
    fn = _EAGER_UNARY.get(kind)
    if fn is not None:
        with tf.init_scope():  # out of any graph context the caller is in
            if not tf.executing_eagerly():
                raise _NoNumpy(kind)
            return fn(args[0]).numpy()
    fn = _BINARY.get(kind)
    if fn is not None:
        return fn(args[0], args[1])
    fn = _UNARY.get(kind)
    if fn is not None:
        return fn(args[0])
    raise _NoNumpy(kind)


def const_value(op: tf.Operation) -> np.ndarray:
    """The value of a ``Const`` op (read-only when viewed in its serialized NodeDef)."""
    value = const_array(_tf.node_def_bytes(op))  # a view of the serialized bytes
    return tf.make_ndarray(op.get_attr("value")) if value is None else value


class Constants:
    """Constant-ness and values of the ops of one graph (memoized; the graph is not edited).

    Args:
        graph: the graph.
        exclude: ops treated as not constant (kept ops: nothing downstream of them folds).
    """

    def __init__(self, graph: tf.Graph, exclude: Any = ()) -> None:
        self.graph = graph
        self._memo: dict = {op: False for op in exclude}
        self._by_type: dict[str, bool] = {}
        self._values: dict[str, np.ndarray] = {}

    def _type_ok(self, op: tf.Operation) -> bool:
        if op.type == "Const":
            return op.outputs[0].dtype.as_datatype_enum not in _BAD_ENUMS
        ok = self._by_type.get(op.type)
        if ok is None:
            ok = self._by_type[op.type] = is_pure_op_type(op)
        if not ok:
            return False
        # Inputs of such dtypes come from non-constant ops: checking outputs is enough.
        for t in op.outputs:
            enum = t.dtype.as_datatype_enum
            if enum in _BAD_ENUMS or enum > 100:  # resource, variant, ref dtypes
                return False
        return True

    def is_constant(self, op: tf.Operation) -> bool:
        """True if ``op``'s outputs are a pure function of ``Const`` ops (through data and
        control inputs), computed once per op."""
        memo = self._memo
        known = memo.get(op)
        if known is not None:
            return known
        stack: list = [(op, False)]
        while stack:
            o, expanded = stack.pop()
            if o in memo:
                continue
            if not expanded:
                if not self._type_ok(o):
                    memo[o] = False
                    continue
                stack.append((o, True))
                for t in o.inputs:
                    if t.op not in memo:
                        stack.append((t.op, False))
                for c in o.control_inputs:
                    if c not in memo:
                        stack.append((c, False))
                continue
            memo[o] = all(memo.get(t.op, False) for t in o.inputs) and all(
                memo.get(c, False) for c in o.control_inputs
            )
        return memo[op]

    def values(self, tensors: list) -> list:
        """The values (NumPy arrays) of ``tensors``; None for a tensor that is not constant.

        NumPy first (see the module docstring); the rest are evaluated by TensorFlow in one
        run. Results are memoized by tensor name.
        """
        out: list = [None] * len(tensors)
        tf_todo: list = []
        for k, t in enumerate(tensors):
            if not self.is_constant(t.op):
                continue
            try:
                out[k] = self._numpy_value(t)
            except _NoNumpy:
                tf_todo.append(k)
        if tf_todo:
            todo = [tensors[k] for k in tf_todo]
            for k, t, value in zip(tf_todo, todo, evaluate_in_new_graph(self.graph, todo)):
                value = np.asarray(value)
                self._values[t.name] = value
                out[k] = value
        return out

    def _numpy_value(self, t: tf.Tensor) -> np.ndarray:
        """Iterative evaluation of ``t``'s cone with the NumPy table (raises _NoNumpy)."""
        values = self._values
        if t.name in values:
            return values[t.name]
        stack: list = [t]
        while stack:
            u = stack[-1]
            if u.name in values:
                stack.pop()
                continue
            op = u.op
            if op.type == "Const":
                values[u.name] = const_value(op)
                stack.pop()
                continue
            missing = [x for x in op.inputs if x.name not in values]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            if len(op.outputs) != 1:
                raise _NoNumpy(op.type)
            with np.errstate(all="ignore"):
                value = np.asarray(_numpy_op(op, [values[x.name] for x in op.inputs]))
            want = u.dtype
            if (
                not want.is_numpy_compatible
                or value.dtype != want.as_numpy_dtype
                or value.dtype.kind not in _NUMPY_KINDS
                or not u.shape.is_compatible_with(value.shape)
            ):
                raise _NoNumpy(op.type)
            values[u.name] = value
        return values[t.name]


def evaluate_in_new_graph(graph: tf.Graph, tensors: list) -> list:
    """Values of constant ``tensors`` of ``graph``, computed in a new graph holding only the
    ops they need (one GraphDef import, one Session run; ``graph`` never runs)."""
    if not tensors:
        return []
    small = _graphdef.extract(graph, _graphdef.needed_ops([t.op for t in tensors]))
    with tf.compat.v1.Session(graph=small, config=_session_config()) as sess:
        return sess.run([t.name for t in tensors])


def _session_config() -> tf.compat.v1.ConfigProto:
    """No graph optimization (grappler, TF's own constant folding) for a graph run once."""
    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    options = config.graph_options.optimizer_options
    options.opt_level = tf.compat.v1.OptimizerOptions.L0
    options.do_constant_folding = False
    return config
