"""Short tensor names (graph_editor._names) on graphs that Keras and tf.function build.

Keras 3 runs each layer in a name scope with a ``_<n>`` trace suffix (layer ``dense`` in
``dense_1``, auto-named layer ``dense_1`` in ``dense_1_2``); each test resolves names,
builds a function from the resolved tensor and compares its numbers with the layer's own
output.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import randomize_batch_norms

import graph_editor as ge
from graph_editor.functions import resolve_tensor

X = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)


def auto_named_mlp():
    """Three auto-named Dense layers (dense, dense_1, dense_2) after a Keras reset."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    h = inp
    for _ in range(3):
        h = keras.layers.Dense(4, activation="relu")(h)
    model = keras.Model(inp, h)
    assert [layer.name for layer in model.layers[1:]] == ["dense", "dense_1", "dense_2"]
    return model


def layer_output(model, layer_name, x):
    """The Keras output of ``layer_name`` for ``x``."""
    sub = keras.Model(model.input, model.get_layer(layer_name).output)
    return np.asarray(sub(x))


def value_of(graph, tensor, x):
    """``tensor`` of ``graph`` computed from the graph's input ``x``."""
    fn = ge.function_from_graph(graph, outputs=[tensor])
    out = fn(x)
    return np.asarray(out[0] if isinstance(out, (list, tuple)) else out)


