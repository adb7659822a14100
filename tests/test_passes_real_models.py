"""The deployment passes on frozen Keras 3 models.

``keras.applications`` models (``weights=None``, 64x64, batch-norm statistics and affine
parameters made non-trivial) are frozen with ``convert_variables_to_constants_v2`` and run
through ``fold_batch_norm`` + ``remove_identity`` + ``fold_constants`` + ``strip_unused``:
the result must compute the model's logits, hold no batch-norm arithmetic and nothing dead,
and have no more ops than grappler's ``OptimizeGraph`` gives on the same frozen graph.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import tensorflow as tf
from conftest import randomize_batch_norms, run

import graph_editor as ge
from graph_editor import _tf

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.slow

SIZE = 64


def frozen_model(name: str) -> tuple:
    """(model, frozen GraphDef, input name, output name, number of batch norms)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    model = getattr(keras.applications, name)(
        weights=None, input_shape=(SIZE, SIZE, 3), classifier_activation=None
    )
    rng = np.random.default_rng(0)
    randomize_batch_norms(model, rng)
    bns = [layer for layer in model.layers
           if isinstance(layer, keras.layers.BatchNormalization)]
    fn = tf.function(lambda x: model(x, training=False))
    concrete = fn.get_concrete_function(tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32))
    frozen = convert_variables_to_constants_v2(concrete)
    return (model, frozen.graph.as_graph_def(), frozen.inputs[0].name,
            frozen.outputs[0].name, len(bns))


@pytest.mark.parametrize("name", ["MobileNetV2", "ResNet50", "EfficientNetB0"])
def test_pipeline_on_a_frozen_keras_application(name):
    model, gd, x_name, out_name, n_bn = frozen_model(name)
    images = np.random.default_rng(1).standard_normal([2, SIZE, SIZE, 3]).astype(np.float32)
    expected = model(images, training=False).numpy()
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    out_op = out_name.split(":")[0]

    report = ge.fold_batch_norm(graph, keep=[out_op])  # all of them, in one call
    assert report.matches == n_bn and report.not_folded == {}
    ge.remove_identity(graph, keep=[out_op])
    ge.fold_constants(graph, keep=[out_op])
    small = ge.strip_unused(graph, [x_name], [out_name])

    got = run(small, out_name, {x_name: images})
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    types = Counter(op.type for op in small.get_operations())
    assert not {"Rsqrt", "FusedBatchNormV3", "IdentityN", "NoOp", "Squeeze"} & set(types)
    assert types["Identity"] == 1 and types["BiasAdd"] >= n_bn  # the output; folded biases
    # Point 2: nothing dead. No control edges; every op but the output is read, so every
    # weight left is one an output needs.
    for op in small.get_operations():
        assert not op.control_inputs, op.name
        assert op.name == out_op or any(t.consumers() for t in op.outputs), op.name
    # Point 3: no more ops than grappler on the same frozen graph.
    optimized = _tf.grappler_optimize(_tf.grappler_meta_graph(gd, [x_name, out_name]))
    assert len(small.get_operations()) <= len(optimized.node)
