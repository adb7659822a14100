"""Benchmark of the deployment passes against grappler on frozen Keras models.

For each ``keras.applications`` model (``weights=None``, batch-norm moving statistics made
non-trivial), the frozen graph of its concrete function
(``convert_variables_to_constants_v2``) is optimized two ways:

- ours: ``fold_batch_norm`` + ``remove_identity`` + ``fold_constants`` + ``strip_unused``
  on a ``tf.Graph`` imported from the frozen GraphDef (the import is not timed);
- grappler: ``tf_optimizer.OptimizeGraph`` with its default optimizers on a MetaGraphDef
  holding the frozen GraphDef, the input and output in the ``train_op`` collection (what
  ``tf.lite`` does; ``graph_editor._tf.grappler_optimize``); building the MetaGraphDef is
  not timed.

Prints, per model, the op counts and median times (runs interleaved, after a warm-up) and
the ratios ours / grappler, plus the batch norms folded and the largest difference of our
output from the frozen graph's (relative to its largest value). Targets: both ratios <= 1.

Run:  python benchmarks/bench_passes.py [--size 96] [--repeat 3] [model ...]
      (default models: MobileNetV2 ResNet50 EfficientNetB0 DenseNet121)
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import graph_editor as ge  # noqa: E402
from graph_editor import _tf  # noqa: E402

MODELS = ("MobileNetV2", "ResNet50", "EfficientNetB0", "DenseNet121")


def frozen_graph_def(name: str, size: int, seed: int = 0) -> tuple:
    """``(GraphDef, input names, output names)`` of a frozen ``keras.applications`` model."""
    import keras
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    model = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0.0, 0.2, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape))
    fn = tf.function(lambda x: model(x, training=False))
    concrete = fn.get_concrete_function(tf.TensorSpec([1, size, size, 3], tf.float32))
    frozen = convert_variables_to_constants_v2(concrete)
    gd = frozen.graph.as_graph_def()
    return gd, [t.name for t in frozen.inputs], [t.name for t in frozen.outputs]


def import_graph(gd: tf.compat.v1.GraphDef) -> tf.Graph:
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    return graph


def pipeline(graph: tf.Graph, inputs: list, outputs: list) -> tuple:
    """Our four passes; returns (stripped graph, batch norms folded, batch norms left)."""
    keep = [o.split(":")[0] for o in outputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ge.BatchNormNotFoldedWarning)
        bn = ge.fold_batch_norm(graph, keep=keep)
    ge.remove_identity(graph, keep=keep)
    ge.fold_constants(graph, keep=keep)
    return ge.strip_unused(graph, inputs, outputs), bn.matches, len(bn.not_folded)


def _timed(fn: object) -> tuple:
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def run(graph: tf.Graph, fetch: str, feed: dict) -> np.ndarray:
    """``fetch`` computed as the graph says (no grappler or constant folding in the Session,
    which would fold the batch norms of the reference too)."""
    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    with tf.compat.v1.Session(graph=graph, config=config) as sess:
        return sess.run(fetch, feed)


def bench(name: str, size: int, repeat: int) -> tuple:
    gd, inputs, outputs = frozen_graph_def(name, size)
    meta_graph = _tf.grappler_meta_graph(gd, inputs + outputs)
    ours_s, grappler_s = [], []
    for _ in range(repeat):
        graph = import_graph(gd)
        secs, (small, folded, left) = _timed(lambda g=graph: pipeline(g, inputs, outputs))
        ours_s.append(secs)
        secs, optimized = _timed(lambda: _tf.grappler_optimize(meta_graph))
        grappler_s.append(secs)
    x = np.random.default_rng(1).standard_normal([1, size, size, 3]).astype(np.float32)
    feed = {inputs[0]: x}
    expected = run(import_graph(gd), outputs[0], feed)
    diff = float(np.abs(run(small, outputs[0], feed) - expected).max() / np.abs(expected).max())
    return (
        name, len(gd.node), len(small.get_operations()), len(optimized.node),
        statistics.median(ours_s), statistics.median(grappler_s), folded, left, diff,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=list(MODELS))
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench(args.models[0], 32, 1)  # warm-up: TF and Keras first-call costs
    header = (f"{'model':<16}{'frozen':>8}{'ours':>7}{'grappler':>9}{'ops ratio':>10}"
              f"{'ours s':>9}{'grappler s':>11}{'time ratio':>11}{'BN folded':>11}"
              f"{'rel diff':>10}")
    print(f"\n== passes vs grappler, {args.size}x{args.size}, median of {args.repeat}")
    print(header)
    ok = True
    for name in args.models:
        n, frozen, ours, grappler, ours_s, grappler_s, folded, left, diff = bench(
            name, args.size, args.repeat)
        ops_ratio, time_ratio = ours / grappler, ours_s / grappler_s
        ok &= ops_ratio <= 1.0 and time_ratio <= 1.0
        print(f"{n:<16}{frozen:>8}{ours:>7}{grappler:>9}{ops_ratio:>10.2f}{ours_s:>9.2f}"
              f"{grappler_s:>11.2f}{time_ratio:>11.2f}{f'{folded}/{folded + left}':>11}"
              f"{diff:>10.0e}")
    print("targets (both ratios <= 1):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