def no_warnings(graph, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return resolve_tensor(graph, name)


def test_keras_auto_names_resolve_to_their_layers():
    model = auto_named_mlp()
    g = ge.graph_from_keras(model)
    m = model.name
    # the graph's scopes carry trace suffixes: dense -> dense_1, dense_1 -> dense_1_2
    by_layer = {
        "dense": no_warnings(g, "dense/Relu"),
        "dense_1": no_warnings(g, f"{m}/dense_1/Relu"),  # the Keras reading wins
        "dense_2": no_warnings(g, "dense_2/Relu"),
    }
    assert len({t.name for t in by_layer.values()}) == 3
    assert by_layer["dense_1"].name.endswith("/dense_1_2/Relu:0")
    for layer, t in by_layer.items():
        np.testing.assert_allclose(value_of(g, t, X), layer_output(model, layer, X),
                                   rtol=1e-6, atol=1e-6)
    # the graph's own names keep working: exact names and unique suffixes
    assert no_warnings(g, "dense_1_2/Relu") is by_layer["dense_1"]
    assert no_warnings(g, by_layer["dense_2"].name) is by_layer["dense_2"]
    assert no_warnings(g, "dense_2/MatMul").op.type == "MatMul"


def test_exact_suffix_wins_over_a_keras_reading_and_warns():
    model = auto_named_mlp()
    g = ge.graph_from_keras(model)
    # "dense_1/Relu" ends the graph name of layer dense's op (scope dense_1) exactly: it wins,
    # and the warning names layer dense_1's op
    with pytest.warns(ge.AmbiguousNameWarning, match=r"dense_1_2/Relu:0.*'dense_1_2/Relu'"):
        t = resolve_tensor(g, "dense_1/Relu")
    assert t is resolve_tensor(g, "dense/Relu")
    np.testing.assert_allclose(value_of(g, t, X), layer_output(model, "dense", X), rtol=1e-6)


def test_split_at_a_short_name_of_an_auto_named_layer():
    model = auto_named_mlp()
    g = ge.graph_from_keras(model)
    head, tail = ge.split_function(g, "dense_2/MatMul")
    (mid,) = head(X)
    np.testing.assert_allclose(tail(mid), model(X), rtol=1e-5, atol=1e-6)
    w, b = model.get_layer("dense_2").get_weights()
    np.testing.assert_allclose(np.asarray(tail(mid)), np.maximum(np.asarray(mid) + b, 0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mid, layer_output(model, "dense_1", X) @ w, rtol=1e-5,
                               atol=1e-6)


def test_swish_ops_are_not_ambiguous():
    # EfficientNet's swish layers hold "mul" (beta * x) and "mul_1" (x * sigmoid(beta * x));
    # the op name is compared exactly, so "act/mul" is not ambiguous with "act/mul_1"
    keras.utils.set_random_seed(1)
    inp = keras.Input((4,))
    h = keras.layers.Dense(4, name="block2b_expand_conv")(inp)
    act = keras.layers.Activation("swish", name="block2b_expand_activation")(h)
    out = keras.layers.Dense(2, name="top")(act)
    model = keras.Model(inp, out)
    g = ge.graph_from_keras(model)
    mul = no_warnings(g, "block2b_expand_activation/mul")
    mul_1 = no_warnings(g, "block2b_expand_activation/mul_1")
    assert mul.op.name.endswith("block2b_expand_activation_1/mul")
    assert mul_1.op.name.endswith("block2b_expand_activation_1/mul_1")
    pre = layer_output(model, "block2b_expand_conv", X)
    np.testing.assert_allclose(value_of(g, mul, X), pre, rtol=1e-6)  # beta = 1
    np.testing.assert_allclose(value_of(g, mul_1, X), pre / (1 + np.exp(-pre)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(value_of(g, mul_1, X),
                               layer_output(model, "block2b_expand_activation", X), rtol=1e-6)


def test_layer_names_that_look_traced():
    # layers named ffn1 and ffn1_1 run in scopes ffn1_1 and ffn1_1_2
    keras.utils.set_random_seed(2)
    inp = keras.Input((4,))
    h = keras.layers.Dense(4, activation="relu", name="ffn1")(inp)
    h = keras.layers.Dense(4, activation="relu", name="ffn1_1")(h)
    model = keras.Model(inp, h)
    g = ge.graph_from_keras(model)
    t_ffn1 = no_warnings(g, "ffn1/Relu")
    t_ffn1_1 = no_warnings(g, f"{model.name}/ffn1_1/Relu")
    assert t_ffn1_1.op.name.endswith("/ffn1_1_2/Relu")
    np.testing.assert_allclose(value_of(g, t_ffn1, X), layer_output(model, "ffn1", X),
                               rtol=1e-6)
    np.testing.assert_allclose(value_of(g, t_ffn1_1, X), model(X), rtol=1e-6)
    with pytest.warns(ge.AmbiguousNameWarning, match="ffn1_1_2"):
        assert resolve_tensor(g, "ffn1_1/Relu") is t_ffn1


def test_a_layer_only_named_with_a_suffix():
    # no layer "enc": "enc_1/Relu" is the layer, found in scope "enc_1_1"; before, the
    # given name lost its "_1" and nothing matched
    keras.utils.set_random_seed(3)
    inp = keras.Input((4,))
    out = keras.layers.Dense(4, activation="relu", name="enc_1")(inp)
    model = keras.Model(inp, out)
    g = ge.graph_from_keras(model)
    t = no_warnings(g, "enc_1/Relu")
    assert t.op.name.endswith("/enc_1_1/Relu")
    np.testing.assert_allclose(value_of(g, t, X), model(X), rtol=1e-6)
    with pytest.raises(ge.GraphEditKeyError, match="enc_1_1/Relu:0"):
        resolve_tensor(g, "enc/Relu")  # a given name is taken literally: no layer "enc"


def test_repeated_name_scopes_of_a_tf_function():
    @tf.function
    def fn(t):
        with tf.name_scope("block"):
            h = tf.nn.relu(t, name="act")
        with tf.name_scope("block"):
            h = tf.nn.relu(h - 1.0, name="act")
        return tf.tanh(h, name="out")

    spec = tf.TensorSpec([None, 4], tf.float32)
    g = ge.graph_from_function(fn, spec)
    first = no_warnings(g, "block/act")  # exact suffix, no warning: "block" is no auto-name
    second = no_warnings(g, "block_1/act")
    assert (first.op.name, second.op.name) == ("block/act", "block_1/act")
    np.testing.assert_allclose(value_of(g, first, X), np.maximum(X, 0))
    np.testing.assert_allclose(value_of(g, second, X), np.maximum(np.maximum(X, 0) - 1, 0))
    with pytest.raises(ge.GraphEditKeyError, match="ambiguous.*block/act:0.*block_1/act:0"):
        resolve_tensor(g, "act")
    with pytest.raises(ge.GraphEditKeyError, match="Closest names"):
        resolve_tensor(g, "blok/act")


@pytest.mark.slow
def test_efficientnet_b0_block_names():
    keras.backend.clear_session()
    keras.utils.set_random_seed(4)
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(64, 64, 3))
    rng = np.random.default_rng(4)
    randomize_batch_norms(model, rng, mean_std=0.2, var_range=(0.5, 1.5), affine=False)
    g = ge.graph_from_keras(model)
    x = rng.uniform(0, 255, (1, 64, 64, 3)).astype(np.float32)
    mul_1 = no_warnings(g, "block2b_expand_activation/mul_1")
    assert no_warnings(g, "block2b_expand_activation/mul") is not mul_1
    np.testing.assert_allclose(value_of(g, mul_1, x),
                               layer_output(model, "block2b_expand_activation", x),
                               rtol=1e-4, atol=1e-4)
    head, tail = ge.split_function(g, "block2b_expand_activation/mul_1")
    np.testing.assert_allclose(tail(*head(x)), model(x), rtol=1e-4, atol=1e-5)


def test_a_layer_name_means_the_one_tensor_leaving_its_scope():
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    h = keras.layers.Dense(3, name="fc1")(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)  # decomposed: several ops in scope bn_1
    out = keras.layers.Dense(2, name="fc2")(keras.layers.ReLU(name="act")(h))
    model = keras.Model(inp, out)
    bn = model.get_layer("bn")
    bn.moving_mean.assign(np.array([0.5, -1.0, 2.0], np.float32))
    bn.moving_variance.assign(np.array([2.0, 0.5, 3.0], np.float32))
    graph = ge.graph_from_keras(model)
    t = resolve_tensor(graph, "bn")
    assert "bn" in t.name and all("bn" not in c.name.split("/")[-2] for c in t.consumers())
    fn = ge.function_from_graph(graph, outputs=[t])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    sub = keras.Model(inp, model.get_layer("bn").output)
    np.testing.assert_allclose(np.asarray(fn(x)[0]), np.asarray(sub(x)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ge.GraphEditKeyError):
        resolve_tensor(graph, "no_such_layer")
