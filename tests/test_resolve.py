"""One graph-or-function resolver: every verb that takes a graph also takes a Keras model, a
ConcreteFunction and a tf.function, and means the same graph by them."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge

SPEC = tf.TensorSpec([None, 4], tf.float32)


@pytest.fixture(scope="module")
def model():
    import keras

    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(6, activation="relu", name="h")(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)
    out = keras.layers.Dense(3, name="fc")(h)
    m = keras.Model(inp, out)
    rng = np.random.default_rng(0)
    bn = m.get_layer("bn")  # non-trivial moving statistics: a wrong graph shows in numbers
    bn.moving_mean.assign(rng.normal(size=6).astype("float32"))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, size=6).astype("float32"))
    return m


@pytest.fixture(scope="module")
def fn():
    w = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0, name="w")

    @tf.function(input_signature=[SPEC])
    def f(x):
        h = tf.nn.relu(tf.matmul(x, w), name="h")
        return tf.reduce_sum(h * 2.0, axis=1, name="y")

    f.w = w  # keep the variable alive with the function
    return f


@pytest.fixture
def x():
    return np.random.default_rng(1).normal(size=(5, 4)).astype("float32")


def _node_names(nxg):
    return sorted(str(n) for n in nxg.nodes)


@pytest.mark.parametrize("verb", ["summary", "to_networkx", "to_dot", "validate"])
def test_a_tf_function_means_its_concrete_functions_graph(fn, verb):
    cf = fn.get_concrete_function()
    call = getattr(ge, verb)
    got, want = call(fn), call(cf)
    if verb == "to_networkx":
        got, want = _node_names(got), _node_names(want)
    elif verb == "validate":
        got, want = [str(p) for p in got], [str(p) for p in want]
    assert got == want
    assert want or verb == "validate"


def test_a_keras_model_means_its_graph_from_keras(model):
    graph = ge.graph_from_keras(model)
    assert _node_names(ge.to_networkx(model)) == _node_names(ge.to_networkx(graph))
    assert ge.summary(model) == ge.summary(graph)
    assert [str(p) for p in ge.validate(model)] == [str(p) for p in ge.validate(graph)]


def test_render_takes_a_model_and_a_function(model, fn, tmp_path):
    for i, obj in enumerate([model, fn, fn.get_concrete_function()]):
        out = ge.render(obj, tmp_path / f"g{i}.dot")
        assert out.read_text().startswith("digraph")


def test_find_cut_points_of_a_tf_function_with_input_signature(fn):
    cf = fn.get_concrete_function()
    assert ge.find_cut_points(fn) == ge.find_cut_points(cf)
    assert any(n.endswith("h:0") for n in ge.find_cut_points(fn))


def test_find_cut_points_of_a_model_is_a_valid_cut(model, x):
    points = ge.find_cut_points(model)
    assert points
    head, tail = ge.split_function(model, points[0])
    np.testing.assert_allclose(
        np.asarray(tail(*head(x))), np.asarray(model(x, training=False)), rtol=1e-5, atol=1e-5
    )


def test_insert_at_takes_a_keras_model(model, x):
    scaled = ge.insert_at(model, "fc/BiasAdd:0", lambda t: t * 0.5)
    want = np.asarray(model(x, training=False)) * 0.5
    np.testing.assert_allclose(np.asarray(scaled(x)), want, rtol=1e-5, atol=1e-5)
    # An inner tensor: the op is really spliced in front of its consumers.
    shifted = ge.insert_at(model, "h/Relu:0", lambda t: t + 1.0)
    ref = ge.insert_at(model, "h/Relu:0", lambda t: t)
    assert not np.allclose(np.asarray(shifted(x)), np.asarray(ref(x)))
    np.testing.assert_allclose(np.asarray(ref(x)), np.asarray(model(x, training=False)),
                               rtol=1e-5, atol=1e-5)


def test_crossing_tensors_and_split_take_a_keras_model(model, x):
    names = ge.crossing_tensors(model, "bn/batchnorm/add_1:0")
    assert len(names) == 1 and names[0].endswith("batchnorm/add_1:0") and "/bn" in names[0]
    head, tail = ge.split_function(model, "bn/batchnorm/add_1:0")
    np.testing.assert_allclose(
        np.asarray(tail(*head(x))), np.asarray(model(x, training=False)), rtol=1e-5, atol=1e-5
    )


def test_view_and_diff_view_take_models_and_functions(model, fn, tmp_path):
    for i, obj in enumerate([model, fn, fn.get_concrete_function()]):
        page = ge.view(obj, tmp_path / f"v{i}.html")
        assert "<html" in page.read_text().lower()
    out = ge.diff_view(fn, fn.get_concrete_function(), tmp_path / "d.html")
    assert out.exists()


def test_graph_def_bytes_are_shown_like_the_graph(fn):
    graph = fn.get_concrete_function().graph
    data = graph.as_graph_def().SerializeToString()
    assert _node_names(ge.to_networkx(data)) == _node_names(ge.to_networkx(graph))
    with pytest.raises(ge.GraphEditValueError, match="not a serialized GraphDef"):
        ge.summary(b"\xff\xff not a graph")


def test_untraceable_inputs_give_ge_errors():
    @tf.function
    def no_signature(x):
        return x + 1.0

    for verb in (ge.summary, ge.to_dot, ge.validate):
        with pytest.raises(ge.GraphEditValueError, match="has no graph until it is traced"):
            verb(no_signature)
    with pytest.raises(ge.GraphEditValueError, match="input_specs="):
        ge.view(no_signature, "unused.html")
    v = tf.Variable(1.0)
    with pytest.raises(ge.GraphEditTypeError, match="t.op"):
        ge.summary(v)
    with pytest.raises(ge.GraphEditTypeError, match="plain tf.Graph"):
        ge.insert_at(tf.Graph(), "a:0", lambda t: t)
