"""ge.remove_identity: Identity ops and NoOp chains bypassed, keeping controls and outputs."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from conftest import run

import graph_editor as ge

X = np.array([1.0, -2.0, 3.0], np.float32)


def test_identity_chains_are_bypassed_and_values_kept():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        h = tf.identity(tf.identity(tf.tanh(x, name="t"), name="i1"), name="i2")
        y = tf.multiply(h, 2.0, name="y")
        tf.identity(y, name="output")  # a named output: nothing reads it
    ref = run(g, "output:0", {"x:0": X})
    report = ge.remove_identity(g)
    assert report.matches == 2
    assert {op.name for op in report.replaced_ops} == {"i1", "i2"}
    assert g.get_operation_by_name("y").inputs[0].name == "t:0"
    assert g.get_operation_by_name("output").inputs[0].name == "y:0"  # output kept
    np.testing.assert_allclose(run(g, "output:0", {"x:0": X}), ref, atol=1e-6)


def test_keep_and_control_dependencies():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        side = tf.no_op(name="side")
        with g.control_dependencies([side]):
            i = tf.identity(x, name="i")
        with g.control_dependencies([i.op]):
            later = tf.no_op(name="later")
        kept = tf.identity(x, name="kept")
        tf.add(i, kept, name="y")
    report = ge.remove_identity(g, keep=["kept:0"])
    assert report.matches == 1
    y = g.get_operation_by_name("y")
    assert [t.name for t in y.inputs] == ["x:0", "kept:0"]
    assert [c.name for c in y.control_inputs] == ["side"]
    assert {c.name for c in later.control_inputs} == {"x", "side"}
    np.testing.assert_allclose(run(g, "y:0", {"x:0": X}), 2 * X)


def test_noop_chains():
    g = tf.Graph()
    with g.as_default():
        v = tf.compat.v1.placeholder(tf.float32, [], name="v")
        acc = tf.compat.v1.Variable(0.0, name="acc")
        a = tf.compat.v1.assign_add(acc, v, name="a")
        value = tf.identity(acc.read_value(), name="value")
        with g.control_dependencies([a.op]):
            n1 = tf.no_op(name="n1")
        with g.control_dependencies([n1]):
            n2 = tf.no_op(name="n2")
        with g.control_dependencies([n2]):
            train = tf.no_op(name="train")
    report = ge.remove_identity(g)
    assert {op.name for op in report.replaced_ops} >= {"n1", "n2"}
    assert [c.name for c in train.control_inputs] == [a.op.name]
    with tf.compat.v1.Session(graph=g) as sess:
        sess.run(acc.initializer)
        sess.run(train, {"v:0": 2.0})
        sess.run(train, {"v:0": 3.0})
        assert sess.run(value) == 5.0


def test_nothing_to_remove_is_a_noop(diamond):
    g, _ = diamond
    before = g.as_graph_def().SerializeToString(deterministic=True)
    report = ge.remove_identity(g)
    assert report.matches == 0 and not report
    assert g.as_graph_def().SerializeToString(deterministic=True) == before
