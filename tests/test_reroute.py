"""graph_editor.reroute: contrib semantics, validation before mutation, cycles, sessions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge
from graph_editor import _edits, _tf

A = np.array([1.0, 2.0], np.float32)
B = np.array([3.0, 4.0], np.float32)


def names(ts):
    return [t.name for t in ts]


def gd_bytes(g):
    return g.as_graph_def().SerializeToString(deterministic=True)


class Unchanged:
    """Context manager asserting the graph's GraphDef bytes are identical afterwards."""

    def __init__(self, g):
        self.g = g

    def __enter__(self):
        self.before = gd_bytes(self.g)
        self.count = _edits.edit_count(self.g)
        return self

    def __exit__(self, *exc):
        assert gd_bytes(self.g) == self.before
        assert _edits.edit_count(self.g) == self.count
        return False


# --------------------------------------------------------------------------------------------
# reroute_ts / swap_ts
# --------------------------------------------------------------------------------------------


def test_reroute_ts_direction_and_count(diamond, feed):
    g, ns = diamond
    # Consumers of b (c and d) now read a; b is left dangling.
    n = ge.reroute_ts(ns.a, ns.b)
    assert n == 2
    assert names(ns.c.op.inputs) == ["a:0", "a:0"]
    assert names(ns.d.op.inputs) == ["c:0", "a:0"]
    assert ns.b.consumers() == []
    d, f = run(g, [ns.d, ns.f], feed)
    np.testing.assert_allclose(d, (A + A) * A)
    np.testing.assert_allclose(f, -(A + A))


def test_swap_ts_numeric_and_structure(diamond, feed):
    g, ns = diamond
    n = ge.swap_ts([ns.a], [ns.b])
    assert n == 3
    assert names(ns.c.op.inputs) == ["b:0", "a:0"]
    assert names(ns.d.op.inputs) == ["c:0", "a:0"]
    np.testing.assert_allclose(run(g, ns.e, feed), np.tanh((B + A) * A))


def test_swap_ts_consumer_of_both_gets_them_swapped(diamond):
    # contrib gave c the same tensor twice; a swap must exchange them.
    g, ns = diamond
    ge.swap_ts(ns.a, ns.b, can_modify=[ns.c.op])
    assert names(ns.c.op.inputs) == ["b:0", "a:0"]
    assert names(ns.d.op.inputs) == ["c:0", "b:0"]


def test_can_modify_and_cannot_modify(diamond, feed):
    g, ns = diamond
    assert ge.reroute_ts(ns.a, ns.b, can_modify=[ns.d.op]) == 1
    assert names(ns.c.op.inputs) == ["a:0", "b:0"]
    assert names(ns.d.op.inputs) == ["c:0", "a:0"]
    assert ge.reroute_ts(ns.b, ns.a, cannot_modify=ns.c.op) == 1
    assert names(ns.d.op.inputs) == ["c:0", "b:0"]
    np.testing.assert_allclose(run(g, ns.d, feed), (A + B) * B)


def test_identical_pair_skipped_and_repeated_tensors_like_contrib(diamond):
    g, ns = diamond
    assert ge.reroute_ts([ns.a], [ns.a]) == 0
    # consumer sets are computed first; the second pair finds no slot left reading c.
    with g.as_default():
        x = tf.identity(ns.a, name="x")
        y = tf.identity(ns.b, name="y")
    assert ge.reroute_ts([x, y], [ns.c, ns.c]) == 2
    assert names(ns.d.op.inputs) == ["x:0", "b:0"]
    assert names(ns.f.op.inputs) == ["x:0"]


