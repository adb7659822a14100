"""The cycle check every in-place edit goes through (graph_editor._edits) is exact.

Its fast path trusts an order on the ops (creation ids, or ranks it moved); these tests feed
it ops the library created (detach placeholders) and ops TensorFlow created after their
consumers (a v1 cond's Switch), and random edit sequences, and check with an independent
topological sort that no accepted edit ever leaves a cycle, and that a refused one leaves
the graph as it was.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge
from graph_editor import _tf

_BACK_SOURCES = ("NextIteration", "RefNextIteration")


def _has_cycle(g: tf.Graph) -> bool:
    """Kahn's algorithm on data and control edges (v1 loop back edges excepted)."""
    ops = g.get_operations()
    indeg = {op.name: 0 for op in ops}
    succ: dict[str, list[str]] = {op.name: [] for op in ops}
    for op in ops:
        merge = op.type in ("Merge", "RefMerge")
        preds = [t.op for t in op.inputs if not (merge and t.op.type in _BACK_SOURCES)]
        for p in preds + list(op.control_inputs):
            succ[p.name].append(op.name)
            indeg[op.name] += 1
    ready = [n for n, d in indeg.items() if d == 0]
    seen = 0
    while ready:
        n = ready.pop()
        seen += 1
        for s in succ[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return seen < len(ops)


def _gd(g: tf.Graph) -> bytes:
    return g.as_graph_def().SerializeToString(deterministic=True)


def _v1(build):
    tf.compat.v1.disable_control_flow_v2()
    try:
        g = tf.Graph()
        with g.as_default():
            build()
        return g
    finally:
        tf.compat.v1.enable_control_flow_v2()


def test_a_placeholder_created_by_detach_is_ranked_below_its_consumers():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        a = tf.nn.relu(x, name="a")
        b = tf.tanh(a, name="b")
    _, (p,) = ge.detach_inputs(ge.sgv(a.op))
    before = _gd(g)
    with pytest.raises(ge.GraphEditValueError, match=r"cycle \(b -> .* -> a -> b\)"):
        ge.add_control_inputs(p.op, [b.op])
    assert _gd(g) == before and not _has_cycle(g)
    # The same placeholder still takes edges that close no cycle.
    ge.add_control_inputs(p.op, [x.op])
    assert [op.name for op in p.op.control_inputs] == ["x"]
    with tf.compat.v1.Session(graph=g) as s:
        np.testing.assert_allclose(s.run(b, {p: [-1.0, 0.0, 2.0]}), np.tanh([0.0, 0.0, 2.0]))


def test_ops_tensorflow_creates_after_their_consumers_are_ranked_correctly():
    def build():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [], name="y")
        tf.identity(tf.compat.v1.cond(x > 0, lambda: y * 2.0, lambda: y), name="out")

    g = _v1(build)
    mul = g.get_operation_by_name("cond/mul")
    switch = mul.inputs[0].op
    assert switch.type == "Switch" and switch._id > mul._id  # TF made it after its consumer
    before = _gd(g)
    with pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.reroute_ts(mul.outputs[0], g.get_tensor_by_name("y:0"), can_modify=[switch])
    assert _gd(g) == before and not _has_cycle(g)


def test_ops_built_after_an_edit_are_checked_before_the_next_one():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        a = tf.identity(x, name="a")
    ge.reroute_ts(a, a)  # a no-op edit: the check has seen the graph once
    with g.as_default():
        b = tf.nn.relu(a, name="b")
        c = tf.tanh(b, name="c")
    with pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.add_control_inputs(b.op, [c.op])
    assert not _has_cycle(g)
    assert _tf.ops_created_after(g, 0)[1] == max(op._id for op in g.get_operations())


def _random_graph(rng: random.Random) -> tf.Graph:
    g = tf.Graph()
    with g.as_default():
        ts = [tf.compat.v1.placeholder(tf.float32, [2], name=f"in{k}") for k in range(2)]
        for k in range(10):
            kind = rng.choice(["relu", "add", "identity", "tanh"])
            a = rng.choice(ts)
            if kind == "add":
                ts.append(tf.add(a, rng.choice(ts), name=f"add{k}"))
            else:
                ts.append(getattr(tf.nn if kind == "relu" else tf, kind)(a, name=f"{kind}{k}"))
    return g


def _random_step(g: tf.Graph, rng: random.Random) -> None:
    ops = [op for op in g.get_operations() if op.outputs]
    ts = [t for op in ops for t in op.outputs]
    step = rng.choice(["reroute", "swap", "control", "detach_in", "detach_out", "connect",
                       "bypass"])
    op = rng.choice(ops)
    if step == "reroute":
        ge.reroute_ts(rng.choice(ts), rng.choice(ts))
    elif step == "swap":
        ge.swap_ts(rng.choice(ts), rng.choice(ts))
    elif step == "control":
        ge.add_control_inputs(op, rng.sample(ops, 2))
    elif step == "detach_in":
        ge.detach_inputs(ge.sgv(op))
    elif step == "detach_out":
        ge.detach_outputs(ge.sgv(op))
    elif step == "connect":
        a, b = rng.sample(ops, 2)
        ge.connect(ge.sgv(a), ge.sgv(b))
    else:
        ge.bypass(ge.sgv(op))


