"""Copies of ops with a custom gradient (tf.custom_gradient) differentiate their own tensors.

Transform copies (fast GraphDef path and op-by-op path), into another graph and within the
same graph; function copies are in test_functions.py, SavedModels in test_saved_model.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge


def dswish(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s + x * s * (1.0 - s)


@tf.custom_gradient
def _clipped_straight_through_round(x):
    def grad(dy):
        return dy * tf.cast(tf.abs(x) <= 1.0, dy.dtype)  # reads x

    return tf.round(x), grad


def build():
    """a -> h = 2a -> swish(h) + st_round(h / 4) -> out = 3 * (...); b: a spare input."""
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [3], name="a")
        tf.compat.v1.placeholder(tf.float32, [3], name="b")
        h = tf.multiply(a, 2.0, name="h")
        y = tf.nn.silu(h) + _clipped_straight_through_round(h / 4.0)
        tf.identity(y * 3.0, name="out")
    return g


def expected_grad(h):
    """d out / d h for the graph above."""
    return 3.0 * (dswish(h) + 0.25 * (np.abs(h / 4.0) <= 1.0))


A = np.array([-1.0, 0.5, 2.5], np.float32)  # h / 4 = 1.25 at the last one: clipped
B = np.array([3.0, -2.0, 0.1], np.float32)


def gradient(graph, ys, xs, feed):
    with graph.as_default():
        (grad,) = tf.gradients(ys, xs)
    return run(graph, grad, feed)


def custom_ops(graph, scope=""):
    return [op for op in graph.get_operations()
            if op.name.startswith(scope) and "_gradient_op_type" in op.node_def.attr]


@pytest.mark.parametrize("fast", [True, False])
def test_copy_into_another_graph(fast):
    g = build()
    ref = gradient(g, g.get_tensor_by_name("out:0"), g.get_tensor_by_name("a:0"), {"a:0": A})
    np.testing.assert_allclose(ref, 2.0 * expected_grad(2.0 * A), rtol=1e-5)
    g2 = tf.Graph()
    copier = ge.Transformer()
    copier.fast_path = fast
    copier(ge.sgv(g), g2, "copy")
    assert len(custom_ops(g2)) == 2
    for op in custom_ops(g2):
        assert op.get_attr("_gradient_op_type").startswith(b"GraphEditorCustomGradient-")
    got = gradient(g2, g2.get_tensor_by_name("copy/out:0"), g2.get_tensor_by_name("copy/a:0"),
                   {"copy/a:0": A})
    np.testing.assert_allclose(got, ref, rtol=1e-6)


@pytest.mark.parametrize("fast", [True, False])
def test_copy_in_the_same_graph_differentiates_the_copy(fast):
    g = build()
    h, b = g.get_tensor_by_name("h:0"), g.get_tensor_by_name("b:0")
    view = ge.sgv(ge.get_forward_walk_ops([h.op], inclusive=False))
    copier = ge.Transformer()
    copier.fast_path = fast
    copier.transform_external_input_handler = lambda info, t: b if t is h else t
    _, info = copier(view, g, "c")
    out_ = info.transformed(g.get_tensor_by_name("out:0"))
    feed = {"a:0": A, "b:0": B}
    # the source's gradient would read h = 2a instead of b: wrong numbers, no error
    np.testing.assert_allclose(gradient(g, out_, b, feed), expected_grad(B), rtol=1e-5)
    np.testing.assert_allclose(
        gradient(g, g.get_tensor_by_name("out:0"), g.get_tensor_by_name("a:0"), feed),
        2.0 * expected_grad(2.0 * A), rtol=1e-5)  # the source is unchanged


def test_copy_with_input_replacements_and_graph_replace():
    g = build()
    h, b = g.get_tensor_by_name("h:0"), g.get_tensor_by_name("b:0")
    out = g.get_tensor_by_name("out:0")
    view = ge.sgv(ge.get_forward_walk_ops([h.op], inclusive=False))
    _, info = ge.copy_with_input_replacements(view, {h: b}, dst_scope="r")
    feed = {"a:0": A, "b:0": B}
    np.testing.assert_allclose(gradient(g, info.transformed(out), b, feed), expected_grad(B),
                               rtol=1e-5)
    with g.as_default():
        b3 = tf.multiply(b, 3.0, name="b3")
    (out3,) = ge.graph_replace([out], {h: b3})
    np.testing.assert_allclose(gradient(g, out3, b, feed), 3.0 * expected_grad(3.0 * B),
                               rtol=1e-5)


@tf.RegisterGradient("GraphEditorTestSquareGrad")
def _square_grad_from_op(op, grad):  # reads its op: cannot be traced without it
    return grad * 3.0 * op.inputs[0]


@tf.custom_gradient
def _times_five_gradient(x):
    return tf.identity(x), lambda dy: dy * 5.0  # captures no tensor


@pytest.mark.parametrize("fast", [True, False])
def test_gradients_that_need_their_op_or_nothing_work_on_copies(fast):
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [3], name="a")
        with g.gradient_override_map({"Square": "GraphEditorTestSquareGrad"}):
            sq = tf.square(a, name="sq")
        tf.identity(sq + _times_five_gradient(a), name="out")
    g2 = tf.Graph()
    copier = ge.Transformer()
    copier.fast_path = fast
    copier(ge.sgv(g), g2, "copy")
    assert len(custom_ops(g2)) == 2
    got = gradient(g2, g2.get_tensor_by_name("copy/out:0"), g2.get_tensor_by_name("copy/a:0"),
                   {"copy/a:0": A})
    np.testing.assert_allclose(got, 3.0 * A + 5.0, rtol=1e-6)
