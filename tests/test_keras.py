"""graph_editor.keras: Keras 3 graphs and splitting models that share weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge


def sequential():
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(4, name="fc1"),
            keras.layers.Dense(8, activation="relu", name="fc2"),
            keras.layers.Dense(16, name="fc3"),
            keras.layers.Dense(2, name="fc4"),
        ],
        name="seq",
    )


def skip_model():
    keras.utils.set_random_seed(2)
    inp = keras.Input((8,), name="inp")
    stem = keras.layers.Dense(8, activation="relu", name="stem")(inp)
    b1 = keras.layers.Dense(8, activation="relu", name="b1")(stem)
    b2 = keras.layers.Dense(8, activation="tanh", name="b2")(b1)
    add = keras.layers.Add(name="add")([b2, stem])
    out = keras.layers.Dense(3, name="out")(add)
    return keras.Model(inp, out, name="skip")


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_split_sequential_shares_weights():
    model = sequential()
    x = np.array([[1.0, 2.0], [-0.5, 3.0]], np.float32)
    model_a, model_b = ge.split_keras_model(model, "fc2")
    assert isinstance(model_a, keras.Model) and isinstance(model_b, keras.Model)
    assert [layer.name for layer in model_a.layers if layer.weights] == ["fc1", "fc2"]
    assert [layer.name for layer in model_b.layers if layer.weights] == ["fc3", "fc4"]
    close(model_b(model_a(x)), model(x))
    assert model_b.get_layer("fc4") is model.get_layer("fc4")
    fc4 = model.get_layer("fc4")
    fc4.bias.assign(fc4.bias + 1.0)  # a change to the source shows in the half
    close(model_b(model_a(x)), model(x))
    ids = {id(w) for w in model.weights}
    assert {id(w) for w in model_a.weights + model_b.weights} == ids


def test_split_functional_skip():
    model = skip_model()
    x = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    crossing = ge.keras.keras_crossing_tensors(model, "b1")
    assert len(crossing) == 2
    assert crossing[0] is model.get_layer("b1").output
    assert crossing[1] is model.get_layer("stem").output
    model_a, model_b = ge.split_keras_model(model, "b1")
    mid = model_a(x)
    assert len(mid) == 2
    close(model_b(mid), model(x))
    # training the halves trains the model
    model_b.get_layer("out").kernel.assign(tf.zeros([8, 3]))
    close(model(x), np.broadcast_to(model.get_layer("out").bias.numpy(), (4, 3)))


def test_split_gradients_flow_to_original_weights():
    model = skip_model()
    x = np.ones([2, 8], np.float32)
    model_a, model_b = ge.split_keras_model(model, "b2")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model_b(model_a(x)))
    grads = tape.gradient(loss, model.get_layer("stem").kernel)
    assert grads is not None and np.abs(grads.numpy()).sum() > 0


def test_split_errors_leave_model_unchanged():
    model = skip_model()
    x = np.ones([2, 8], np.float32)
    before = model(x).numpy()
    with pytest.raises(ge.GraphEditKeyError, match="b1"):
        ge.split_keras_model(model, "b11")
    with pytest.raises(ge.GraphEditTypeError):
        ge.split_keras_model("not a model", "b1")
    close(model(x), before)
    assert len(model.get_layer("b1")._inbound_nodes) == 1


def test_split_twice_and_at_last_layer():
    model = sequential()
    x = np.ones([1, 2], np.float32)
    ge.split_keras_model(model, "fc2")
    a, b = ge.split_keras_model(model, "fc3")  # the first split left the model reusable
    close(b(a(x)), model(x))
    with pytest.raises(ge.CutError, match="no layer for model_b"):
        ge.split_keras_model(model, "fc4")


def test_graph_from_keras_roundtrip_and_variables():
    model = skip_model()
    x = np.random.default_rng(3).normal(size=(3, 8)).astype(np.float32)
    g = ge.graph_from_keras(model)
    assert len(g.captures) == len(model.weights)
    f = ge.function_from_graph(g)
    close(f(x), model(x))
    model.get_layer("out").bias.assign([1.0, 2.0, 3.0])
    close(f(x), model(x))


def test_split_function_on_keras_graph():
    model = skip_model()
    x = np.random.default_rng(4).normal(size=(3, 8)).astype(np.float32)
    g = ge.graph_from_keras(model)
    b1 = [op.name for op in g.get_operations() if op.name.endswith("b1_1/Relu")
          or op.name.endswith("b1/Relu")]
    assert len(b1) == 1
    names = ge.crossing_tensors(g, b1[0])
    assert len(names) == 2 and "stem" in names[1]
    head, tail = ge.split_function(g, b1[0])
    close(tail(*head(x)), model(x))


def test_split_two_inputs_second_used_after_cut():
    keras.utils.set_random_seed(5)
    a_in = keras.Input((4,), name="a")
    b_in = keras.Input((2,), name="b")
    h = keras.layers.Dense(6, activation="relu", name="h")(a_in)
    h2 = keras.layers.Dense(6, name="h2")(h)
    out = keras.layers.Dense(1, name="y")(keras.layers.Concatenate(name="cat")([h2, b_in]))
    model = keras.Model([a_in, b_in], out)
    xa = np.ones([3, 4], np.float32)
    xb = np.full([3, 2], 2.0, np.float32)
    crossing = ge.keras.keras_crossing_tensors(model, "h")
    assert crossing[0] is model.get_layer("h").output and crossing[1] is b_in
    model_a, model_b = ge.split_keras_model(model, "h")
    close(model_b(model_a([xa, xb])), model([xa, xb]))


def test_keras_names_resolve_without_trace_suffixes():
    model = sequential()
    g = ge.graph_from_keras(model)
    t = ge.functions.resolve_tensor(g, "fc2/Relu:0")
    assert t.name.endswith("/Relu:0") and "fc2" in t.name
    x = np.array([[1.0, 2.0]], np.float32)
    head, tail = ge.split_function(g, "fc2/Relu")
    close(tail(*head(x)), model(x))
    with pytest.raises(ge.GraphEditKeyError, match="Closest"):
        ge.functions.resolve_tensor(g, "fc9/Relu:0")


def test_graph_from_keras_two_inputs_and_explicit_specs():
    keras.utils.set_random_seed(6)
    a_in = keras.Input((4,), name="a")
    b_in = keras.Input((2,), name="b")
    h = keras.layers.Dense(3, name="h")(a_in)
    out = keras.layers.Concatenate(name="cat")([h, b_in])
    model = keras.Model([a_in, b_in], out)
    xa = np.ones([2, 4], np.float32)
    xb = np.full([2, 2], 3.0, np.float32)
    f = ge.function_from_graph(ge.graph_from_keras(model))
    close(f(xa, xb), model([xa, xb]))
    seq = sequential()
    g = ge.graph_from_keras(seq, tf.TensorSpec([5, 2], tf.float32))
    assert ge.function_inputs(g)[0].shape.as_list() == [5, 2]
    with pytest.raises(ge.GraphEditTypeError):
        ge.graph_from_keras(lambda t: t)


def test_insert_noise_into_keras_model_and_split_it_as_a_function():
    model = sequential()
    spec = tf.TensorSpec([None, 2], tf.float32)
    x = np.array([[1.0, 2.0], [0.0, -1.0]], np.float32)
    scale = tf.Variable(0.0)
    noisy = ge.insert_at(model, "fc2/Relu", lambda t: t + scale * tf.ones_like(t), spec)
    close(noisy(x), model(x))
    scale.assign(1.0)
    fc1, fc2, fc3, fc4 = (model.get_layer(f"fc{i}") for i in range(1, 5))
    close(noisy(x), fc4(fc3(fc2(fc1(x)) + 1.0)))
    head, tail = ge.split_function(model, "fc3/BiasAdd", spec)
    close(tail(*head(x)), model(x))
