"""graph_editor.edit: detach / connect / bypass, atomicity, an MLP scenario, random DAGs."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import build_dag, dag_specs, run
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import graph_editor as ge
from graph_editor import _edits

A = np.array([1.0, 2.0], np.float32)
B = np.array([3.0, 4.0], np.float32)


def names(ts):
    return [t.name for t in ts]


def gd_bytes(g):
    return g.as_graph_def().SerializeToString(deterministic=True)


# --------------------------------------------------------------------------------------------
# detach
# --------------------------------------------------------------------------------------------


def test_detach_inputs_keeps_shape_scope_and_names():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="net/x")
        w = tf.constant(np.ones((3, 2), np.float32), name="net/w")
        y = tf.matmul(x, w, name="net/y")
        z = tf.nn.relu(y, name="head/z")
    sgv, phs = ge.detach_inputs(ge.sgv(z.op))
    assert names(phs) == ["net/geph__y_0:0"]  # the input's own scope
    assert phs[0].shape.as_list() == [None, 2]  # contrib dropped the shape (bug 16)
    assert phs[0].op.type == "Placeholder"
    assert z.op.inputs[0] is phs[0]
    assert names(sgv.inputs) == ["net/geph__y_0:0"]
    assert y.consumers() == []
    out = run(g, z, {phs[0]: np.array([[-1.0, 2.0]], np.float32)})
    np.testing.assert_allclose(out, [[0.0, 2.0]])


def test_detach_inputs_view_in_place_and_control_inputs(diamond, feed):
    g, ns = diamond
    ge.add_control_inputs(ns.d.op, [ns.f.op])
    v = ge.sgv(ns.c.op, ns.d.op)
    r, phs = ge.detach_inputs(v, control_inputs=True)
    assert r is v
    assert names(phs) == ["geph__a_0:0", "geph__b_0:0"]
    assert names(v.inputs) == names(phs)
    assert ns.d.op.control_inputs == []
    assert names(ns.c.op.inputs) == names(phs)
    assert names(ns.d.op.inputs) == ["c:0", "geph__b_0:0"]
    out = run(g, ns.d, {phs[0]: A, phs[1]: B})
    np.testing.assert_allclose(out, (A + B) * B)


def test_detach_outputs(diamond, feed):
    g, ns = diamond
    v = ge.sgv(ns.c.op, ns.d.op)
    r, phs = ge.detach_outputs(v)
    assert names(r.outputs) == ["c:0", "d:0"]  # both have outside consumers
    assert names(phs) == ["geph__c_0:0", "geph__d_0:0"]
    assert [p.shape.as_list() for p in phs] == [[2], [2]]
    assert ns.f.op.inputs[0] is phs[0] and ns.e.op.inputs[0] is phs[1]
    assert ns.d.op.inputs[0] is ns.c  # inside consumer untouched
    e, f = run(g, [ns.e, ns.f], {phs[0]: A, phs[1]: B})
    np.testing.assert_allclose(e, np.tanh(B), rtol=1e-6)
    np.testing.assert_allclose(f, -A)


def test_detach_outputs_skips_dangling_and_control_outputs(diamond):
    g, ns = diamond
    with g.as_default():
        later = tf.identity(ns.a, name="later")
    ge.add_control_inputs(later.op, [ns.e.op])
    co = ge.ControlOutputs(g)
    r, phs = ge.detach_outputs(ge.sgv(ns.d.op, ns.e.op), co)
    assert names(r.outputs) == []  # e is dangling and d is consumed inside only
    assert phs == []
    assert later.op.control_inputs == []
    with pytest.raises(TypeError):
        ge.detach_outputs(ge.sgv(ns.d.op), control_outputs="no")


def test_detach_control_inputs_and_outputs(diamond):
    g, ns = diamond
    ge.add_control_inputs(ns.d.op, [ns.a.op, ns.c.op])
    ge.add_control_inputs(ns.f.op, [ns.d.op])
    ge.detach_control_inputs(ge.sgv(ns.c.op, ns.d.op))
    assert ns.d.op.control_inputs == [ns.c.op]  # inside edge kept
    with pytest.raises(ge.GraphEditTypeError):
        ge.detach_control_outputs(ge.sgv(ns.d.op), None)
    ge.detach_control_outputs(ge.sgv(ns.d.op), ge.ControlOutputs(g))
    assert ns.f.op.control_inputs == []


def test_detach_returns_the_view(diamond):
    g, ns = diamond
    v = ge.sgv(ns.c.op)
    r, ins, outs = ge.detach(v, control_ios=ge.ControlOutputs(g))
    assert r is v  # contrib returned the raw argument (bug 5)
    assert names(ins) == ["geph__a_0:0", "geph__b_0:0"]
    assert names(outs) == ["geph__c_0:0"]
    assert names(ns.c.op.inputs) == names(ins)
    assert ns.d.op.inputs[0] is outs[0] and ns.f.op.inputs[0] is outs[0]
    r2, ins2, outs2 = ge.detach([ns.e.op])
    assert isinstance(r2, ge.SubGraphView) and names(ins2) == ["geph__d_0:0"]


# --------------------------------------------------------------------------------------------
# connect / bypass
# --------------------------------------------------------------------------------------------


def test_connect(diamond, feed):
    g, ns = diamond
    with g.as_default():
        x = tf.constant([5.0, 6.0], name="x")
        h = tf.tanh(x, name="h")
    v1 = ge.sgv(ns.f.op)
    r0, r1 = ge.connect(ge.sgv(h.op), v1)
    assert r1 is v1 and names(v1.inputs) == ["h:0"]
    assert ns.f.op.inputs[0] is h
    np.testing.assert_allclose(run(g, ns.f, feed), -np.tanh([5.0, 6.0]), rtol=1e-6)


def test_connect_disconnect_first_and_errors(diamond, feed):
    g, ns = diamond
    with g.as_default():
        x = tf.constant([5.0, 6.0], name="x")
        h = tf.tanh(x, name="h")
        old = tf.identity(h, name="old_reader")
    before = gd_bytes(g)
    with pytest.raises(ge.GraphEditValueError, match="different sizes"):
        ge.connect(ge.sgv(h.op), ge.sgv(ns.c.op), disconnect_first=True)
    assert gd_bytes(g) == before  # no placeholder was created
    with pytest.raises(ge.GraphEditValueError, match="cycle"):
        ge.connect(ge.sgv(ns.e.op), ge.sgv(ns.d.op).remap_inputs([0]))  # d would read e
    assert gd_bytes(g) == before
    ge.connect(ge.sgv(h.op), ge.sgv(ns.f.op), disconnect_first=True)
    assert old.op.inputs[0].name == "geph__h_0:0"
    assert ns.f.op.inputs[0] is h


def test_bypass(diamond, feed):
    g, ns = diamond
    v = ge.sgv(ns.e.op)
    r, phs = ge.bypass(v)
    assert r is v
    assert names(phs) == ["geph__d_0:0"]
    assert ns.e.op.inputs[0] is phs[0]  # the bypassed op stays, fed by a placeholder
    with g.as_default():
        out = tf.identity(ns.d, name="out")
    np.testing.assert_allclose(run(g, out, feed), (A + B) * B)


def test_bypass_reroutes_consumers_onto_inputs(diamond, feed):
    g, ns = diamond
    with g.as_default():
        drop = tf.identity(ns.c, name="dropout")
        top = tf.negative(drop, name="top")
    ge.bypass(ge.sgv(drop.op))
    assert top.op.inputs[0] is ns.c
    np.testing.assert_allclose(run(g, top, feed), -(A + B))


def test_bypass_errors_create_nothing(diamond):
    g, ns = diamond
    before = gd_bytes(g)
    n_ops = len(g.get_operations())
    with pytest.raises(ge.GraphEditValueError, match="different sizes"):
        ge.bypass(ge.sgv(ns.c.op))  # 2 inputs, 1 output
    assert gd_bytes(g) == before and len(g.get_operations()) == n_ops
    g.finalize()
    with pytest.raises(ge.GraphFinalizedError):
        ge.bypass(ge.sgv(ns.e.op))
    assert gd_bytes(g) == before


def test_exports():
    for name in ge.edit.__all__:
        assert getattr(ge, name) is getattr(ge.edit, name)
        assert name in ge.__all__
    contrib = {"detach_control_inputs", "detach_control_outputs", "detach_inputs",
               "detach_outputs", "detach", "connect", "bypass"}
    assert set(ge.edit.__all__) == contrib | {"note_external_edit"}


# --------------------------------------------------------------------------------------------
# Scenario: inject noise after a hidden layer of an MLP
# --------------------------------------------------------------------------------------------


def test_mlp_noise_injection_changes_outputs_by_exactly_the_noise():
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(4, 8)).astype(np.float32)
    b1 = rng.normal(size=(8,)).astype(np.float32)
    w2 = rng.normal(size=(8, 3)).astype(np.float32)
    b2 = rng.normal(size=(3,)).astype(np.float32)
    xs = rng.normal(size=(5, 4)).astype(np.float32)
    noise = rng.normal(size=(5, 8)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        h = tf.nn.relu(tf.compat.v1.nn.xw_plus_b(x, w1, b1), name="mlp/hidden")
        y = tf.compat.v1.nn.xw_plus_b(h, w2, b2, name="mlp/logits")
    before = run(g, y, {x: xs})
    with g.as_default():
        eps = tf.compat.v1.placeholder(tf.float32, [None, 8], name="noise")
        noisy = tf.add(h, eps, name="mlp/noisy_hidden")
    n = ge.reroute_ts(noisy, h, cannot_modify=noisy.op)
    assert n == 1
    after, h_val = run(g, [y, h], {x: xs, eps: noise})
    # The output moves by exactly noise @ w2 (the layer after the hidden one is linear).
    np.testing.assert_allclose(after - before, noise @ w2, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(before, np.maximum(xs @ w1 + b1, 0) @ w2 + b2, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(h_val, np.maximum(xs @ w1 + b1, 0), rtol=1e-5, atol=1e-5)
    # And the edit is reversible.
    ge.reroute_ts(h, noisy)
    np.testing.assert_allclose(run(g, y, {x: xs, eps: noise}), before, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# Property test: random edit sequences on random DAGs vs a numpy model of the wiring
# --------------------------------------------------------------------------------------------

UNARY = {"Tanh": np.tanh, "Neg": np.negative, "Identity": lambda v: v}
BINARY = {"AddV2": np.add, "Mul": np.multiply, "Sub": np.subtract}
TF_OPS = {
    "Tanh": tf.tanh, "Neg": tf.negative, "Identity": tf.identity,
    "AddV2": tf.add, "Mul": tf.multiply, "Sub": tf.subtract,
}


# The random DAG's kinds (by TF op type) and the edits drawn for it.
KINDS = {kind: (1 if kind in UNARY else 2, TF_OPS[kind]) for kind in TF_OPS}
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["reroute", "swap", "bypass", "detach", "control"]),
        st.integers(0, 100),
        st.integers(0, 100),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


class Model:
    """The expected wiring: op name -> [type, [input names]], plus control edges."""

    def __init__(self):
        self.ops = {}
        self.ctrl = {}

    def consumers(self, t):
        return [
            (name, i) for name, (_, ins) in self.ops.items() for i, x in enumerate(ins) if x == t
        ]

    def has_cycle(self):
        preds = {n: {x.split(":")[0] for x in ins} | self.ctrl.get(n, set())
                 for n, (_, ins) in self.ops.items()}
        state = {}

        def visit(n):
            if state.get(n) == 1:
                return True
            if state.get(n) == 2:
                return False
            state[n] = 1
            if any(visit(p) for p in preds[n]):
                return True
            state[n] = 2
            return False

        return any(visit(n) for n in self.ops)

    def evaluate(self, feeds):
        memo = {}

        def val(name):
            if name not in memo:
                kind, ins = self.ops[name]
                if kind == "Placeholder":
                    memo[name] = feeds[name]
                elif kind in UNARY:
                    memo[name] = UNARY[kind](val(ins[0].split(":")[0]))
                else:
                    memo[name] = BINARY[kind](val(ins[0].split(":")[0]), val(ins[1].split(":")[0]))
            return memo[name]

        return {n: val(n) for n in self.ops}


def _feed_for(name):
    seed = sum(map(ord, name)) % 97
    return (np.arange(3, dtype=np.float32) + 1.0) * (0.1 + seed / 50.0)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dag_specs(KINDS, n_inputs=(1, 3), n_ops=(2, 8)), ACTIONS)
def test_random_edits_are_atomic_and_match_numpy(spec, actions):
    n_in = spec.n_inputs
    g, ts = build_dag(spec, KINDS, name="op{k}")
    model = Model()
    for i in range(n_in):
        model.ops[f"in{i}"] = ["Placeholder", []]
    for k, (kind, ins, _) in enumerate(spec.nodes):
        model.ops[f"op{k}"] = [kind, [ts[i].name for i in ins]]
    ops = [t.op for t in ts[n_in:]]
    for action, i, j, flag in actions:
        t0, t1 = ts[i % len(ts)], ts[j % len(ts)]
        op = ops[i % len(ops)]
        before = gd_bytes(g)
        expected = Model()
        expected.ops = {n: [k, list(v)] for n, (k, v) in model.ops.items()}
        expected.ctrl = {n: set(v) for n, v in model.ctrl.items()}
        try:
            if action == "reroute":
                # consumers of t1 read t0 (t0's own op kept out when flag)
                skip = {t0.op.name} if flag else set()
                for name, slot in model.consumers(t1.name):
                    if t0 is not t1 and name not in skip:
                        expected.ops[name][1][slot] = t0.name
                ge.reroute_ts(t0, t1, cannot_modify=[t0.op] if flag else None)
            elif action == "swap":
                if t0 is not t1:
                    for name, slot in model.consumers(t1.name):
                        expected.ops[name][1][slot] = t0.name
                    for name, slot in model.consumers(t0.name):
                        expected.ops[name][1][slot] = t1.name
                ge.swap_ts(t0, t1)
            elif action == "bypass":
                ins = list(dict.fromkeys(model.ops[op.name][1]))  # the view's unique inputs
                out_consumers = model.consumers(op.outputs[0].name)
                if len(ins) != 1:
                    with pytest.raises(ge.GraphEditValueError):
                        ge.bypass(ge.sgv(op))
                    assert gd_bytes(g) == before
                    continue
                _, phs = ge.bypass(ge.sgv(op))
                expected.ops[phs[0].op.name] = ["Placeholder", []]
                expected.ops[op.name][1] = [phs[0].name] * len(expected.ops[op.name][1])
                for name, slot in out_consumers:
                    expected.ops[name][1][slot] = ins[0]
            elif action == "detach":
                _, phs = ge.detach_inputs(ge.sgv(op))
                uniq = list(dict.fromkeys(model.ops[op.name][1]))
                assert [p.shape.as_list() for p in phs] == [[3]] * len(uniq)
                for ph, src in zip(phs, uniq):
                    expected.ops[ph.op.name] = ["Placeholder", []]
                    expected.ops[op.name][1] = [
                        ph.name if x == src else x for x in expected.ops[op.name][1]
                    ]
            else:
                cop = t1.op
                if cop in set(op.control_inputs):
                    continue
                expected.ctrl.setdefault(op.name, set()).add(cop.name)
                ge.add_control_inputs(op, [cop])
        except ge.GraphEditValueError as e:
            assert gd_bytes(g) == before, "a failed edit changed the graph"
            assert "cycle" in str(e), str(e)
            assert expected.has_cycle(), "refused an edit that makes no cycle"
            event(f"{action}: refused (cycle)")
            continue
        assert not expected.has_cycle(), "accepted an edit that makes a cycle"
        event(f"{action}: applied")
        model = expected
    # The graph matches the model's wiring and computes what numpy computes.
    for name, (_, ins) in model.ops.items():
        assert [t.name for t in g.get_operation_by_name(name).inputs] == ins, name
    g2 = tf.Graph()
    with g2.as_default():
        tf.graph_util.import_graph_def(g.as_graph_def(), name="")
    placeholders = [n for n, (k, _) in model.ops.items() if k == "Placeholder"]
    feeds = {n: _feed_for(n) for n in placeholders}
    want = model.evaluate(feeds)
    fetch = [n for n in model.ops if model.ops[n][0] != "Placeholder"]
    got = run(g, [f"{n}:0" for n in fetch], {f"{n}:0": v for n, v in feeds.items()})
    for n, v in zip(fetch, got):
        np.testing.assert_allclose(v, want[n], rtol=1e-5, atol=1e-6, err_msg=n)
    assert _edits.edit_count(g) >= 0


def test_note_external_edit_refreshes_what_graph_editor_remembers():
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        b = tf.tanh(a, name="b")
        c = tf.multiply(b, 2.0, name="c")
        two = tf.constant([2.0, 2.0], name="two")
    ge.graph_replace(c, {a: two})  # remembers: creation order is topological
    with g.as_default():
        e = tf.add(a, 1.0, name="e")
    c.op._update_input(0, e)  # raw TF edit: c now reads e, which is newer than c
    ge.note_external_edit(g)
    c2 = ge.graph_replace(c, {a: two})
    np.testing.assert_allclose(run(g, c2, {a: [0.0, 0.0]}), [6.0, 6.0])  # (2 + 1) * 2
    with pytest.raises(ge.GraphEditTypeError, match="expects a tf.Graph"):
        ge.note_external_edit(c)
