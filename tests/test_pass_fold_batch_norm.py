"""ge.fold_batch_norm: fused and decomposed batch norms folded into conv / depthwise / matmul."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import randomize_batch_norms, run

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
    with pytest.warns(ge.BatchNormNotFoldedWarning):
        report = ge.fold_batch_norm(g)
    assert report.matches == 0
    assert set(report.not_folded) == {"bn_a", "bn_b", "FusedBatchNormV3"}  # not the x * s
    after = {n.name: n.SerializeToString(deterministic=True) for n in g.as_graph_def().node}
    assert after == before


def test_keep_protects_named_ops():
    g = conv_net()
    with pytest.warns(ge.BatchNormNotFoldedWarning, match="'bn1' is named in keep"):
        report = ge.fold_batch_norm(g, keep=["bn1", "conv1:0"])
    assert report.matches == 2
    assert g.get_operation_by_name("relu1").inputs[0].op.name == "bn1"


def test_errors():
    with pytest.raises(ge.GraphEditTypeError):
        ge.fold_batch_norm("graph")
    with pytest.raises(ge.GraphEditKeyError, match="nope"):
        ge.fold_batch_norm(conv_net(), keep=["nope"])


# ----- what Keras 3 emits; reporting --------------------------------------------------------


def keras3_conv_bn(x, cin, cout, name, through_identity=False):
    """A frozen Keras 3 Conv2D(use_bias=True) + BatchNormalization, op for op.

    Weights are read through Identity (frozen ReadVariableOp); the conv bias is
    Squeeze(Reshape(Identity(Const))); the batch norm is x * a + (beta - mean * a) with
    a = Rsqrt(Reshape(var) + eps) * Reshape(gamma), all parameters reshaped to [1, 1, 1, C].
    """

    def read(value, scope):
        return tf.identity(tf.constant(value, name=f"{scope}/resource"), name=f"{scope}/read")

    w = read(rand(3, 3, cin, cout), f"{name}_conv/kernel")
    h = tf.nn.conv2d(x, w, 1, "SAME", name=f"{name}_conv/convolution")
    bias = tf.squeeze(tf.reshape(read(rand(cout), f"{name}_conv/bias"), [1, cout]),
                      axis=0, name=f"{name}_conv/Squeeze")
    h = tf.nn.bias_add(h, bias, name=f"{name}_conv/BiasAdd")
    if through_identity:
        h = tf.identity(h, name=f"{name}_conv/out")
    shape = [1, 1, 1, cout]
    gamma, beta, mean, var = (
        tf.reshape(read(v, f"{name}_bn/{k}"), shape)
        for k, v in (("gamma", rand(cout, positive=True)), ("beta", rand(cout)),
                     ("mean", rand(cout)), ("var", rand(cout, positive=True))))
    a = tf.math.rsqrt(var + 1e-3) * gamma
    return tf.add(h * a, beta - mean * a, name=f"{name}_bn/add_1")


def test_keras3_biased_conv_and_dense_through_identities():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        h = tf.nn.relu(keras3_conv_bn(x, 3, 4, "c1"), name="relu1")
        h = tf.nn.relu(keras3_conv_bn(h, 4, 4, "c2", through_identity=True), name="relu2")
        f = tf.reshape(h, [-1, 256])
        d = tf.matmul(f, tf.identity(tf.constant(rand(256, 6) / 16)), name="dense")
        d = tf.add(d, tf.identity(tf.constant(rand(6))), name="dense_bias")  # Keras 3 Dense
        bn = tf.reshape(tf.constant(rand(6, positive=True)), [1, 6])
        tf.identity(d * bn + tf.constant(rand(1, 6)), name="out")
    ref = run(g, "out:0", {"x:0": X})
    report = ge.fold_batch_norm(g, keep=["out"])
    assert report.matches == 3 and report.not_folded == {}
    assert {"c1_conv/convolution", "c1_conv/BiasAdd", "c2_conv/out", "dense_bias"} <= {
        op.name for op in report.replaced_ops}
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, rtol=1e-5, atol=1e-5)
    small = ge.strip_unused(g, ["x:0"], ["out:0"])
    types = [op.type for op in small.get_operations()]
    assert types.count("Conv2D") == 2 and types.count("BiasAdd") == 3
    assert not {"Rsqrt", "Mul", "Squeeze", "Sub", "AddV2"} & set(types)
    np.testing.assert_allclose(run(small, "out:0", {"x:0": X}), ref, rtol=1e-5, atol=1e-5)


def test_not_folded_are_reported_with_reasons_and_one_warning():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        ok = keras3_conv_bn(x, 3, 4, "ok")
        cat = tf.concat([ok, x], axis=-1, name="cat")
        after_concat = tf.add(cat * tf.constant(rand(7)), tf.constant(rand(7)), name="bn_cat")
        conv = tf.nn.conv2d(x, tf.constant(rand(1, 1, 3, 4)), 1, "SAME", name="shared_conv")
        shared = fused_bn(conv, 4, "bn_shared")
        scale, offset, mean, var = bn_params(4)
        training, _, _ = v1.nn.fused_batch_norm(conv * 1.0, scale, offset, mean, var,
                                                is_training=True, name="bn_train")
        rescale = tf.add(x * 2.0, 1.0, name="rescale")  # a scalar affine: not a batch norm
        tf.identity(after_concat, name="o1")
        tf.identity(shared + tf.nn.relu(conv) + training, name="o2")
        tf.identity(rescale, name="o3")
    with pytest.warns(ge.BatchNormNotFoldedWarning, match="left 3 in place") as record:
        report = ge.fold_batch_norm(g)
    assert len(record) == 1
    assert report.matches == 1
    assert set(report.not_folded) == {"bn_cat", "bn_shared", "bn_train"}
    assert "'cat' (ConcatV2), not a Conv2D" in report.not_folded["bn_cat"]
    assert "'shared_conv' is also read by" in report.not_folded["bn_shared"]
    assert "is_training=True" in report.not_folded["bn_train"]
    assert "not_folded=3" in repr(report)


def test_no_warning_when_everything_folds(recwarn):
    g = conv_net()
    assert ge.fold_batch_norm(g, keep=["out"]).not_folded == {}
    assert not [w for w in recwarn if issubclass(w.category, ge.BatchNormNotFoldedWarning)]


def test_a_second_call_folds_nothing_more_and_order_does_not_matter():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        tf.identity(tf.nn.relu(keras3_conv_bn(x, 3, 4, "c", through_identity=True)), name="out")
    ref = run(g, "out:0", {"x:0": X})
    ge.remove_identity(g, keep=["out"])  # the dead identity still reads the conv
    ge.fold_constants(g, keep=["out"])   # a and b are Consts now, the bias too
    first = ge.fold_batch_norm(g, keep=["out"])
    assert first.matches == 1 and first.not_folded == {}
    n_ops = len(g.get_operations())
    again = ge.fold_batch_norm(g, keep=["out"])
    assert again.matches == 0 and again.not_folded == {} and len(g.get_operations()) == n_ops
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, rtol=1e-5, atol=1e-5)


def test_frozen_keras3_model_folds_in_one_call():
    keras = pytest.importorskip("keras")
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    inputs = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", use_bias=True)(inputs)
    h = keras.layers.ReLU()(keras.layers.BatchNormalization()(h))
    h = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Dense(5)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(h))
    randomize_batch_norms(model, RNG, mean_std=0.5)
    fn = tf.function(lambda x: model(x, training=False))
    frozen = convert_variables_to_constants_v2(
        fn.get_concrete_function(tf.TensorSpec([None, 8, 8, 3], tf.float32)))
    g = tf.Graph()
    with g.as_default():
        tf.graph_util.import_graph_def(frozen.graph.as_graph_def(), name="")
    x_name, out_name = frozen.inputs[0].name, frozen.outputs[0].name
    expected = model(X, training=False).numpy()
    report = ge.fold_batch_norm(g, keep=[out_name])
    assert report.matches == 3 and report.not_folded == {}
    small = ge.strip_unused(g, [x_name], [out_name])
    assert not {"Rsqrt", "Mul", "Sub"} & {op.type for op in small.get_operations()}
    np.testing.assert_allclose(run(small, out_name, {x_name: X}), expected, rtol=1e-4,
                               atol=1e-4)
