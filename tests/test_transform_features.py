"""graph_editor.transform beyond contrib: variables, collections, colocation, control flow,
fast path == per-op path, and property tests on random DAGs."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
import tensorflow as tf
from conftest import build_dag, dag_specs, run, var_graph
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import graph_editor as ge


def copy(sgv, dst_graph=None, dst_scope="", fast=True, **kw):
    t = ge.Transformer()
    t.fast_path = fast
    t.share_variables = kw.pop("share_variables", False)
    sgv = ge.sgv(sgv)
    return t(sgv, dst_graph if dst_graph is not None else sgv.graph, dst_scope, **kw)


# --------------------------------------------------------------------------------------------
# Variables
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_resource", [True, False])
@pytest.mark.parametrize("fast", [True, False])
def test_variables_rewrapped_in_other_graph(use_resource, fast):
    g, x, w, b, y, _ = var_graph(use_resource)
    g2 = tf.Graph()
    _, info = copy(g, g2, "cp", fast=fast)
    w_ = info.transformed(w)
    assert isinstance(w_, tf.Variable) and w_.graph is g2 and w_.name == "cp/net/w:0"
    assert info.original(w_) is w
    assert type(w_) is type(w)
    gv = g2.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    tv = g2.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
    assert [v.name for v in gv] == ["cp/net/w:0", "cp/net/b:0"]
    assert [v.name for v in tv] == ["cp/net/w:0"]
    with g2.as_default():
        init = tf.compat.v1.global_variables_initializer()
        uninit = tf.compat.v1.report_uninitialized_variables()
        uninit.mark_used()
        saver = tf.compat.v1.train.Saver()
    assert sorted(v.op.name for v in saver._var_list) == ["cp/net/b", "cp/net/w"]
    with tf.compat.v1.Session(graph=g2) as s:
        s.run(init)
        assert list(s.run(uninit)) == []
        out = s.run(info.transformed(y), {info.transformed(x): [1.0, 1.0]})
    np.testing.assert_allclose(out, [3.0, 4.0])


@pytest.mark.parametrize("use_resource", [True, False])
@pytest.mark.parametrize("fast", [True, False])
def test_same_graph_variable_copy_is_independent(use_resource, fast):
    g, x, w, b, y, inc = var_graph(use_resource)
    _, info = copy(g, g, "cp", fast=fast)
    w_, inc_ = info.transformed([w, inc])
    assert w_.name == "cp/net/w:0" and w_ is not w
    if use_resource:
        assert w_.op.get_attr("shared_name") == b"cp/net/w"
    assert len(g.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)) == 4
    with tf.compat.v1.Session(graph=g) as s:
        s.run(tf.compat.v1.variables_initializer(
            g.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)))
        s.run(inc)
        s.run(inc)
        np.testing.assert_allclose(s.run(w), [4.0, 5.0])
        np.testing.assert_allclose(s.run(w_), [2.0, 3.0])  # unchanged
        s.run(inc_)
        np.testing.assert_allclose(s.run(w_), [3.0, 4.0])
        np.testing.assert_allclose(s.run(w), [4.0, 5.0])


@pytest.mark.parametrize("fast", [True, False])
def test_share_variables_keeps_resource_state_shared(fast):
    g, x, w, b, y, inc = var_graph(True)
    _, info = copy(g, g, "cp", fast=fast, share_variables=True)
    w_ = info.transformed(w)
    assert w_.op.get_attr("shared_name") == b"net/w"
    with tf.compat.v1.Session(graph=g) as s:
        s.run(w.initializer)
        s.run(inc)
        np.testing.assert_allclose(s.run(w_), [3.0, 4.0])  # reads the original's state


def test_ge_copy_share_variables_keyword():
    g, x, w, b, y, inc = var_graph(True)
    _, info = ge.copy(g, share_variables=True)
    assert info.transformed(w).op.get_attr("shared_name") == b"net/w"
    _, info = ge.copy(g)
    # its own name (net/w_1 is the first copy)
    assert info.transformed(w).op.get_attr("shared_name") == b"net/w_2"


def test_partial_variable_copy_is_not_rewrapped():
    g, x, w, b, y, _ = var_graph(True)
    _, info = ge.copy(ge.sgv(y.op), tf.Graph())
    assert info.transformed(w) is None


def test_many_variables_copy_by_identity():
    g = tf.Graph()
    with g.as_default():
        h = tf.constant(1.0)
        vs = []
        for i in range(60):
            v = tf.compat.v1.Variable(float(i), name=f"v{i}")
            vs.append(v)
            h = h + v
    g2 = tf.Graph()
    _, info = ge.copy(g, g2)  # eager mode on: Variable.__eq__ would raise here
    vs_ = info.transformed(vs)
    assert [v.name for v in vs_] == [v.name for v in vs]
    with tf.compat.v1.Session(graph=g2) as s:
        s.run(tf.compat.v1.variables_initializer(vs_))
        assert s.run(info.transformed(h)) == 1.0 + sum(range(60))


def _assorted_variables():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        plain = tf.compat.v1.Variable([1.0, 2.0], name="plain")
        ints = tf.compat.v1.Variable(3, name="ints", trainable=False)
        on_read = tf.Variable(
            0.5, name="on_read", trainable=False,
            synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.SUM)
        cached = tf.compat.v1.Variable([4.0, 5.0], name="cached", caching_device="/cpu:0")
        loose = tf.compat.v1.Variable(tf.zeros([2]), name="loose", validate_shape=False)
        parts = tf.compat.v1.get_variable(
            "parts", [4, 2], initializer=tf.compat.v1.ones_initializer(),
            partitioner=tf.compat.v1.fixed_size_partitioner(2))
        ref = tf.compat.v1.Variable(1.5, name="ref", use_resource=False)
        y = (x * plain + tf.cast(ints, tf.float32) + on_read + cached + loose
             + tf.reduce_sum(parts) + ref)
    lean = [plain, ints, on_read, cached, loose]
    other = list(parts) + [ref]
    return g, x, y, lean, other


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("via_nodedef_fn", [False, True])
def test_variable_copies_match_tf_from_proto(fast, via_nodedef_fn, monkeypatch):
    g, x, y, lean, other = _assorted_variables()
    from graph_editor import _copy_support, _tf

    through_protos = []
    real = _copy_support._copy_through_protos

    def spy(info, variables):
        through_protos.extend(v.name for v in variables)
        return real(info, variables)

    monkeypatch.setattr(_copy_support, "_copy_through_protos", spy)
    g2 = tf.Graph()
    t = ge.Transformer()
    t.fast_path = fast
    if via_nodedef_fn:  # shape / dtype are then read back from the copied ops
        t.transform_op_handler = functools.partial(
            ge.copy_op_handler, nodedef_fn=lambda node_def: node_def)
    _, info = t(ge.sgv(g), g2, "")
    # plain resource variables are built directly; the rest go through VariableDefs
    assert sorted(through_protos) == sorted(v.name for v in other)
    for v in lean + other:
        v_ = info.transformed(v)
        # same names (no dst_scope): TF's own from_proto on the source's VariableDef is
        # the reference
        ref = _tf.variables_from_protos(g2, _tf.variables_to_protos(g, [v]))[0]
        assert type(v_) is type(ref)
        assert sorted(vars(v_)) == sorted(vars(ref)), v.name
        for key, want in vars(ref).items():
            got = vars(v_)[key]
            if isinstance(want, (tf.Tensor, tf.Operation)) or want is None:
                assert got is want, (v.name, key)
            elif key == "_save_slice_info":
                assert got.to_proto() == want.to_proto()
            else:
                assert got == want, (v.name, key, got, want)
    with tf.compat.v1.Session(graph=g2) as s:
        s.run(tf.compat.v1.global_variables_initializer())
        s.run(info.transformed(lean[0]).assign([10.0, 20.0]))
        out = s.run(info.transformed(y), {info.transformed(x): [1.0, 1.0]})
    with tf.compat.v1.Session(graph=g) as s:
        s.run(tf.compat.v1.global_variables_initializer())
        src = s.run(y, {x: [1.0, 1.0]})
    np.testing.assert_allclose(src, [1 + 3 + 0.5 + 4 + 8 + 1.5, 2 + 3 + 0.5 + 5 + 8 + 1.5])
    np.testing.assert_allclose(out, src + [9.0, 18.0])


# --------------------------------------------------------------------------------------------
# Collections
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_collections_renamed_and_kept(diamond, fast):
    g, ns = diamond
    g.add_to_collection("my_coll", ns.c.op)
    g.add_to_collection("my_coll", ns.d)
    g.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, ns.e.op)
    g2 = tf.Graph()
    _, info = copy(g, g2, "dst", fast=fast)
    assert g2.get_collection("dst/my_coll") == [info.transformed(ns.c.op), info.transformed(ns.d)]
    assert g2.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS) == [info.transformed(ns.e.op)]
    assert g2.get_collection("my_coll") == []


def test_collection_outside_src_scope_does_not_fail():
    g = tf.Graph()
    with g.as_default(), tf.name_scope("net"):
        x = tf.constant(1.0, name="x")
        y = tf.identity(x, name="y")
    g.add_to_collection("my_coll", y.op)
    g.add_to_collection("net/inner", y)
    g2 = tf.Graph()
    _, info = ge.copy(ge.sgv_scope("net", g), g2, "d", src_scope="net")  # contrib failed here
    assert g2.get_collection("my_coll") == [info.transformed(y.op)]
    assert g2.get_collection("d/inner") == [info.transformed(y)]


def test_custom_collections_handler_is_called_per_element(diamond):
    g, ns = diamond
    seen = []
    t = ge.Transformer()
    t.assign_collections_handler = lambda info, e, e_: seen.append((e.name, e_.name))
    t(ge.sgv(ns.c.op), g, "k")
    assert seen == [("c", "k/c"), ("c:0", "k/c:0")]


def test_default_collections_handler_called_directly(diamond):
    g, ns = diamond
    g.add_to_collection("coll", ns.c)
    from graph_editor.transform import _TmpInfo

    info = _TmpInfo(ge.sgv(ns.c.op), g, "s/", "")
    ge.assign_renamed_collections_handler(info, ns.c, ns.d)
    assert g.get_collection("s/coll") == [ns.d]


# --------------------------------------------------------------------------------------------
# Colocation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_colocation_rewritten(fast):
    g = tf.Graph()
    with g.as_default():
        anchor = tf.constant(1.0, name="anchor")
        with g.colocate_with(anchor.op):
            inner = tf.constant(2.0, name="inner")
            later = tf.identity(inner, name="later")
        outside = tf.constant(0.0, name="outside")
        with g.colocate_with(outside.op):
            near = tf.identity(inner, name="near")
    # forward reference: colocated with an op created (and copied) after it
    first = g.get_operation_by_name("inner")
    view = [anchor.op, first, later.op, near.op]
    _, info = copy(view, g, "cp", fast=fast)
    assert info.transformed(first).colocation_groups() == [b"loc:@cp/anchor"]
    assert info.transformed(later.op).colocation_groups() == [b"loc:@cp/anchor"]
    assert info.transformed(near.op).colocation_groups() == [b"loc:@outside"]  # kept
    g2 = tf.Graph()
    _, info = copy(view, g2, "cp", fast=fast)
    assert info.transformed(first).colocation_groups() == [b"loc:@cp/anchor"]
    assert info.transformed(near.op).colocation_groups() == [b"loc:@cp/near"]  # dropped
    assert run(g2, info.transformed(later)) == 2.0


# --------------------------------------------------------------------------------------------
# Control flow
# --------------------------------------------------------------------------------------------


def v2_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        loop = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * x), [0, 1.0])
        cond = tf.cond(x > 0, lambda: x * 2.0, lambda: x * 3.0)
        out = tf.add(loop[1], cond, name="out")
    return g, x, out


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("same", [True, False])
def test_control_flow_v2_copy_runs(fast, same):
    g, x, out = v2_graph()
    g2 = g if same else tf.Graph()
    _, info = copy(g, g2, "cp", fast=fast)
    assert run(g2, info.transformed(out), {info.transformed(x): 2.0}) == 32.0 + 4.0
    assert run(g2, info.transformed(out), {info.transformed(x): -1.0}) == -1.0 - 3.0


def test_graph_replace_through_v2_loop():
    g, x, out = v2_graph()
    with g.as_default():
        three = tf.constant(3.0, name="three")
    out2 = ge.graph_replace(out, {x: three})
    assert run(g, out2) == 243.0 + 6.0


@pytest.fixture
def v1_control_flow():
    tf.compat.v1.disable_control_flow_v2()
    try:
        yield
    finally:
        tf.compat.v1.enable_control_flow_v2()


def v1_loop_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        k = tf.constant(2.0, name="k")  # captured from outside the loop
        _, s = tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * x + k), [0, 1.0])
        out = tf.identity(s, name="out")
    return g, x, k, out


def ref_loop(x, k=2.0):
    s = 1.0
    for _ in range(4):
        s = s * x + k
    return s


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("same", [True, False])
def test_control_flow_v1_copy_runs(v1_control_flow, fast, same):
    g, x, k, out = v1_loop_graph()
    assert "Merge" in {op.type for op in g.get_operations()}
    g2 = g if same else tf.Graph()
    src_ops = g.get_operations()
    _, info = copy(g, g2, "cp", fast=fast)
    for op in src_ops:
        if op.type == "Merge":  # inputs in the source's slot order (contrib reversed them)
            op_ = info.transformed(op)
            assert [t.op.type for t in op_.inputs] == [t.op.type for t in op.inputs]
            assert [info.original(t.op) for t in op_.inputs] == [t.op for t in op.inputs]
    assert run(g2, info.transformed(out), {info.transformed(x): 3.0}) == ref_loop(3.0)
    if same:  # the original loop still runs, alongside the copy
        got = run(g, [out, info.transformed(out)], {x: 2.0, info.transformed(x): 3.0})
        assert got == [ref_loop(2.0), ref_loop(3.0)]


def test_graph_replace_through_v1_loop_capturing_outside_tensor(v1_control_flow):
    g, x, k, out = v1_loop_graph()
    with g.as_default():
        k2 = tf.constant(10.0, name="k2")
    out2 = ge.graph_replace(out, {k: k2})  # k enters through a capture Enter
    got = run(g, [out, out2], {x: 3.0})
    assert got == [ref_loop(3.0), ref_loop(3.0, 10.0)]


# --------------------------------------------------------------------------------------------
# Fast path == per-op path
# --------------------------------------------------------------------------------------------


def graph_signature(graph, skip=()):
    res = {}
    for node in graph.as_graph_def().node:
        if node.name in skip:
            continue
        attrs = {}
        for k, v in node.attr.items():
            if v.HasField("func"):  # function names carry a process-wide counter
                v = type(v)(func=type(v.func)(name=re.sub(r"_\d+$", "", v.func.name)))
            attrs[k] = v.SerializeToString(deterministic=True)
        res[node.name] = (node.op, list(node.input), node.device, attrs)
    return res


@pytest.mark.parametrize("builder", ["diamond_vars", "v2", "colocated"])
@pytest.mark.parametrize("same", [True, False])
def test_fast_path_equals_per_op_path(builder, same):
    def build():
        if builder == "v2":
            return v2_graph()[0]
        g, *_ = var_graph(True)
        if builder == "colocated":
            with g.as_default():
                w = g.get_operation_by_name("net/w")
                with g.colocate_with(w), tf.device("/cpu:0"):
                    tf.identity(g.get_tensor_by_name("net/y:0"), name="coloc")
        return g

    results = []
    for fast in (True, False):
        g = build()
        src_names = {op.name for op in g.get_operations()}
        g2 = g if same else tf.Graph()
        sgv = ge.sgv(g)
        sgv = ge.sgv([op for op in sgv.ops if op.name != "net/x"])  # an input placeholder
        copy(sgv, g2, "cp", fast=fast)
        results.append(graph_signature(g2, skip=src_names if same else ()))
        collections = {k: [getattr(e, "name", None) for e in g2.get_collection(k)]
                       for k in g2.get_all_collection_keys()}
        results.append(collections)
    assert results[0] == results[2]
    assert results[1] == results[3]
    assert len(results[0]) > 5


# --------------------------------------------------------------------------------------------
# Property tests: random DAGs with variables and control edges
# --------------------------------------------------------------------------------------------


def _index(name):
    return int(name.rsplit("_", 1)[1])


def _variable(use_resource):
    def make(a, name):
        i = _index(name)
        with tf.control_dependencies(None), tf.compat.v1.variable_scope(
            name, use_resource=use_resource
        ):  # initializers must not wait on fed placeholders
            v = tf.compat.v1.get_variable("w", initializer=tf.constant([0.1 * i, -0.2, 0.3]))
        return tf.multiply(a, v, name=f"{name}_mul")

    return make


# Variables are named var_ref_<k>/w and var_res_<k>/w; the test finds them by that prefix.
_KINDS = {
    "add": (2, tf.add),
    "mul": (2, tf.multiply),
    "tanh": (1, tf.tanh),
    "const": (0, lambda name: tf.constant(np.full(3, 0.5 + _index(name), np.float32), name=name)),
    "var_ref": (1, _variable(False)),
    "var_res": (1, _variable(True)),
}


def random_dag(data):
    """A random DAG with variables and control edges: (graph, tensors, variables)."""
    spec = data.draw(dag_specs(_KINDS, n_inputs=2, n_ops=(3, 14), control=True), label="dag")
    g, ts = build_dag(spec, _KINDS, name="{kind}_{k}")
    variables = g.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    return g, ts, variables


def evaluate(graph, fetches, feeds):
    with tf.compat.v1.Session(graph=graph) as s:
        s.run(tf.compat.v1.variables_initializer(
            graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)))
        return s.run(fetches, feeds)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_random_view_copy_computes_same_numbers(data):
    g, ts, variables = random_dag(data)
    ops = g.get_operations()
    chosen = [op for op in ops if data.draw(st.booleans(), label=op.name)]
    if not chosen:
        chosen = [ts[-1].op]
    # a variable is copied whole or not at all (its op, initializer and read go together)
    groups = {op.name.split("/")[0] for op in chosen if "/" in op.name}
    # a resource handle cannot be fed: take the variable along with its readers
    groups |= {t.op.name.split("/")[0] for op in chosen for t in op.inputs
               if t.dtype == tf.resource}
    chosen += [op for op in ops if "/" in op.name and op.name.split("/")[0] in groups
               and op.name.startswith("v") and op not in chosen]
    same = data.draw(st.booleans(), label="same graph")
    fast = data.draw(st.booleans(), label="fast")
    g2 = g if same else tf.Graph()
    sgv = ge.sgv(chosen)
    sgv_, info = copy(sgv, g2, "cp", fast=fast)
    rng = np.random.default_rng(0)
    src_feeds = {g.get_tensor_by_name(f"in{i}:0"): rng.normal(size=3).astype(np.float32)
                 for i in range(2)}
    outs = [t for op in sgv.ops for t in op.outputs if t.dtype == tf.float32]
    # values of the source view's inputs, fed to their replacements in the copy
    inputs = [t for t in sgv.inputs]
    src_vals = evaluate(g, outs + inputs, src_feeds)
    out_vals, in_vals = src_vals[:len(outs)], src_vals[len(outs):]
    feeds2 = {}
    assert len(sgv_.inputs) == len(inputs)
    for t_, val in zip(sgv_.inputs, in_vals):
        feeds2[t_] = val
    if same:
        feeds2.update(src_feeds)
    for t, val in src_feeds.items():  # source placeholders copied with the view
        t_ = info.transformed(t)
        if t_ is not None:
            feeds2[t_] = val
    for t_ in sgv_.inputs:
        assert t_.graph is g2
    outs_ = info.transformed(outs)
    got = evaluate(g2, outs_, feeds2)
    for t, a, b in zip(outs, out_vals, got):
        np.testing.assert_allclose(a, b, rtol=1e-5, err_msg=t.name)
    # variables of the view were re-wrapped, and the copies are distinct
    for v in variables:
        v_ = info.transformed(v)
        with g.as_default():
            snapshot = g.get_tensor_by_name(v.to_proto().snapshot_name)
        parts = [v.op, v.initializer, snapshot.op]
        if all(op in sgv.ops for op in parts):
            assert isinstance(v_, tf.Variable) and v_ is not v and v_.graph is g2


@pytest.mark.parametrize("fast", [True, False])
def test_partitioned_call_with_nested_functions_copied_across_graphs(fast):
    @tf.function
    def inner(v):
        return v * 3.0

    @tf.function
    def outer(v):
        return inner(v) + 1.0

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        y = tf.identity(outer(x), name="y")
    assert any(op.type in ("PartitionedCall", "StatefulPartitionedCall")
               for op in g.get_operations())
    g2 = tf.Graph()
    _, info = copy(g, g2, "cp", fast=fast)
    assert run(g2, info.transformed(y), {info.transformed(x): 2.0}) == 7.0


def test_placeholders_ignore_callers_control_dependencies(diamond):
    g, ns = diamond
    with g.as_default(), tf.control_dependencies([ns.f.op]):
        sgv_, _ = ge.copy(ge.sgv(ns.c.op))
    assert all(t.op.control_inputs == [] for t in sgv_.inputs)


def test_fast_equals_per_op_on_rerouted_graph_same_graph():
    def build():
        g = tf.Graph()
        with g.as_default():
            x = tf.constant([1.0, 2.0], name="x")
            late = tf.identity(x, name="x_1")  # its copy competes for the name "x_1"
            y = tf.square(x, name="y")
        late.op._update_input(0, y)
        return g

    sigs = []
    for fast in (True, False):
        g = build()
        src = {op.name for op in g.get_operations()}
        _, info = copy(g, g, "", fast=fast)
        sigs.append(graph_signature(g, skip=src))
        out = info.transformed(g.get_tensor_by_name("x_1:0"))
        np.testing.assert_allclose(run(g, out), [1.0, 4.0])
    assert sigs[0] == sigs[1] and len(sigs[0]) == 3


@pytest.mark.parametrize("fast", [True, False])
def test_copy_from_a_function_graph(fast):
    @tf.function
    def f(x):
        return tf.tanh(x) * 2.0 + tf.reduce_sum(x)

    cf = f.get_concrete_function(tf.TensorSpec([3], tf.float32))
    fg = cf.graph  # FuncGraph: its tensors are unhashable
    g2 = tf.Graph()
    _, info = copy(fg, g2, "c", fast=fast)
    out, x_ = info.transformed([cf.outputs[0], fg.inputs[0]])
    assert info._transformed_ts[cf.outputs[0]] is out
    assert info.original(out) is cf.outputs[0]
    xs = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_allclose(run(g2, out, {x_: xs}), f(tf.constant(xs)).numpy(), rtol=1e-6)