def test_noise_insertion_needs_cannot_modify(diamond, feed):
    g, ns = diamond
    with g.as_default():
        noisy = tf.add(ns.c, 0.5, name="noisy")
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.reroute_ts(noisy, ns.c)  # noisy itself reads c: it would read itself
    assert ge.reroute_ts(noisy, ns.c, cannot_modify=noisy.op) == 2
    d, f = run(g, [ns.d, ns.f], feed)
    np.testing.assert_allclose(d, (A + B + 0.5) * B)
    np.testing.assert_allclose(f, -(A + B + 0.5))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda ns, g: ([ns.a, ns.b], [ns.c]), "different sizes"),
        (lambda ns, g: (ns.i, ns.a), "Dtypes int32 and float32"),
        (lambda ns, g: (ns.s3, ns.a), "Shapes"),
        (lambda ns, g: (ns.d, ns.b), "cycle"),
        (lambda ns, g: (ns.other, ns.a), "graph"),
    ],
    ids=["length", "dtype", "shape", "cycle", "graph"],
)
def test_reroute_errors_leave_graph_unchanged(diamond, make, match):
    g, ns = diamond
    with g.as_default():
        ns.i = tf.constant([1, 2], name="i")
        ns.s3 = tf.constant([1.0, 2.0, 3.0], name="s3")
    g2 = tf.Graph()
    with g2.as_default():
        ns.other = tf.constant([1.0, 2.0], name="other")
    ts0, ts1 = make(ns, g)
    with Unchanged(g), pytest.raises(ge.GraphEditError, match=match) as info:
        ge.reroute_ts(ts0, ts1)
    assert isinstance(info.value, ValueError)


def test_many_pairs_one_bad_pair_is_named_and_compatible_shapes_pass():
    """The pair checks read dtypes and shapes of all pairs at once; the error still names
    the one bad pair, and partially known shapes that are compatible are accepted."""
    g = tf.Graph()
    with g.as_default():
        xs = [tf.compat.v1.placeholder(tf.float32, [2], name=f"x{i}") for i in range(8)]
        ys = [tf.identity(x * 2.0, name=f"y{i}") for i, x in enumerate(xs)]
        outs = [tf.negative(y, name=f"out{i}") for i, y in enumerate(ys)]
        bad_dtype = tf.constant([1, 2], name="ints")
        bad_shape = tf.constant([1.0, 2.0, 3.0], name="three")
        loose = tf.compat.v1.placeholder(tf.float32, [None], name="loose")
    for bad, match in ((bad_dtype, "pair 5 is tensor 'ints:0'"),
                       (bad_shape, "pair 5 is tensor 'three:0'")):
        ts0 = list(xs)
        ts0[5] = bad
        with Unchanged(g), pytest.raises(ge.GraphEditValueError, match=match):
            ge.reroute_ts(ts0, ys)
    ts0 = list(xs)
    ts0[3] = loose
    assert ge.reroute_ts(ts0, ys) == 8
    assert [o.op.inputs[0].name for o in outs[2:5]] == ["x2:0", "loose:0", "x4:0"]
    with tf.compat.v1.Session(graph=g) as sess:
        feed = {x: [float(i), 1.0] for i, x in enumerate(xs)}
        feed[loose] = [7.0, 8.0]
        got = sess.run(outs, feed)
    np.testing.assert_allclose(got[3], [-7.0, -8.0])
    np.testing.assert_allclose(got[6], [-6.0, -1.0])


def test_type_errors(diamond):
    g, ns = diamond
    with Unchanged(g), pytest.raises(ge.GraphEditTypeError):
        ge.reroute_ts(ns.a.op, ns.b)
    with Unchanged(g), pytest.raises(TypeError):
        ge.add_control_inputs(ns.a, [ns.b.op])


def test_cycle_message_names_the_path(diamond):
    g, ns = diamond
    with pytest.raises(ge.GraphEditValueError) as info:
        ge.reroute_ts(ns.e, ns.b)  # c and d would read e = tanh(c * b)
    msg = str(info.value)
    assert "d -> " in msg and " -> e" in msg


def test_swap_that_would_be_a_cycle_is_refused(diamond):
    g, ns = diamond
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.swap_ts(ns.c, ns.d)  # d reads c: it would read itself


def test_finalized_graph_is_not_edited(diamond):
    g, ns = diamond
    g.finalize()
    with Unchanged(g), pytest.raises(ge.GraphFinalizedError) as info:
        ge.swap_ts(ns.a, ns.b)
    assert isinstance(info.value, RuntimeError)


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


