"""Real models through the TF2 bridges: EfficientNetB0 (Keras's swish: tf.custom_gradient).

Gradients of copies (function_from_graph, split_function, a re-saved SavedModel, a split
SavedModel) equal tf.GradientTape's on the source Keras model, w.r.t. the input and
weights; a re-saved ``model.export`` keeps its API.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import randomize_batch_norms

import graph_editor as ge

pytestmark = pytest.mark.slow

WEIGHTS = ["stem_conv", "block3a_expand_conv", "top_conv", "predictions"]


@pytest.fixture(scope="module")
def effnet():
    keras.utils.set_random_seed(0)
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(64, 64, 3))
    rng = np.random.default_rng(0)
    randomize_batch_norms(model, rng, mean_std=0.1, var_range=(0.5, 1.5), affine=False)
    x = rng.uniform(0.0, 255.0, (2, 64, 64, 3)).astype(np.float32)
    kernels = [model.get_layer(name).kernel for name in WEIGHTS]
    ref = grads(lambda t: model(t, training=False), x, kernels)
    return model, x, kernels, ref


def grads(fn, x, variables):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        loss = tf.reduce_sum(y * tf.linspace(-1.0, 1.0, 1000))
    return tape.gradient(loss, [x, *variables])


def assert_same_grads(got, ref):
    for g, r in zip(got, ref):
        assert g is not None
        r = r.numpy()
        np.testing.assert_allclose(g.numpy(), r, rtol=0, atol=1e-4 * np.abs(r).max())


def loaded_variables(loaded, like):
    by_name = {v.name: v for v in loaded.serve.concrete_functions[0].variables}
    return [by_name.get(v.path + ":0") for v in like]


def block4a_activation(graph):
    """The output of block4a's expand activation (swish), found by op: the names carry
    trace-count suffixes."""
    (t,) = [op.outputs[0] for op in graph.get_operations()
            if op.type == "IdentityN" and "/block4a_expand_activation" in op.name]
    return t


def test_function_copies_differentiate_like_the_model(effnet):
    model, x, kernels, ref = effnet
    graph = ge.graph_from_keras(model)
    assert sum("_gradient_op_type" in op.node_def.attr for op in graph.get_operations()) == 49
    f = ge.function_from_graph(graph)
    np.testing.assert_allclose(f(x), model(x, training=False), rtol=1e-4, atol=1e-6)
    assert_same_grads(grads(f, x, kernels), ref)
    head, tail = ge.split_function(graph, block4a_activation(graph))
    assert_same_grads(grads(lambda t: tail(*head(t)), x, kernels), ref)


@pytest.fixture(scope="module")
def exported(effnet, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("effnet") / "src")
    effnet[0].export(path, verbose=False)
    return path


@pytest.fixture(scope="module")
def editable(exported):
    return ge.saved_model.load(exported)


def test_resaved_saved_model_keeps_api_and_gradients(effnet, editable, tmp_path):
    model, x, kernels, ref = effnet
    copy = str(tmp_path / "copy")
    ge.saved_model.save(editable, copy)
    reloaded = tf.saved_model.load(copy)
    assert sorted(reloaded.signatures) == ["serve", "serving_default"]
    (serve,) = reloaded.serve.concrete_functions  # the endpoint model.export writes
    assert isinstance(serve.structured_outputs, tf.TensorSpec)
    y = reloaded.serve(x)
    assert isinstance(y, tf.Tensor)
    np.testing.assert_allclose(y, model(x, training=False), rtol=1e-4, atol=1e-6)
    assert_same_grads(grads(reloaded.serve, x, loaded_variables(reloaded, kernels)), ref)


def test_split_saved_model_differentiates_like_the_model(effnet, exported, editable, tmp_path):
    model, x, kernels, ref = effnet
    head_path, tail_path = str(tmp_path / "head"), str(tmp_path / "tail")
    ge.saved_model.split(exported, block4a_activation(editable.graph).name, head_path,
                         tail_path)
    head, tail = tf.saved_model.load(head_path), tf.saved_model.load(tail_path)
    h_vars, t_vars = loaded_variables(head, kernels), loaded_variables(tail, kernels)
    assert [v is None for v in h_vars] == [False, False, True, True]  # the cut is in block4a
    assert [v is None for v in t_vars] == [True, True, False, False]
    np.testing.assert_allclose(tail.serve(**head.serve(x)), model(x, training=False),
                               rtol=1e-4, atol=1e-6)
    got = grads(lambda t: tail.serve(**head.serve(t)), x,
                [h if t is None else t for h, t in zip(h_vars, t_vars)])
    assert_same_grads(got, ref)
