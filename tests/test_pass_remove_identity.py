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


def _v1_control_flow(build):
    g = tf.Graph()
    tf.compat.v1.disable_control_flow_v2()
    try:
        with g.as_default():
            build()
    finally:
        tf.compat.v1.enable_control_flow_v2()
    return g


def _run_with_timeout(g, fetch, feed):
    opts = tf.compat.v1.RunOptions(timeout_in_ms=20000)
    with tf.compat.v1.Session(graph=g) as sess:
        return sess.run(fetch, feed, options=opts)


def test_v1_cond_pivots_are_left_alone():
    def build():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        p = tf.compat.v1.placeholder(tf.bool, [], name="p")
        y = tf.compat.v1.cond(p, lambda: x * 2.0 + 1.0, lambda: x - 1.0)
        tf.negative(tf.identity(y, name="z"), name="out")

    g = _v1_control_flow(build)
    assert "Switch" in {op.type for op in g.get_operations()}
    report = ge.remove_identity(g)
    removed = {op.name for op in report.replaced_ops}
    assert "z" in removed
    assert not any(op.inputs[0].op.type == "Switch" for op in report.replaced_ops)
    assert _run_with_timeout(g, "out:0", {"x:0": 3.0, "p:0": True}) == -7.0
    assert _run_with_timeout(g, "out:0", {"x:0": 3.0, "p:0": False}) == -2.0


def test_v1_while_loop_still_runs():
    def build():
        n = tf.compat.v1.placeholder(tf.int32, [], name="n")
        _, a = tf.compat.v1.while_loop(
            lambda i, a: i < n,
            lambda i, a: (tf.identity(i + 1), tf.identity(a * 2.0)),
            [tf.constant(0), tf.constant(1.0)],
        )
        tf.negative(tf.identity(tf.identity(a)), name="neg")

    g = _v1_control_flow(build)
    report = ge.remove_identity(g)
    assert report.matches >= 2
    assert _run_with_timeout(g, "neg:0", {"n:0": 5}) == -32.0


def test_identity_n_and_snapshot():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [3], name="y")
        a, b = tf.identity_n([tf.tanh(x), y], name="idn")
        s = tf.raw_ops.Snapshot(input=a * b, name="snap")
        tf.negative(s, name="out")
    feed = {"x:0": X, "y:0": X + 1}
    ref = run(g, "out:0", feed)
    report = ge.remove_identity(g)
    assert {op.name for op in report.replaced_ops} == {"idn", "snap"}
    mul = g.get_operation_by_name("out").inputs[0].op
    assert mul.type == "Mul" and [t.name for t in mul.inputs] == ["Tanh:0", "y:0"]
    np.testing.assert_allclose(run(g, "out:0", feed), ref, atol=1e-6)


def frozen_like():
    """What convert_variables_to_constants_v2 gives: weights read through Identity, and an
    output Identity waiting on a NoOp that waits on every weight read."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        reads = [tf.identity(tf.constant(np.full([3], k, np.float32), name=f"w{k}"),
                             name=f"w{k}/read") for k in range(3)]
        y = x * reads[0] + reads[1]  # w2 is read by nothing but the NoOp
        with g.control_dependencies([op.op for op in reads]):
            done = tf.no_op(name="NoOp")
        with g.control_dependencies([done]):
            tf.identity(y, name="Identity")
    return g


def test_control_edges_that_only_order_constants_are_dropped():
    g = frozen_like()
    report = ge.remove_identity(g, keep=["Identity"])
    assert {op.name for op in report.replaced_ops} == {"w0/read", "w1/read", "w2/read", "NoOp"}
    out = g.get_operation_by_name("Identity")
    assert out.control_inputs == []  # not ^w0, ^w1, ^w2
    small = ge.strip_unused(g, ["x:0"], ["Identity:0"])
    assert sorted(op.name for op in small.get_operations()) == [
        "Identity", "add", "mul", "w0", "w1", "x"]  # w2 and the NoOp are gone
    np.testing.assert_allclose(run(small, "Identity:0", {"x:0": X}), X * 0.0 + 1.0)


def test_waiting_on_a_real_op_is_kept():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        acc = tf.compat.v1.Variable(0.0, name="acc")
        update = tf.compat.v1.assign_add(acc, x, name="update")
        w = tf.identity(tf.constant(2.0), name="w")
        prod = x * w
        with g.control_dependencies([update.op, w.op]):
            done = tf.no_op(name="done")
        with g.control_dependencies([done]):
            y = tf.identity(prod, name="y")
    ge.remove_identity(g, keep=["y"])
    assert [c.type for c in y.op.control_inputs] == ["AssignAddVariableOp"]
    with tf.compat.v1.Session(graph=g) as sess:
        sess.run(acc.initializer)
        assert sess.run(y, {x: 3.0}) == 6.0
        assert sess.run(acc) == 3.0