def test_swap_inputs_remaps_views_in_place(diamond, feed):
    g, ns = diamond
    with g.as_default():
        x = tf.constant([10.0, 20.0], name="x")
        y = tf.constant([1.0, 1.0], name="y")
        z = tf.identity(x, name="z")  # a consumer of passthrough x: may be modified
    v0 = ge.sgv(ns.c.op)
    v1 = ge.sgv([x, y])  # passthroughs
    r0, r1 = ge.swap_inputs(v0, v1)
    assert r0 is v0 and r1 is v1
    assert names(ns.c.op.inputs) == ["x:0", "y:0"]
    assert names(z.op.inputs) == ["a:0"]
    assert names(v0.inputs) == ["x:0", "y:0"]
    assert names(v1.inputs) == ["a:0", "b:0"]
    # contrib: passthroughs are exchanged, passthrough outputs re-pointed to the new inputs
    assert names(v0.passthroughs) == ["x:0", "y:0"]
    assert names(v1.passthroughs) == []
    assert names(v1.outputs) == ["a:0", "b:0"]
    np.testing.assert_allclose(run(g, [ns.c, z], feed), [[11.0, 21.0], A])


def test_swap_inputs_view_of_non_view_args_is_new(diamond):
    g, ns = diamond
    with g.as_default():
        x = tf.constant([10.0, 20.0], name="x")
    ops = [ns.f.op]
    r0, r1 = ge.swap_inputs(ops, [x])
    assert isinstance(r0, ge.SubGraphView) and names(r0.inputs) == ["x:0"]
    assert ops == [ns.f.op]


def test_swap_inputs_feeds_new_tensors_into_an_op(diamond, feed):
    g, ns = diamond
    with g.as_default():
        x = tf.constant([10.0, 20.0], name="x")
        y = tf.constant([1.0, 1.0], name="y")
    args = [x, y]
    ge.swap_inputs(ns.c.op, args)
    assert args == [x, y] or all(p is q for p, q in zip(args, [x, y]))
    assert names(ns.c.op.inputs) == ["x:0", "y:0"]
    np.testing.assert_allclose(run(g, ns.c, feed), [11.0, 21.0])
    # d still reads b: only the view's ops and passthrough consumers are modified.
    assert names(ns.d.op.inputs) == ["c:0", "b:0"]


def test_reroute_inputs_and_legacy_b2a(diamond, feed):
    g, ns = diamond
    with g.as_default():
        x = tf.constant([10.0, 20.0], name="x")
        y = tf.constant([1.0, 1.0], name="y")
    v = ge.sgv(ns.c.op)
    src = ge.sgv([x, y])
    ge.reroute_inputs(src, v)
    assert names(ns.c.op.inputs) == ["x:0", "y:0"]
    assert names(v.inputs) == ["x:0", "y:0"]
    assert names(src.inputs) == ["x:0", "y:0"]
    # b2a: the first view's ops read the second's inputs.
    ge.reroute_b2a_inputs(v, ge.sgv([ns.a, ns.b]))
    assert names(ns.c.op.inputs) == ["a:0", "b:0"]
    np.testing.assert_allclose(run(g, ns.e, feed), np.tanh((A + B) * B))


def test_swap_outputs_and_reroute_outputs(diamond, feed):
    g, ns = diamond
    # e = tanh(d), f = neg(c): swap the consumers of d and c (views' own ops excluded).
    ge.swap_outputs(ge.sgv(ns.d.op), ge.sgv(ns.f.op))
    assert ns.e.op.inputs[0] is ns.f
    assert ns.f.consumers() == [ns.e.op]
    np.testing.assert_allclose(run(g, ns.e, feed), np.tanh(-(A + B)))
    g2 = tf.Graph()
    with g2.as_default():
        a = tf.constant([1.0, 2.0], name="a")
        t = tf.tanh(a, name="t")
        u = tf.negative(a, name="u")
        out = tf.identity(t, name="out")
    ge.reroute_outputs(ge.sgv(u.op), ge.sgv(t.op))
    assert out.op.inputs[0] is u
    np.testing.assert_allclose(run(g2, out), [-1.0, -2.0])
    ge.reroute_b2a_outputs(ge.sgv(u.op), ge.sgv(t.op))
    assert out.op.inputs[0] is t