@pytest.mark.parametrize("seed", range(12))
def test_random_edit_sequences_never_leave_a_cycle(seed):
    rng = random.Random(seed)
    g = _random_graph(rng)
    accepted = refused = 0
    for _ in range(25):
        before = _gd(g)
        try:
            _random_step(g, rng)
        except ge.GraphEditError:
            refused += 1
            assert _gd(g) == before, "a refused edit changed the graph"
            continue
        accepted += 1
        assert not _has_cycle(g), "an accepted edit closed a cycle"
    assert accepted > 0


# --------------------------------------------------------------------------------------------
# v1 while-loop frames
# --------------------------------------------------------------------------------------------


def _loop_graph() -> tf.Graph:
    def build():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        _, r = tf.compat.v1.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0),
                                       [tf.constant(0), x], name="loop")
        tf.identity(r, name="out")

    return _v1(build)


_FRAME_EDITS = {
    "reroute into the loop": lambda g: ge.reroute_ts(g.get_tensor_by_name("x:0"),
                                                     g.get_tensor_by_name("loop/Identity_1:0")),
    "swap across an Exit": lambda g: ge.swap_ts(g.get_tensor_by_name("loop/Exit_1:0"),
                                                g.get_tensor_by_name("loop/mul:0")),
    "bypass an Enter": lambda g: ge.bypass(ge.sgv(g.get_operation_by_name("loop/Enter_1"))),
    "detach a loop op": lambda g: ge.detach(ge.sgv(g.get_operation_by_name("loop/mul"))),
    "control edge out of the loop": lambda g: ge.add_control_inputs(
        g.get_operation_by_name("out"), [g.get_operation_by_name("loop/mul")]),
}


@pytest.mark.parametrize("edit", sorted(_FRAME_EDITS))
def test_edits_across_while_loop_frames_are_refused_before_any_change(edit):
    g = _loop_graph()
    before, n_ops = _gd(g), len(g.get_operations())
    with pytest.raises(ge.GraphEditValueError) as info:
        _FRAME_EDITS[edit](g)
    message = str(info.value)
    assert "frame 'loop/while_context'" in message and "root frame" in message
    assert _gd(g) == before and len(g.get_operations()) == n_ops  # no placeholder left
    with tf.compat.v1.Session(graph=g) as s:
        assert s.run("out:0", {"x:0": 1.5}) == 12.0


def test_edits_within_one_frame_are_accepted_and_run():
    g = _loop_graph()
    with g.as_default():  # a second input outside the loop
        z = tf.compat.v1.placeholder(tf.float32, [], name="z")
    ge.reroute_ts(z, g.get_tensor_by_name("x:0"))  # the loop now starts from z
    mul = g.get_operation_by_name("loop/mul")
    ge.reroute_ts(g.get_tensor_by_name("loop/Identity_1:0"), mul.inputs[1])  # v * v
    with tf.compat.v1.Session(graph=g) as s:
        assert s.run("out:0", {"z:0": 1.5}) == 1.5 ** 8


def test_validate_reports_frame_problems_made_behind_graph_editors_back():
    g = _loop_graph()
    assert ge.validate(g) == []
    mul = g.get_operation_by_name("loop/mul")
    mul._update_input(0, g.get_tensor_by_name("x:0"))  # a raw TF edit skipping the Enter
    ge.note_external_edit(g)
    problems = [p for p in ge.validate(g) if p.kind == "frame"]
    assert [p.ops for p in problems] == [("loop/mul", "x", "loop/mul/y")]
    assert "while-loop frame 'loop/while_context'" in problems[0].message
    assert "root frame" in problems[0].message
    assert problems[0].severity == "error"


def test_validate_accepts_nested_loops_with_conds_and_their_gradients():
    def build():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        c = tf.constant(2.0)

        def body(i, v):
            _, w = tf.compat.v1.while_loop(
                lambda j, u: j < 2,
                lambda j, u: (j + 1, u * c + tf.compat.v1.cond(u > 0, lambda: x, lambda: u)),
                [tf.constant(0), v])
            return i + 1, w

        _, r = tf.compat.v1.while_loop(lambda i, v: i < 3, body, [tf.constant(0), x])
        tf.identity(r, name="out")
        tf.identity(tf.gradients(r, x)[0], name="grad")

    g = _v1(build)
    assert ge.validate(g) == []  # no false cycle through a gradient loop's control edges
    with tf.compat.v1.Session(graph=g) as s:
        out, grad = s.run(["out:0", "grad:0"], {"x:0": 1.0})
    assert out == 127.0 and grad == 127.0
