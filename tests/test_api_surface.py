"""One spelling, one name resolver, one result type across the public surface (issue #16).

- the place to cut is ``at`` and the specs to trace with are ``input_specs`` in
  ``functions``, ``keras``, ``saved_model``, ``lint`` and ``viewer``; the old keywords work
  and warn with ``ge.GraphEditDeprecationWarning``;
- a Keras model is accepted by the function verbs, and a layer's name means the layer's
  output tensor (its activation, not its ``BiasAdd``); every verb taking names gives the
  same "Closest names" error;
- ``find_cut_points`` returns ``ge.CutPoint`` objects for graphs and functions alike;
- public verbs declare precise return types.
"""

from __future__ import annotations

import inspect
import re
import typing
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge
from graph_editor import _names

X = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)


def mlp():
    """x -> fc1 (Dense, relu) -> fc2 (Dense, relu) -> out (Dense)."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(6, activation="relu", name="fc1")(inp)
    h = keras.layers.Dense(5, activation="relu", name="fc2")(h)
    out = keras.layers.Dense(3, name="out")(h)
    return keras.Model(inp, out)


def by_hand(model, x, layer, fn):
    """The model's output with ``fn`` applied to the output of ``layer`` (Keras itself)."""
    upto = keras.Model(model.input, model.get_layer(layer).output)
    h = fn(np.asarray(upto(x)))
    names = [lyr.name for lyr in model.layers]
    for lyr in model.layers[names.index(layer) + 1:]:
        h = lyr(h)
    return np.asarray(h)


# --------------------------------------------------------------------------------------------
# Keras layer names (point 2)
# --------------------------------------------------------------------------------------------