def _two_blocks():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [2], name="y")
        p = tf.tanh(x, name="blk0/p")
        q = tf.negative(y, name="blk1/q")
        out0 = tf.identity(p, name="out0")
        out1 = tf.identity(q, name="out1")
    return g, x, y, p, q, out0, out1


def test_swap_ios_and_aliases():
    g, x, y, p, q, out0, out1 = _two_blocks()
    v0, v1 = ge.sgv_scope("blk0", g), ge.sgv_scope("blk1", g)
    assert ge.swap is ge.swap_ios
    ge.swap(v0, v1)
    feed = {x: np.array([1.0, 2.0], np.float32), y: np.array([3.0, 4.0], np.float32)}
    o0, o1 = run(g, [out0, out1], feed)
    # The blocks trade places: blk1 now sits between x and out0, blk0 between y and out1.
    np.testing.assert_allclose(o0, -feed[x])
    np.testing.assert_allclose(o1, np.tanh(feed[y]), rtol=1e-6)
    assert names(v0.inputs) == ["y:0"] and names(v1.inputs) == ["x:0"]


def test_reroute_ios_and_legacy_names():
    g, x, y, p, q, out0, out1 = _two_blocks()
    assert ge.reroute_a2b is ge.reroute_ios
    assert ge.reroute_a2b_ts is ge.reroute_ts
    assert ge.reroute_a2b_inputs is ge.reroute_inputs
    assert ge.reroute_a2b_outputs is ge.reroute_outputs
    ge.reroute_ios(ge.sgv_scope("blk0", g), ge.sgv_scope("blk1", g))
    # blk0 takes blk1's place: out1 reads p, and q now reads x.
    assert out1.op.inputs[0] is p
    assert q.op.inputs[0] is x
    g, x, y, p, q, out0, out1 = _two_blocks()
    ge.reroute_b2a(ge.sgv_scope("blk0", g), ge.sgv_scope("blk1", g))
    assert out0.op.inputs[0] is q and p.op.inputs[0] is y


def test_reroute_b2a_ts(diamond):
    g, ns = diamond
    assert ge.reroute_b2a_ts(ns.a, ns.b) == 1  # readers of a (c) now read b
    assert names(ns.c.op.inputs) == ["b:0", "b:0"]


def test_view_reroute_failure_leaves_views_and_graph_unchanged(diamond):
    g, ns = diamond
    v0 = ge.sgv(ns.c.op)
    v1 = ge.sgv([ns.e])
    before = (names(v0.inputs), names(v1.inputs))
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="different sizes"):
        ge.swap_inputs(v0, v1)
    assert (names(v0.inputs), names(v1.inputs)) == before


# --------------------------------------------------------------------------------------------
# Control inputs
# --------------------------------------------------------------------------------------------


def test_add_and_remove_control_inputs(diamond):
    g, ns = diamond
    ge.add_control_inputs(ns.e.op, [ns.f.op, ns.a.op])
    assert ns.e.op.control_inputs == [ns.f.op, ns.a.op]
    assert ge.ControlOutputs(g).get(ns.f.op) == [ns.e.op]
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="'f' is already a control"):
        ge.add_control_inputs(ns.e.op, ns.f.op)
    ge.remove_control_input(ns.e.op, ns.f.op)
    assert ns.e.op.control_inputs == [ns.a.op]
    assert ge.ControlOutputs(g).get(ns.f.op) == ()
    with Unchanged(g), pytest.raises(ValueError, match="'f' is not a control input of 'e'"):
        ge.remove_control_inputs(ns.e.op, [ns.f.op])
    ge.remove_control_inputs(ns.e.op, [ns.a.op])
    assert ns.e.op.control_inputs == []


def test_control_cycle_and_self_loop_refused(diamond):
    g, ns = diamond
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.add_control_inputs(ns.c.op, [ns.e.op])
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.add_control_inputs(ns.c.op, [ns.c.op])
    # A data reroute closing a cycle through a control edge is refused too.
    with g.as_default():
        z = tf.constant([0.0, 0.0], name="z")
        w = tf.identity(z, name="w")
    ge.add_control_inputs(w.op, [ns.e.op])  # e -> w (control)
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.reroute_ts(w, ns.b)  # c, d would read w, which waits for e = f(c, d)


