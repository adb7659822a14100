"""The one channel for raw edge edits (graph_editor._edits.EdgeEdits).

Every edge edit graph_editor makes to existing ops goes through it: a failure undoes every
edit (nested channels included) exactly, a success bumps the edit counter and keeps the
cycle check's order valid, so a later reroute still refuses cycles.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge
from graph_editor import _edits

X = np.array([1.0, 2.0], np.float32)


def _gd(g: tf.Graph) -> bytes:
    return g.as_graph_def().SerializeToString(deterministic=True)


def _run(g: tf.Graph, t: tf.Tensor, feed: dict) -> np.ndarray:
    with tf.compat.v1.Session(graph=g) as s:
        return s.run(t, feed)


@pytest.fixture
def chain():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        a = tf.tanh(x, name="a")
        b = tf.square(a, name="b")
        c = tf.add(a, b, name="c")
        k = tf.constant([1.0, 1.0], name="k")
        late = tf.identity(x, name="late")  # created after everything it could feed
    return g, x, a, b, c, k, late


def test_outer_failure_undoes_inner_committed_edits_exactly(chain):
    g, x, a, b, c, k, late = chain
    before, count = _gd(g), _edits.edit_count(g)
    with pytest.raises(RuntimeError, match="boom"), _edits.EdgeEdits(g):
        ge.reroute_ts(late, a, cannot_modify=late.op)  # a validated, committed plan
        ge.add_control_inputs(c.op, [k.op])
        assert b.op.inputs[0] is late and c.op.inputs[0] is late
        raise RuntimeError("boom")
    assert _gd(g) == before
    assert b.op.inputs[0] is a and list(c.op.control_inputs) == []
    assert _edits.edit_count(g) > count  # caches saw the inner edits: they must refresh
    np.testing.assert_allclose(_run(g, c, {x: X}), np.tanh(X) + np.tanh(X) ** 2, rtol=1e-6)


def test_undo_restores_control_inputs_in_their_order(chain):
    g, x, a, b, c, k, late = chain
    ge.add_control_inputs(c.op, [k.op, late.op])
    before = _gd(g)
    with pytest.raises(ValueError), _edits.EdgeEdits(g) as edits:
        edits.set_controls(c.op, [late.op])
        edits.add_controls(c.op, [x.op])
        edits.set_inputs([(c.op, 1, k, b)])
        raise ValueError("stop")
    assert [op.name for op in c.op.control_inputs] == ["k", "late"]
    assert c.op.inputs[1] is b and _gd(g) == before


def test_tf_refusing_an_edit_mid_batch_undoes_the_edits_before_it(chain):
    g, x, a, b, c, k, late = chain
    with g.as_default():
        wide = tf.constant([1.0, 2.0, 3.0], name="wide")  # shape (3,): TF refuses it
    before = _gd(g)
    edits_in = [(b.op, 0, late, a), (c.op, 1, k, b), (c.op, 0, wide, a), (c.op, 1, x, k)]
    with pytest.raises(tf.errors.InvalidArgumentError), _edits.EdgeEdits(g) as edits:
        edits.set_inputs(edits_in)
    assert _gd(g) == before
    assert b.op.inputs[0] is a and c.op.inputs[0] is a and c.op.inputs[1] is b
    np.testing.assert_allclose(_run(g, c, {x: X}), np.tanh(X) + np.tanh(X) ** 2, rtol=1e-6)


def test_a_failed_channel_without_commits_leaves_the_counter(chain):
    g, x, a, b, c, k, late = chain
    ge.swap_ts(a, a)  # make graph_editor's state exist
    count = _edits.edit_count(g)
    with pytest.raises(KeyError), _edits.EdgeEdits(g) as edits:
        edits.set_inputs([(c.op, 1, k, b)])
        raise KeyError("x")
    assert _edits.edit_count(g) == count and c.op.inputs[1] is b


def test_a_committed_raw_edit_keeps_the_cycle_check_exact(chain):
    g, x, a, b, c, k, late = chain
    ge.reroute_ts(k, k)  # the order is checked once (every op verified)
    with g.as_default():
        sink = tf.identity(k, name="sink")  # newer than a
    ge.add_control_inputs(late.op, [k.op])  # verifies `sink` too
    count = _edits.edit_count(g)
    # Unchecked: a now reads sink (an edge against creation order); the channel notices.
    with _edits.EdgeEdits(g) as edits:
        edits.set_inputs([(a.op, 0, sink, x)])
    assert _edits.edit_count(g) == count + 1
    # sink reading c would close c -> sink -> a -> c: an edge along creation order, which
    # the fast path accepts unless the order was marked stale.
    before = _gd(g)
    with pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.reroute_ts(c, k, can_modify=[sink.op])
    assert _gd(g) == before


def test_rewrite_failure_in_a_later_round_undoes_earlier_rounds():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        y = tf.nn.relu(tf.nn.relu(tf.nn.relu(x)))
        out = tf.identity(y, name="out")
    before = _gd(g)
    calls = []

    def replacement(m):
        calls.append(m.root.name)
        if len(calls) > 1:
            raise RuntimeError("second match fails")
        return tf.nn.relu6(m.inputs[0])

    with pytest.raises(RuntimeError, match="second match"):
        ge.rewrite(g, lambda t: tf.nn.relu(t), replacement)
    # Ops the replacement built stay (TF cannot delete ops), every old edge is as before.
    old = {n.name: n for n in tf.compat.v1.GraphDef.FromString(before).node}
    now = {n.name: n for n in g.as_graph_def().node}
    for name, node in old.items():
        assert list(now[name].input) == list(node.input), name
    np.testing.assert_allclose(_run(g, out, {x: [-1.0, 2.0]}), [0.0, 2.0])
