"""ge.replace_op_type: same inputs and attrs, another type; attrs checked before any change."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge

X = np.array([[-3.0, 2.0, 9.0]], np.float32)


def net():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, 3], name="x")
        side = tf.no_op(name="side")
        with g.control_dependencies([side]):
            h = tf.nn.relu(x, name="r1")
        h = tf.nn.relu(h * 2.0 + 1.0, name="r2")
        tf.identity(h, name="out")
    return g


def test_relu_to_relu6():
    g = net()
    report = ge.replace_op_type(g, "Relu", "Relu6")
    assert report.matches == 2
    assert {op.name for op in report.replaced_ops} == {"r1", "r2"}
    new1 = g.get_operation_by_name("mul").inputs[0].op
    assert new1.type == "Relu6" and [c.name for c in new1.control_inputs] == ["side"]
    out_in = g.get_operation_by_name("out").inputs[0].op
    assert out_in.type == "Relu6"
    expected = np.minimum(np.maximum(2 * np.minimum(np.maximum(X, 0), 6) + 1, 0), 6)
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), expected)


def test_keep():
    g = net()
    report = ge.replace_op_type(g, "Relu", "Relu6", keep=["r2"])
    assert report.matches == 1
    assert g.get_operation_by_name("out").inputs[0].op.name == "r2"


def test_attrs_that_do_not_fit_change_nothing():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, 4, 4, 1], name="x")
        p = tf.nn.max_pool2d(x, 2, 2, "VALID", name="pool")
        tf.nn.leaky_relu(p, alpha=0.3, name="lr")
        i = tf.compat.v1.placeholder(tf.int32, [2], name="i")
        tf.abs(i, name="absi")
    before = g.as_graph_def().SerializeToString(deterministic=True)
    n = len(g.get_operations())
    with pytest.raises(ge.GraphEditValueError, match="alpha"):
        ge.replace_op_type(g, "LeakyRelu", "Relu")
    with pytest.raises(ge.GraphEditValueError, match="input"):
        ge.replace_op_type(g, "MaxPool", "AddV2")
    with pytest.raises(ge.GraphEditValueError, match="int32"):
        ge.replace_op_type(g, "Abs", "Sqrt")
    with pytest.raises(ge.GraphEditValueError, match="not a registered op"):
        ge.replace_op_type(g, "Relu", "Relu7")
    with pytest.raises(ge.GraphEditTypeError):
        ge.replace_op_type(g, "Relu", 6)
    assert g.as_graph_def().SerializeToString(deterministic=True) == before
    assert len(g.get_operations()) == n


def test_output_dtype_change_is_refused_before_rewiring():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        f = tf.math.is_finite(x, name="fin")
        tf.logical_not(f, name="out")
    before = {n.name: n.SerializeToString(deterministic=True) for n in g.as_graph_def().node}
    with pytest.raises(ge.GraphEditValueError, match="dtype"):
        ge.replace_op_type(g, "IsFinite", "Neg")
    after = {n.name: n.SerializeToString(deterministic=True) for n in g.as_graph_def().node}
    assert all(after[k] == v for k, v in before.items())