def test_control_edge_removal_keeps_order_and_runs(diamond, feed):
    g, ns = diamond
    with g.as_default():
        v = tf.Variable([0.0, 0.0], name="v")
        inc = v.assign_add([1.0, 1.0], name="inc")
        read = tf.identity(ns.c, name="read")
    ge.add_control_inputs(read.op, [inc.op, ns.f.op])
    ge.remove_control_input(read.op, ns.f.op)
    assert read.op.control_inputs == [inc.op]
    with tf.compat.v1.Session(graph=g) as s:
        s.run(v.initializer)
        s.run(read, feed)
        s.run(read, feed)
        np.testing.assert_allclose(s.run(v.read_value()), [2.0, 2.0])


# --------------------------------------------------------------------------------------------
# Edit counter, cycle-check order, sessions
# --------------------------------------------------------------------------------------------


def test_edit_counter_bumps_on_every_edit(diamond):
    g, ns = diamond
    n0 = _edits.edit_count(g)
    ge.swap_ts(ns.a, ns.b)
    ge.add_control_inputs(ns.e.op, ns.f.op)
    assert _edits.edit_count(g) == n0 + 2
    assert g.version == len(g.get_operations())  # TF's own version does not move


def test_cycle_check_after_many_reorders_matches_reachability():
    # Insert many ops "late" (against creation order) then probe cycles both ways.
    g = tf.Graph()
    with g.as_default():
        x = tf.constant([1.0], name="x")
        chain = [x]
        for i in range(12):
            chain.append(tf.tanh(chain[-1], name=f"t{i}"))
    for i in range(1, 12, 2):
        with g.as_default():
            ins = tf.identity(chain[i], name=f"ins{i}")
        ge.reroute_ts(ins, chain[i], cannot_modify=ins.op)
    # Rerouting t1's readers (via ins1) onto anything downstream of t1 is a cycle ...
    ins1 = g.get_tensor_by_name("ins1:0")
    for i in range(2, 13):
        with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
            ge.reroute_ts(chain[i], ins1)
    # ... onto anything upstream is not.
    assert ge.reroute_ts(chain[0], g.get_tensor_by_name("ins9:0")) == 1
    g2 = tf.Graph()
    with g2.as_default():
        tf.graph_util.import_graph_def(g.as_graph_def(), name="")
    np.testing.assert_allclose(run(g, chain[-1]), np.tanh(np.tanh(np.tanh([1.0]))), rtol=1e-6)


def test_external_edit_is_noticed(diamond):
    g, ns = diamond
    with g.as_default():
        late = tf.constant([0.0, 0.0], name="late")
        sink = tf.identity(late, name="sink")
    # Behind graph_editor's back: c now reads sink (an edge against creation order).
    _tf.update_edges(g, [(ns.c.op, 0, sink)])
    _edits.note_external_edit(g)
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.reroute_ts(ns.e, late)  # sink would read e, which depends on c, which reads sink


def test_live_session_warning(diamond, feed):
    g, ns = diamond
    sess = tf.compat.v1.Session(graph=g)
    sess.run(ns.d, feed)
    with g.as_default():
        late = tf.identity(ns.a, name="late")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ge.add_control_inputs(late.op, ns.b.op)  # created after the run: no warning
        assert not caught
        ge.swap_ts(ns.a, ns.b)
    assert len(caught) == 1
    assert issubclass(caught[0].category, ge.LiveSessionWarning)
    assert caught[0].filename == __file__  # points at the caller, not at graph_editor
    msg = str(caught[0].message)
    assert "'c'" in msg and "new Session" in msg
    # TF indeed keeps the old graph in that session; a new one sees the edit.
    np.testing.assert_allclose(sess.run(ns.c, feed), A + B)
    sess.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ge.swap_ts(ns.a, ns.b)  # the session is closed: no warning
    assert not caught


