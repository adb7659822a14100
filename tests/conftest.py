"""Shared fixtures: tiny graphs built in code, with explicit graphs (never the default one),
and one random-DAG builder (a spec drawn by hypothesis or from a seed, then built)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def run(graph: tf.Graph, fetches, feed_dict=None):
    """Run ``fetches`` in a new ``tf.compat.v1.Session`` of ``graph``."""
    with tf.compat.v1.Session(graph=graph) as sess:
        return sess.run(fetches, feed_dict=feed_dict)


def randomize_batch_norms(model, rng, mean_std=0.3, var_range=(0.5, 2.0), affine=True):
    """Non-trivial moving statistics (and, with ``affine``, gamma/beta) for every
    ``BatchNormalization`` of ``model``: with the defaults (zero mean, unit variance) a
    wrongly folded, sliced or copied batch norm would not show in the outputs."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = layer.moving_mean.shape
            layer.moving_mean.assign(rng.normal(0.0, mean_std, shape).astype(np.float32))
            layer.moving_variance.assign(rng.uniform(*var_range, shape).astype(np.float32))
            if affine:
                layer.gamma.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))
                layer.beta.assign(rng.normal(0.0, mean_std, shape).astype(np.float32))


def diamond_graph() -> tuple[tf.Graph, dict]:
    """a, b -> c = a + b -> d = c * b -> e = tanh(d); f = neg(c) (dangling)

    Returns (graph, {name: tensor}).
    """
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [2], name="b")
        c = tf.add(a, b, name="c")
        d = tf.multiply(c, b, name="d")
        e = tf.tanh(d, name="e")
        f = tf.negative(c, name="f")
    return g, dict(a=a, b=b, c=c, d=d, e=e, f=f)


@pytest.fixture
def diamond():
    """:func:`diamond_graph` as (graph, namespace of tensors)."""
    g, ns = diamond_graph()
    return g, type("NS", (), ns)


@pytest.fixture
def feed():
    return {"a:0": np.array([1.0, 2.0], np.float32), "b:0": np.array([3.0, 4.0], np.float32)}


def var_graph(use_resource=True):
    """x -> y = x * w + b, with variables net/w (trainable) and net/b, and inc = w += 1.

    Returns (graph, x, w, b, y, inc).
    """
    g = tf.Graph()
    with g.as_default(), tf.compat.v1.variable_scope("net", use_resource=use_resource):
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        w = tf.compat.v1.get_variable("w", initializer=tf.constant([2.0, 3.0]))
        b = tf.compat.v1.get_variable("b", initializer=tf.constant(1.0), trainable=False)
        y = tf.add(x * w, b, name="y")
        inc = tf.compat.v1.assign_add(w, [1.0, 1.0], name="inc").op
    return g, x, w, b, y, inc


# --------------------------------------------------------------------------------------------
# Random DAGs: one spec format, drawn by hypothesis or from a seed, built by one builder
# --------------------------------------------------------------------------------------------

# A kinds table maps a kind to ``(arity, make)`` or ``(arity, make, n_outputs)``:
# ``make(*inputs, name=...)`` adds the node's ops and returns its output tensor, or a list of
# ``n_outputs`` tensors that later nodes may all read.
Kinds = Mapping[str, tuple]


@dataclasses.dataclass(frozen=True)
class DagSpec:
    """A random DAG as data, built into ops by :func:`build_dag`.

    Tensors are numbered in creation order: ``0 .. n_inputs - 1`` are the inputs, then each
    node's outputs. A node is ``(kind, inputs, control)``: a key of the kinds table, the tensor
    numbers it reads, and the number of a tensor whose op it waits on (or ``None``).
    """

    n_inputs: int
    nodes: tuple[tuple[str, tuple[int, ...], int | None], ...]


def _draw_dag(choose, kinds: Kinds, n_inputs, n_ops, control: bool, recent: int | None):
    def span(value):
        return value if isinstance(value, int) else choose(*value)

    names = sorted(kinds)
    n_inputs, n_ops = span(n_inputs), span(n_ops)
    avail, nodes = n_inputs, []
    for _ in range(n_ops):
        kind = names[choose(0, len(names) - 1)]
        arity, n_out = kinds[kind][0], (kinds[kind] + (1,))[2]
        ins = tuple(choose(max(0, avail - recent) if recent and j == 0 else 0, avail - 1)
                    for j in range(arity))
        ctrl = choose(0, avail - 1) if control and choose(0, 1) and avail > n_inputs else None
        nodes.append((kind, ins, ctrl))
        avail += n_out
    return DagSpec(n_inputs, tuple(nodes))


def dag_specs(kinds: Kinds, n_inputs=2, n_ops=(2, 8), control=False, recent=None):
    """A hypothesis strategy of :class:`DagSpec`.

    Args:
      kinds: the kinds table (only the arities and output counts are read here).
      n_inputs, n_ops: an int, or an inclusive ``(low, high)`` range to draw from.
      control: give a node, half of the time, a control input (once an op exists).
      recent: a node's first input is one of the last ``recent`` tensors (long chains).
    """

    @st.composite
    def specs(draw):
        return _draw_dag(lambda lo, hi: draw(st.integers(lo, hi)), kinds, n_inputs, n_ops,
                         control, recent)

    return specs()


def seeded_dag_spec(seed: int, kinds: Kinds, n_inputs=2, n_ops=300, control=False, recent=None):
    """The same as :func:`dag_specs`, drawn from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return _draw_dag(lambda lo, hi: int(rng.integers(lo, hi + 1)), kinds, n_inputs, n_ops,
                     control, recent)


def build_dag(spec: DagSpec, kinds: Kinds, inputs=None, shape=(3,), name="{kind}{k}"):
    """Build ``spec``; returns ``(graph, tensors)`` with the tensors numbered as in the spec.

    With ``inputs`` (tensors, e.g. a tf.function's arguments) the nodes are added to their
    graph; without, to a new ``tf.Graph`` whose inputs are float32 placeholders ``in0``,
    ``in1``, ... of ``shape``. Node ``k`` gets ``name.format(kind=kind, k=k)``.
    """
    graph = inputs[0].graph if inputs else tf.Graph()
    with graph.as_default():
        ts = list(inputs) if inputs else [
            tf.compat.v1.placeholder(tf.float32, shape, name=f"in{i}")
            for i in range(spec.n_inputs)]
        for k, (kind, ins, ctrl) in enumerate(spec.nodes):
            with tf.control_dependencies([] if ctrl is None else [ts[ctrl].op]):
                out = kinds[kind][1](*[ts[i] for i in ins], name=name.format(kind=kind, k=k))
            ts.extend(out if isinstance(out, (list, tuple)) else [out])
    return graph, ts
