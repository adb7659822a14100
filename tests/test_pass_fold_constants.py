"""ge.fold_constants: constant subgraphs evaluated and replaced by Const ops."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge

X = np.array([1.0, -2.0, 0.5, 4.0], np.float32)


def graph_with_constants():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [4], name="x")
        c = tf.sqrt(tf.constant([1.0, 4.0, 9.0, 16.0]) + 0.0, name="root")
        scale = tf.reduce_sum(c, name="total") / 10.0
        noise = tf.random.uniform([4], seed=1, name="noise")
        y = tf.multiply(x, c, name="xc") * scale
        tf.add(y, noise * 0.0, name="out")
        tf.identity(tf.shape(x), name="dyn_shape")
    return g


def test_folds_constant_subgraphs_and_keeps_values():
    g = graph_with_constants()
    ref = run(g, "out:0", {"x:0": X})
    report = ge.fold_constants(g)
    folded = {op.name for op in report.replaced_ops}
    assert "root" in folded and "truediv" in folded  # c and scale read by non-foldable ops
    assert all(op.type == "Const" for op in report.new_ops)
    assert report.matches == len(report.new_ops) == 2
    xc = g.get_operation_by_name("xc")
    assert xc.inputs[1].op.type == "Const"
    np.testing.assert_allclose(
        tf.make_ndarray(xc.inputs[1].op.get_attr("value")), [1.0, 2.0, 3.0, 4.0]
    )
    # the random op is stateful: not folded
    assert g.get_operation_by_name("mul_1").inputs[0].op.name.startswith("noise")
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, atol=1e-5)


def test_size_threshold_folds_the_smaller_inputs_instead():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1000], name="x")
        small = tf.exp(tf.constant([0.5]), name="small")
        big = tf.tile(small, [1000], name="big")  # 4000 bytes
        tf.add(x, big, name="out")
    ref = run(g, "out:0", {"x:0": np.ones(1000, np.float32)})
    report = ge.fold_constants(g, max_bytes=1000)
    assert [op.name for op in report.replaced_ops] == ["small"]
    assert g.get_operation_by_name("out").inputs[1].op.name == "big"
    assert g.get_operation_by_name("big").inputs[0].op.type == "Const"
    np.testing.assert_allclose(run(g, "out:0", {"x:0": np.ones(1000, np.float32)}), ref)
    report = ge.fold_constants(g, max_bytes=10_000)
    assert [op.name for op in report.replaced_ops] == ["big"]


def test_keep_and_control_inputs():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        k = tf.add(tf.constant(1.0), 2.0, name="kept")
        gate = tf.no_op(name="gate")
        with g.control_dependencies([gate]):
            gated = tf.multiply(tf.constant(2.0), 3.0, name="gated")
        free = tf.multiply(tf.constant(4.0), 2.0, name="free")
        tf.add_n([x, k, gated, free], name="out")
    report = ge.fold_constants(g, keep=["kept"])
    # 'kept' is kept; 'gated' waits for a NoOp (not foldable); only 'free' is folded
    assert [op.name for op in report.replaced_ops] == ["free"]
    out = g.get_operation_by_name("out")
    assert [t.op.name for t in out.inputs[:3]] == ["x", "kept", "gated"]
    assert out.inputs[3].op.type == "Const"
    gated_const = g.get_operation_by_name("gated").inputs[0].op
    assert [c.name for c in gated_const.control_inputs] == ["gate"]
    assert run(g, "out:0", {"x:0": 1.0}) == 18.0


def test_nothing_to_fold_and_errors(diamond):
    g, _ = diamond
    before = g.as_graph_def().SerializeToString(deterministic=True)
    assert ge.fold_constants(g).matches == 0
    assert g.as_graph_def().SerializeToString(deterministic=True) == before
    with pytest.raises(ge.GraphEditValueError, match="max_bytes"):
        ge.fold_constants(g, max_bytes=-1)
    with pytest.raises(ge.GraphEditKeyError):
        ge.fold_constants(g, keep=["zz"])