def test_exports():
    for name in [
        "swap_ts", "reroute_ts", "swap_inputs", "reroute_inputs", "swap_outputs",
        "reroute_outputs", "swap_ios", "reroute_ios", "remove_control_inputs",
        "add_control_inputs", "remove_control_input",
    ]:
        assert getattr(ge, name) is getattr(ge.reroute, name)
        assert name in ge.__all__
    assert ge.reroute.__name__ == "graph_editor.reroute"


def test_reroute_inside_a_function_graph():
    @tf.function
    def f(x):
        y = tf.tanh(x, name="y")
        tf.negative(x, name="z")
        return tf.identity(y, name="out")

    g = f.get_concrete_function(tf.TensorSpec([2], tf.float32)).graph
    y, z = g.get_tensor_by_name("y:0"), g.get_tensor_by_name("z:0")
    assert ge.reroute_ts(z, y) == 1
    assert names(g.get_operation_by_name("out").inputs) == ["z:0"]
    with pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.reroute_ts(g.get_tensor_by_name("out:0"), g.get_tensor_by_name("x:0"))


def test_v1_while_loop_back_edges_are_not_cycles():
    tf.compat.v1.disable_control_flow_v2()
    try:
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [], name="x")
            y = tf.constant(3.0, name="y")
            _, r = tf.compat.v1.while_loop(
                lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0), [tf.constant(0), x]
            )
            out = tf.identity(r, name="out")
    finally:
        tf.compat.v1.enable_control_flow_v2()
    assert any(op.type == "NextIteration" for op in g.get_operations())
    assert ge.reroute_ts(y, x) == 1  # the loop now starts from y: no false cycle
    assert run(g, out) == 24.0
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.reroute_ts(out, y)  # the loop's Enter would read the loop's own result


def test_many_insertions_in_one_gap_renumber_once_and_stay_exact(monkeypatch):
    # Each new op is moved just below the previous one: the rank gap halves every time,
    # until floats run out (~50 times) and the order is rebuilt for the whole graph, once.
    calls = []
    original = _edits._CycleCheck._renumber

    def counting(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(_edits._CycleCheck, "_renumber", counting)
    g = tf.Graph()
    with g.as_default():
        a = tf.constant([1.0], name="a")
        out = tf.identity(a, name="out")
    for k in range(80):
        with g.as_default():
            n = tf.identity(a, name=f"n{k}")
        assert ge.reroute_ts(n, a, cannot_modify=n.op) == 1
    assert len(calls) == 1
    # The chain is a -> n79 -> ... -> n0 -> out; the order is still exact.
    assert out.op.inputs[0].name == "n0:0"
    assert g.get_operation_by_name("n79").inputs[0] is a
    np.testing.assert_allclose(run(g, out), [1.0])
    for name in ("n0", "n40", "n79"):
        with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="cycle"):
            ge.reroute_ts(out, g.get_tensor_by_name(f"{name}:0"))
    assert ge.reroute_ts(a, g.get_tensor_by_name("n40:0")) == 1  # n39 reads a: no cycle
    np.testing.assert_allclose(run(g, out), [1.0])


def test_tensorflow_refusal_mid_batch_is_rolled_back():
    # c was built on a [2] input, then fed an unknown-shape u: TF still holds c to [2], so
    # feeding it a [3] tensor passes the tensor-vs-tensor check but TF refuses the edge.
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        c = tf.identity(a, name="c")
        u = tf.compat.v1.placeholder(tf.float32, None, name="u")
        w = tf.compat.v1.placeholder(tf.float32, [3], name="w")
        b = tf.compat.v1.placeholder(tf.float32, [2], name="b")
        d = tf.identity(b, name="d")
        b2 = tf.compat.v1.placeholder(tf.float32, [2], name="b2")
    ge.reroute_ts(u, a)
    with Unchanged(g), pytest.raises(ge.GraphEditValueError, match="refused"):
        ge.reroute_ts([b2, w], [b, u])  # the first pair is applied, then undone
    assert d.op.inputs[0] is b and c.op.inputs[0] is u
    np.testing.assert_allclose(run(g, d, {b: B}), B)