def test_insert_at_a_keras_layer_name_means_the_layer_output():
    model = mlp()
    fn = ge.insert_at(model, "fc2", lambda t: t * -3.0 + 1.0)
    got = np.asarray(fn(X))
    want = by_hand(model, X, "fc2", lambda h: h * -3.0 + 1.0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # the op sits after fc2's Relu: at its BiasAdd the ReLU would clip the negative scale
    before_relu = np.asarray(ge.insert_at(model, "fc2/BiasAdd", lambda t: t * -3.0 + 1.0)(X))
    assert np.abs(got - before_relu).max() > 1e-2
    assert np.abs(got - np.asarray(model(X))).max() > 1e-2
    adds = [op for op in fn.graph.get_operations() if op.type == "AddV2"]
    (add,) = adds
    assert add.inputs[0].op.inputs[0].op.type == "Relu"
    assert "fc2" in add.inputs[0].op.inputs[0].op.name
    assert isinstance(fn, tf.types.experimental.ConcreteFunction)


def test_split_and_crossing_tensors_take_a_keras_model_and_layer_names():
    model = mlp()
    (name,) = ge.crossing_tensors(model, "fc1")
    assert name.endswith("fc1_1/Relu:0")
    head, tail = ge.split_function(model, "fc1")
    (mid,) = head(X)
    fc1 = keras.Model(model.input, model.get_layer("fc1").output)
    np.testing.assert_allclose(np.asarray(mid), np.asarray(fc1(X)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(tail(mid)), np.asarray(model(X)), rtol=1e-5,
                               atol=1e-6)


def test_graph_from_keras_names_layers_and_other_readings_still_work():
    model = mlp()
    g = ge.graph_from_keras(model)
    fc2 = _names.resolve_tensor(g, "fc2")
    assert fc2.op.type == "Relu"
    assert _names.resolve_tensor(g, "fc2/BiasAdd").op.type == "BiasAdd"  # an op still works
    assert _names.resolve_tensor(g, "x").op.type == "Placeholder"  # an Input: its placeholder
    f = ge.function_from_graph(g, outputs="fc2")
    np.testing.assert_allclose(np.asarray(f(X)),
                               np.asarray(keras.Model(model.input,
                                                      model.get_layer("fc2").output)(X)),
                               rtol=1e-6, atol=1e-6)
    assert _names.resolve_scope(g, "fc1").endswith("/fc1_1")


def test_a_layer_called_twice_is_named_by_its_tensors():
    keras.utils.set_random_seed(1)
    inp = keras.Input((4,))
    shared = keras.layers.Dense(4, activation="tanh", name="sh")
    model = keras.Model(inp, shared(shared(inp)))
    g = ge.graph_from_keras(model)
    with pytest.raises(ge.GraphEditKeyError, match=r"'sh'.*traced 2 times.*sh_1/.*sh_3/"):
        _names.resolve_tensor(g, "sh")
    with pytest.raises(ge.GraphEditKeyError, match="traced 2 times"):
        ge.insert_at(model, "sh", lambda t: t)
    # one call, by its traced scope
    first = _names.resolve_tensor(g, "sh_1/Tanh")
    f = ge.function_from_graph(g, outputs=[first])
    np.testing.assert_allclose(np.asarray(f(X)[0]), np.tanh(X @ shared.kernel.numpy()
                                                            + shared.bias.numpy()),
                               rtol=1e-5, atol=1e-6)


def test_every_verb_gives_the_closest_names_error():
    model = mlp()
    g = ge.graph_from_keras(model)
    calls = {
        "insert_at": lambda: ge.insert_at(model, "fc3", lambda t: t),
        "split_function": lambda: ge.split_function(model, "fc3"),
        "crossing_tensors": lambda: ge.crossing_tensors(g, "fc3"),
        "function_from_graph": lambda: ge.function_from_graph(g, outputs=["fc3"]),
        "find_cut_points": lambda: ge.find_cut_points(g, ["x"], ["fc3"]),
        "find_cut_points(model)": lambda: ge.find_cut_points(model, ["x"], ["fc3"]),
    }
    for verb, call in calls.items():
        with pytest.raises(ge.GraphEditKeyError) as info:
            call()
        msg = str(info.value)
        assert "No tensor named 'fc3'" in msg, verb
        assert re.search(r"Closest names: \['fc[12]', 'fc[12]'", msg), (verb, msg)  # layers first
    with pytest.raises(ge.GraphEditKeyError, match=r"Closest names: \['fc[12]', 'fc[12]'"):
        ge.split_keras_model(model, "fc3")
    with pytest.raises(ge.GraphEditKeyError, match=r"Closest names: \[.*fc1_1"):
        _names.resolve_scope(g, "fc3")


def test_resolve_scope_rules():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        with tf.name_scope("net"):
            with tf.name_scope("block"):
                h = tf.nn.relu(x, name="h")
            with tf.name_scope("block"):  # re-entered: block_1
                tf.tanh(h, name="t")
        with tf.name_scope("other/blk"):
            tf.identity(x, name="i")
        with tf.name_scope("side/block"):
            tf.identity(x, name="j")
        with tf.name_scope("dense_3"):
            tf.negative(x, name="n")
    assert _names.resolve_scope(g, "net/block") == "net/block"
    assert _names.resolve_scope(g, "net/block/") == "net/block"
    assert _names.resolve_scope(g, "blk") == "other/blk"  # a unique suffix
    assert _names.resolve_scope(g, "block_1") == "net/block_1"
    assert _names.resolve_scope(g, "dense") == "dense_3"  # a trace suffix on the scope
    with pytest.raises(ge.GraphEditKeyError, match=r"ambiguous.*\['net/block', 'side/block'\]"):
        _names.resolve_scope(g, "block")
    with pytest.raises(ge.GraphEditKeyError, match=r"Closest names: \['net/block'"):
        _names.resolve_scope(g, "net/blok")
    with pytest.raises(ge.GraphEditTypeError):
        _names.resolve_scope(g, 3)


# --------------------------------------------------------------------------------------------
# One spelling (point 7a)
# --------------------------------------------------------------------------------------------


def test_the_cut_argument_is_at_everywhere():
    cut_verbs = [ge.crossing_tensors, ge.split_function, ge.insert_at, ge.split_keras_model,
                 ge.keras.keras_crossing_tensors, ge.saved_model.split]
    for verb in cut_verbs:
        params = list(inspect.signature(verb).parameters.values())
        assert params[1].name == "at", verb.__name__
        old = [p for p in params if p.name in ("layer_name", "at_tensor", "cut")]
        assert all(p.kind is p.KEYWORD_ONLY for p in old), verb.__name__


def test_input_specs_is_the_one_spelling():
    for verb in (ge.graph_from_function, ge.crossing_tensors, ge.split_function,
                 ge.insert_at):
        (var,) = [p for p in inspect.signature(verb).parameters.values()
                  if p.kind is p.VAR_POSITIONAL]
        assert var.name == "input_specs", verb.__name__
    for verb in (ge.graph_from_keras, ge.find_cut_points, ge.view, ge.viewer.diff_ops,
                 ge.diff_view):
        assert "input_specs" in inspect.signature(verb).parameters, verb.__name__
    public = [getattr(ge, n) for n in ge.__all__ if inspect.isfunction(getattr(ge, n, None))]
    for verb in public:
        for p in inspect.signature(verb).parameters.values():
            if p.name in ("specs", "args_or_specs", "signature", "layer_name"):
                # only as deprecated keyword-only aliases
                assert p.kind is p.KEYWORD_ONLY and p.default is None, (verb.__name__, p)


def test_old_spellings_still_work_and_warn():
    assert issubclass(ge.GraphEditDeprecationWarning, DeprecationWarning)
    model = mlp()
    a_new, b_new = ge.split_keras_model(model, at="fc1")
    with pytest.warns(ge.GraphEditDeprecationWarning, match="'layer_name'.*'at'"):
        a_old, b_old = ge.split_keras_model(model, layer_name="fc1")
    np.testing.assert_allclose(np.asarray(b_old(a_old(X))), np.asarray(b_new(a_new(X))))
    np.testing.assert_allclose(np.asarray(b_old(a_old(X))), np.asarray(model(X)), rtol=1e-5,
                               atol=1e-6)
    with pytest.warns(ge.GraphEditDeprecationWarning, match="spell it 'at'") as rec:
        old = ge.keras.keras_crossing_tensors(model, layer_name="fc2")
    assert rec[0].filename == __file__  # attributed to the caller's line
    assert [t.name for t in old] == [t.name for t in ge.keras.keras_crossing_tensors(
        model, "fc2")]
    with pytest.raises(ge.GraphEditTypeError, match="both 'at' and its deprecated"):
        ge.split_keras_model(model, "fc1", layer_name="fc1")
    with pytest.raises(ge.GraphEditTypeError, match="missing required argument 'at'"):
        ge.split_keras_model(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new spelling does not warn
        ge.split_keras_model(model, "fc1")


# --------------------------------------------------------------------------------------------
# find_cut_points: one result type (point 7b)
# --------------------------------------------------------------------------------------------


def test_cut_points_are_one_type_for_graphs_functions_and_models():
    @tf.function
    def fn(t):
        return tf.tanh(tf.nn.relu(t * 2.0, name="r"), name="th") * 3.0

    spec = [tf.TensorSpec([None, 4], tf.float32)]
    cf = fn.get_concrete_function(*spec)
    from_fn = ge.find_cut_points(fn, input_specs=spec)
    from_cf = ge.find_cut_points(cf)
    g = ge.graph_from_function(fn, *spec)
    from_graph = ge.find_cut_points(g, ge.function_inputs(g), g.outputs)
    from_model = ge.find_cut_points(mlp())
    for points in (from_fn, from_cf, from_graph, from_model):
        assert points and all(type(p) is ge.CutPoint for p in points)
        assert all(isinstance(p.tensor, tf.Tensor) and p.tensor.name == p == p.name
                   for p in points)
    assert from_fn == from_cf and from_cf[:3] == ["mul:0", "r:0", "th:0"]
    assert all(p.tensor.graph is cf.graph for p in from_cf)
    assert repr(from_cf[1]) == "CutPoint('r:0')"
    # a cut point is a name every verb takes: cut the function there
    head, tail = ge.split_function(g, from_graph[1])
    x = X
    np.testing.assert_allclose(np.asarray(tail(*head(x))), np.asarray(fn(x)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(head(x)[0]), np.maximum(x * 2.0, 0), rtol=1e-6)
    with pytest.raises(ge.GraphEditTypeError, match="CutPoint"):
        ge.CutPoint("r:0")


# --------------------------------------------------------------------------------------------
# Precise return types (point 7c)
# --------------------------------------------------------------------------------------------


def test_public_verbs_declare_precise_return_types():
    cf = tf.types.experimental.ConcreteFunction
    hints = {f: typing.get_type_hints(f) for f in (ge.function_from_graph, ge.insert_at,
                                                   ge.split_function)}
    assert hints[ge.function_from_graph]["return"] is cf
    assert hints[ge.insert_at]["return"] is cf
    assert hints[ge.split_function]["return"] == tuple[cf, cf]
    ret = inspect.signature(ge.graph_replace).return_annotation
    assert ret != "Any" and ret == inspect.signature(ge.graph_replace).parameters[
        "target_ts"].annotation
    for name in ("crossing_tensors", "graph_from_function", "find_cut_points",
                 "split_keras_model", "graph_from_keras"):
        assert inspect.signature(getattr(ge, name)).return_annotation not in ("Any", "list")


def test_graph_replace_returns_the_structure_it_was_given():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(2.0, name="a")
        b = tf.multiply(a, 3.0, name="b")
        c = tf.add(b, 1.0, name="c")
        a2 = tf.constant(5.0, name="a2")
    out = ge.graph_replace({"c": c, "pair": (b, c)}, {a: a2})
    assert set(out) == {"c", "pair"} and isinstance(out["pair"], tuple)
    with tf.compat.v1.Session(graph=g) as sess:
        assert sess.run(out) == {"c": 16.0, "pair": (15.0, 16.0)}
