"""ge.fold_batch_norm: fused and decomposed batch norms folded into conv / depthwise / matmul."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge

v1 = tf.compat.v1
RNG = np.random.default_rng(0)
X = RNG.standard_normal([2, 8, 8, 3]).astype(np.float32)


def rand(*shape, positive=False):
    a = RNG.standard_normal(shape).astype(np.float32)
    return np.abs(a) + 0.5 if positive else a


def bn_params(c):
    return [tf.constant(rand(c, positive=True)), tf.constant(rand(c)),
            tf.constant(rand(c)), tf.constant(rand(c, positive=True))]


def fused_bn(h, c, name, version=3):
    scale, offset, mean, var = bn_params(c)
    fn = v1.nn.fused_batch_norm
    y, _, _ = fn(h, scale, offset, mean=mean, variance=var, epsilon=1e-3, is_training=False,
                 name=name)
    assert y.op.type == ("FusedBatchNormV3" if version == 3 else y.op.type)
    return y


def conv_net():
    """conv -> BN -> relu -> depthwise (+bias) -> BN -> relu -> flatten -> matmul -> BN -> out."""
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        w1 = tf.constant(rand(3, 3, 3, 4), name="w1")
        h = tf.nn.conv2d(x, w1, strides=[1, 1, 1, 1], padding="SAME", name="conv1")
        h = tf.nn.relu(fused_bn(h, 4, "bn1"), name="relu1")
        w2 = tf.constant(rand(3, 3, 4, 2), name="w2")
        h = tf.nn.depthwise_conv2d(h, w2, strides=[1, 2, 2, 1], padding="VALID", name="dw")
        h = tf.nn.bias_add(h, tf.constant(rand(8)), name="dw_bias")
        h = tf.nn.relu(fused_bn(h, 8, "bn2"), name="relu2")
        h = tf.reshape(h, [-1, 3 * 3 * 8], name="flat")
        w3 = tf.constant(rand(72, 5), name="w3")
        h = tf.matmul(h, w3, name="dense")
        mean, var = tf.constant(rand(5)), tf.constant(rand(5, positive=True))
        offset, scale = tf.constant(rand(5)), tf.constant(rand(5, positive=True))
        h = tf.nn.batch_normalization(h, mean, var, offset, scale, 1e-3, name="bn3")
        tf.identity(h, name="out")
    return g


def test_folds_conv_depthwise_and_matmul_batch_norms():
    g = conv_net()
    ref = run(g, "out:0", {"x:0": X})
    report = ge.fold_batch_norm(g, keep=["out"])
    assert report.matches == 3
    replaced = {op.name for op in report.replaced_ops}
    assert {"bn1", "conv1", "bn2", "dw_bias", "dw", "dense"} <= replaced
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, rtol=1e-5, atol=1e-5)
    # structure: no batch norm op is read any more; relu1 reads conv -> BiasAdd
    relu1_in = g.get_operation_by_name("relu1").inputs[0].op
    assert relu1_in.type == "BiasAdd" and relu1_in.inputs[0].op.type == "Conv2D"
    assert relu1_in.inputs[0].op.inputs[1].op.type == "Const"
    relu2_in = g.get_operation_by_name("relu2").inputs[0].op
    assert relu2_in.type == "BiasAdd"
    assert relu2_in.inputs[0].op.type == "DepthwiseConv2dNative"
    assert relu2_in.inputs[0].op.get_attr("strides") == [1, 2, 2, 1]
    out_in = g.get_operation_by_name("out").inputs[0].op
    assert out_in.type == "BiasAdd" and out_in.inputs[0].op.type == "MatMul"
    pruned = ge.strip_unused(g, ["x:0"], ["out:0"])
    types = {op.type for op in pruned.get_operations()}
    assert not types & {"FusedBatchNormV3", "Rsqrt", "Mul", "Sub", "AddV2"}
    np.testing.assert_allclose(run(pruned, "out:0", {"x:0": X}), ref, rtol=1e-5, atol=1e-5)


def test_decomposed_form_with_plain_mul_add_either_order():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        h = tf.nn.conv2d(x, tf.constant(rand(1, 1, 3, 4)), 1, "SAME", name="conv")
        h = tf.add(tf.constant(rand(4)), tf.multiply(tf.constant(rand(4)), h), name="affine")
        tf.nn.relu(h, name="out")
    ref = run(g, "out:0", {"x:0": X})
    assert ge.fold_batch_norm(g).matches == 1
    assert g.get_operation_by_name("out").inputs[0].op.type == "BiasAdd"
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, rtol=1e-5, atol=1e-5)


def test_fused_v1_and_transposed_matmul():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        h = tf.nn.conv2d(x, tf.constant(rand(3, 3, 3, 4)), 1, "SAME", name="conv")
        scale, offset, mean, var = bn_params(4)
        y = tf.raw_ops.FusedBatchNorm(x=h, scale=scale, offset=offset, mean=mean,
                                      variance=var, epsilon=1e-3, is_training=False,
                                      name="bn")[0]
        f = tf.reshape(y, [-1, 256])
        d = tf.matmul(f, tf.constant(rand(6, 256) / 16), transpose_b=True, name="dense")
        tf.identity(d * tf.constant(rand(6)) + tf.constant(rand(6)), name="out")
    ref = run(g, "out:0", {"x:0": X})
    assert ge.fold_batch_norm(g).matches == 2
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, rtol=1e-5, atol=1e-5)


def test_not_folded_when_unsafe():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        w = v1.placeholder(tf.float32, [3, 3, 3, 4], name="w")  # weights not constant
        h = tf.nn.conv2d(x, w, 1, "SAME", name="conv")
        tf.identity(fused_bn(h, 4, "bn_a"), name="out_a")
        h2 = tf.nn.conv2d(x, tf.constant(rand(3, 3, 3, 4)), 1, "SAME", name="conv2")
        tf.identity(fused_bn(h2, 4, "bn_b"), name="out_b")
        tf.negative(h2, name="other")  # conv2 has another reader
        h3 = tf.nn.conv2d(x, tf.constant(rand(3, 3, 3, 4)), 1, "SAME", name="conv3")
        scale, offset, mean, var = bn_params(4)
        y, _, _ = v1.nn.fused_batch_norm(h3, scale, offset, mean, var, is_training=True)
        tf.identity(y, name="out_c")  # training mode
        h4 = tf.nn.conv2d(x, tf.constant(rand(3, 3, 3, 4)), 1, "SAME", name="conv4")
        tf.identity(h4 * v1.placeholder(tf.float32, [4], name="s") + 1.0, name="out_d")
    before = {n.name: n.SerializeToString(deterministic=True) for n in g.as_graph_def().node}
    report = ge.fold_batch_norm(g)
    assert report.matches == 0
    after = {n.name: n.SerializeToString(deterministic=True) for n in g.as_graph_def().node}
    assert after == before


def test_keep_protects_named_ops():
    g = conv_net()
    report = ge.fold_batch_norm(g, keep=["bn1", "conv1:0"])
    assert report.matches == 2
    assert g.get_operation_by_name("relu1").inputs[0].op.name == "bn1"


def test_errors():
    with pytest.raises(ge.GraphEditTypeError):
        ge.fold_batch_norm("graph")
    with pytest.raises(ge.GraphEditKeyError, match="nope"):
        ge.fold_batch_norm(conv_net(), keep=["nope"])
