"""Shared fixtures: tiny graphs built in code, with explicit graphs (never the default one)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402


def run(graph: tf.Graph, fetches, feed_dict=None):
    """Run ``fetches`` in a new ``tf.compat.v1.Session`` of ``graph``."""
    with tf.compat.v1.Session(graph=graph) as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.fixture
def diamond():
    """a, b -> c = a + b -> d = c * b -> e = tanh(d); f = neg(c) (dangling)

    Returns (graph, namespace of tensors).
    """
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [2], name="b")
        c = tf.add(a, b, name="c")
        d = tf.multiply(c, b, name="d")
        e = tf.tanh(d, name="e")
        f = tf.negative(c, name="f")
    ns = dict(a=a, b=b, c=c, d=d, e=e, f=f)
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
