"""graph_editor._between: the ops graph_replace copies.

The window sweeps must find exactly what the walks find (as a set, in creation order), with
data and control edges, and hand over to the walks when creation order is not topological;
the order check must agree with the edge-by-edge definition.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import build_dag, seeded_dag_spec

import graph_editor as ge
from graph_editor import _between


def _naive(ops: list) -> bool:
    return all(p._id < op._id for op in ops for p in [t.op for t in op.inputs]
               + list(op.control_inputs))


def test_order_check_agrees_with_the_definition_for_data_and_control_edges():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        b = tf.add(a, a, name="b")
        c = tf.identity(b, name="c")
        late = tf.constant(3.0, name="late")
    ops = g.get_operations()
    assert _between._edges_increase(ops) is True and _naive(ops) is True
    ge.add_control_inputs(b.op, [late.op])  # a control edge against creation order
    assert _between._edges_increase(ops) is False and _naive(ops) is False
    ge.remove_control_inputs(b.op, [late.op])
    assert _between._edges_increase(ops) is True
    ge.reroute_ts(late, a, can_modify=[b.op])  # a data edge against creation order
    assert _between._edges_increase(ops) is False and _naive(ops) is False
    assert _between._edges_increase([c.op]) is True  # only the ops given are checked


_KINDS = {
    "add": (2, tf.add),
    "mul": (2, tf.multiply),
    "tanh": (1, tf.tanh),
    "split": (1, lambda x, name: tf.split(tf.tile(x, [2]), 2, name=name), 2),
}


def _walks(g, replaced, targets):
    return ge.get_walks_intersection_ops(replaced, targets,
                                         control_ios=ge.ControlOutputs(g))


@pytest.mark.parametrize("seed", range(12))
def test_sweeps_find_what_the_walks_find(seed):
    rng = np.random.default_rng(seed)
    spec = seeded_dag_spec(seed, _KINDS, n_inputs=2, n_ops=60, control=True)
    g, ts = build_dag(spec, _KINDS)
    assert _between.creation_order_is_topological(g)
    for _ in range(6):
        replaced = [ts[int(k)] for k in rng.choice(len(ts) // 2, 2, replace=False)]
        targets = [ts[int(k)] for k in rng.choice(range(len(ts) // 2, len(ts)), 3,
                                                   replace=False)]
        got = _between.ops_between(g, replaced, targets, ge.ControlOutputs(g))
        want = _walks(g, replaced, targets)
        assert {op.name for op in got} == {op.name for op in want}
        assert [op._id for op in got] == sorted(op._id for op in got)


def test_control_edges_count_both_ways_and_outside_ops_stay_out():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant([1.0, 2.0], name="x")
        before = tf.constant(0.5, name="before")  # older than the window, read inside it
        a = tf.multiply(x, before, name="a")
        gate = tf.constant(1.0, name="gate")  # reached only through a control edge
        with tf.control_dependencies([a.op]):
            waits = tf.identity(gate, name="waits")
        y = tf.add(a, waits, name="y")
        beyond = tf.identity(y, name="beyond")  # newer than the targets
    got = _between.ops_between(g, [x], [y], ge.ControlOutputs(g))
    assert [op.name for op in got] == ["a", "waits", "y"]
    assert beyond.op not in got


def test_graph_replace_in_a_graph_whose_order_is_not_topological():
    """A data edge against creation order: the walks decide, and the copy is right."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        y = tf.multiply(x, 2.0, name="y")
        z = tf.add(y, 1.0, name="z")
        late = tf.multiply(x, 3.0, name="late")  # created after z
    ge.reroute_ts(late, y, can_modify=[z.op])  # z now reads an op newer than itself
    assert not _between.creation_order_is_topological(g)
    with g.as_default():
        x_new = tf.constant([10.0, 20.0], name="x_new")
    got = _between.ops_between(g, [x], [z], ge.ControlOutputs(g))
    assert {op.name for op in got} == {"late", "z"}
    z2 = ge.graph_replace(z, {x: x_new})
    with tf.compat.v1.Session(graph=g) as sess:
        np.testing.assert_allclose(sess.run(z2), [31.0, 61.0])
        np.testing.assert_allclose(sess.run(z, {x: [1.0, 1.0]}), [4.0, 4.0])


def test_window_and_incremental_order_check_follow_new_ops():
    """The window is read by id from TF's op list; the order check resumes at the newest
    op it saw. Repeated graph_replace calls on one growing graph stay exact."""
    from graph_editor import _tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        h = x
        for i in range(20):
            h = tf.tanh(h, name=f"t{i}") if i % 2 else tf.multiply(h, 1.5, name=f"m{i}")
    ops = g.get_operations()
    ids = [op._id for op in ops]
    for lo, hi in ((ids[3], ids[9]), (ids[0], ids[-1]), (ids[-1], ids[-1]), (0, 10**9)):
        assert _tf.ops_in_id_range(g, lo, hi) == [op for op in ops if lo <= op._id <= hi]
    assert _tf.ops_in_id_range(g, ids[5], ids[4]) == []
    out = h
    for k in range(3):  # each call adds ops; the check covers only those
        with g.as_default():
            x_new = tf.constant([0.1 * (k + 1), -0.2], name=f"x_new{k}")
        out2 = ge.graph_replace(out, {x: x_new})
        want = np.array([0.1 * (k + 1), -0.2], np.float32)
        for i in range(20):
            want = np.tanh(want) if i % 2 else want * 1.5
        with tf.compat.v1.Session(graph=g) as sess:
            np.testing.assert_allclose(sess.run(out2), want, rtol=1e-5)
        assert _between._TOPO_CACHE[g][0] == x_new.op._id  # checked up to the newest op
