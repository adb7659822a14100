"""graph_editor.transform: entry points, naming, TransformerInfo, handlers, errors."""

from __future__ import annotations

import collections
import functools
import warnings

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge
from graph_editor import transform

A = np.array([1.0, 2.0], np.float32)
B = np.array([0.3, -0.4], np.float32)


def numpy_diamond(a=A, b=B):
    c = a + b
    d = c * b
    return dict(c=c, d=d, e=np.tanh(d), f=-c)


def names(graph):
    return [op.name for op in graph.get_operations()]


# --------------------------------------------------------------------------------------------
# copy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_copy_whole_graph_into_new_graph(diamond, fast):
    g, ns = diamond
    g2 = tf.Graph()
    t = ge.Transformer()
    t.fast_path = fast
    sgv_, info = t(ge.sgv(g), g2, "copy")
    assert names(g2) == ["copy/a", "copy/b", "copy/c", "copy/d", "copy/e", "copy/f"]
    assert all(isinstance(op, tf.Operation) and op.graph is g2 for op in sgv_.ops)
    assert [op.name for op in sgv_.ops] == names(g2)
    assert [x.name for x in sgv_.outputs] == ["copy/e:0", "copy/f:0"]
    assert list(sgv_.inputs) == []
    e_, f_ = info.transformed([ns.e, ns.f])
    a_, b_ = info.transformed((ns.a, ns.b))
    out = run(g2, [e_, f_], {a_: A, b_: B})
    ref = numpy_diamond()
    np.testing.assert_allclose(out[0], ref["e"], rtol=1e-6)
    np.testing.assert_allclose(out[1], ref["f"], rtol=1e-6)
    # the source graph is untouched
    assert names(g) == ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize("fast", [True, False])
def test_copy_view_same_graph_inputs_become_placeholders(diamond, feed, fast):
    g, ns = diamond
    t = ge.Transformer()
    t.fast_path = fast
    sgv = ge.sgv([ns.c.op, ns.d.op])
    sgv_, info = t(sgv, g, "")
    new = names(g)[6:]
    assert new == ["geph__a_0", "geph__b_0", "c_1", "d_1"]
    # the copied view has inputs (contrib's had none), in the source view's order
    assert [x.name for x in sgv_.inputs] == ["geph__a_0:0", "geph__b_0:0"]
    # outputs aligned with the source view (c is consumed outside by f)
    assert [x.name for x in sgv_.outputs] == ["c_1:0", "d_1:0"]
    assert sgv_.inputs[0].shape == ns.a.shape and sgv_.inputs[0].op.type == "Placeholder"
    # one placeholder per input tensor, even though b is consumed twice
    d_ = info.transformed(ns.d)
    out = run(g, d_, {sgv_.inputs[0]: A, sgv_.inputs[1]: B})
    np.testing.assert_allclose(out, numpy_diamond()["d"], rtol=1e-6)
    assert info.transformed(ns.a) is None  # inputs are not mapped (contrib)


def test_copy_default_dst_graph_is_source(diamond):
    g, ns = diamond
    sgv_, info = ge.copy(ge.sgv(ns.e.op))
    assert sgv_.graph is g
    assert info.transformed(ns.e.op).name == "e_1"
    assert sgv_.inputs[0].name == "geph__d_0:0"


def test_copy_scope_uniquified_then_reused(diamond):
    g, ns = diamond
    ge.copy(ge.sgv(ns.c.op), dst_scope="res")
    ge.copy(ge.sgv(ns.c.op), dst_scope="res")
    ge.copy(ge.sgv(ns.c.op), dst_scope="res", reuse_dst_scope=True)
    new = names(g)[6:]
    assert new == [
        "res/geph__a_0", "res/geph__b_0", "res/c",
        "res_1/geph__a_0", "res_1/geph__b_0", "res_1/c",
        "res/geph__a_0_1", "res/geph__b_0_1", "res/c_1",
    ]


def test_copy_unique_names_are_case_insensitive():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1.0, name="x")
        tf.identity(x, name="Y")
    g2 = tf.Graph()
    with g2.as_default():
        tf.constant(0.0, name="y")
    _, info = ge.copy(g, dst_graph=g2)
    assert info.transformed(g.get_operation_by_name("Y")).name == "Y_1"
    assert run(g2, info.transformed(g.get_tensor_by_name("Y:0"))) == 1.0


def test_copy_src_scope_is_stripped():
    g = tf.Graph()
    with g.as_default(), tf.name_scope("net"):
        x = tf.constant([1.0, 2.0], name="x")
        y = tf.square(x, name="y")
    g2 = tf.Graph()
    _, info = ge.copy(ge.sgv_scope("net", g), dst_graph=g2, dst_scope="new", src_scope="net")
    assert names(g2) == ["new/x", "new/y"]
    np.testing.assert_allclose(run(g2, info.transformed(y)), [1.0, 4.0])


def test_copy_op_outside_src_scope_fails_before_any_change(diamond):
    g, ns = diamond
    before = names(g)
    with pytest.raises(ge.GraphEditValueError, match="source scope") as err:
        ge.copy(ge.sgv(ns.c.op, ns.d.op), src_scope="c")
    assert isinstance(err.value, ValueError)
    assert "op 'c'" in str(err.value)
    assert names(g) == before


def test_copy_does_not_double_active_name_scope(diamond, feed):
    g, ns = diamond
    with g.as_default(), tf.name_scope("outer"):
        sgv_, info = ge.copy(ge.sgv(ns.c.op, ns.d.op), dst_scope="z")
        inner = tf.constant(0.0, name="k")
    assert inner.name == "outer/k:0"  # the caller's scope is intact afterwards
    assert [op.name for op in sgv_.ops] == ["z/c", "z/d"]
    assert [x.name for x in sgv_.inputs] == ["z/geph__a_0:0", "z/geph__b_0:0"]


def test_copy_works_eagerly_outside_as_default(diamond):
    assert tf.executing_eagerly()
    g, ns = diamond
    g2 = tf.Graph()
    _, info = ge.copy(g, g2)
    assert info.transformed(ns.e).graph is g2
    assert tf.executing_eagerly()


def test_copy_rejects_bad_dst_graph(diamond):
    g, _ = diamond
    with pytest.raises(ge.GraphEditTypeError, match="tf.Graph"):
        ge.copy(g, dst_graph="nope")
    with pytest.raises(TypeError):
        ge.Transformer()(ge.sgv(g), 3, "x")


def test_copy_into_finalized_graph_fails_cleanly(diamond):
    g, _ = diamond
    g2 = tf.Graph()
    g2.finalize()
    with pytest.raises(ge.GraphEditValueError, match="finalized"):
        ge.copy(g, g2)


def test_copy_empty_view():
    sgv_, info = ge.copy(ge.sgv(), dst_graph=tf.Graph())
    assert not sgv_ and info._transformed_ops == {}


def test_copy_keeps_control_inputs_inside_and_outside(diamond, feed):
    g, ns = diamond
    with g.as_default(), tf.control_dependencies([ns.f.op]):
        z = tf.identity(ns.e, name="z")
    _, info = ge.copy(ge.sgv(ns.e.op, z.op))
    assert [op.name for op in info.transformed(z.op).control_inputs] == ["f"]  # outside, kept
    _, info = ge.copy(ge.sgv(ns.f.op, z.op))
    assert [op.name for op in info.transformed(z.op).control_inputs] == ["f_1"]  # inside
    g2 = tf.Graph()
    _, info = ge.copy(ge.sgv(ns.e.op, z.op), g2)
    assert info.transformed(z.op).control_inputs == []  # other graph: dropped


def test_copy_is_in_topological_order_when_creation_order_is_not():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant([1.0, 2.0], name="x")
        late = tf.identity(x, name="early")  # rewired below to consume a later op
        y = tf.square(x, name="y")
    late.op._update_input(0, y)
    for fast in (True, False):
        g2 = tf.Graph()
        t = ge.Transformer()
        t.fast_path = fast
        _, info = t(ge.sgv(g), g2, "")
        assert names(g2) == ["x", "y", "early"]
        assert not [op for op in g2.get_operations() if op.type == "Placeholder"]
        np.testing.assert_allclose(run(g2, info.transformed(late)), [1.0, 4.0])


def test_original_op_mapping_and_cross_graph_reset():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1.0, name="x")
        y = tf.identity(x, name="y")
        outside = tf.identity(x, name="outside")
    y.op._original_op = x.op
    x.op._original_op = outside.op
    _, info = ge.copy(ge.sgv(x.op, y.op), dst_scope="c")
    assert info.transformed(y.op)._original_op is info.transformed(x.op)
    assert info.transformed(x.op)._original_op is outside.op  # same graph: kept
    _, info = ge.copy(ge.sgv(x.op, y.op), tf.Graph())
    assert info.transformed(x.op)._original_op is None  # not into the source graph


# --------------------------------------------------------------------------------------------
# TransformerInfo
# --------------------------------------------------------------------------------------------


def test_transformer_info_nested_structures_both_ways(diamond):
    g, ns = diamond
    g2 = tf.Graph()
    _, info = ge.copy(g, g2, "cp")
    Pair = collections.namedtuple("Pair", "x y")
    tree = {"k": [ns.c, (ns.d.op, Pair(ns.e, ns.f))], "o": collections.OrderedDict(z=ns.a)}
    out = info.transformed(tree)
    assert out["k"][0].name == "cp/c:0"
    assert out["k"][1][0].name == "cp/d"
    assert isinstance(out["k"][1][1], Pair) and out["k"][1][1].y.name == "cp/f:0"
    assert isinstance(out["o"], collections.OrderedDict) and out["o"]["z"].name == "cp/a:0"
    back = info.original(out)
    assert back["k"][0] is ns.c and back["k"][1][0] is ns.d.op and back["o"]["z"] is ns.a


def test_transformer_info_strings_and_missing(diamond):
    g, ns = diamond
    _, info = ge.copy(ge.sgv(ns.c.op, ns.d.op), dst_scope="s")
    assert info.transformed("c").name == "s/c"  # names are looked up
    assert info.transformed("d:0").name == "s/d:0"
    assert info.original("s/d:0") is ns.d
    assert info.transformed("nope") is None
    assert info.transformed(ns.e) is None
    assert info.transformed(ns.e, missing_fn=lambda t: t) is ns.e
    with pytest.raises(ge.GraphEditTypeError):
        info.transformed(3)


def test_transformer_info_private_dicts_and_set_device(diamond):
    g, ns = diamond
    _, info = ge.copy_with_input_replacements(ge.sgv(ns.c.op, ns.d.op), {})
    ops_map = info._transformed_ops
    assert isinstance(ops_map, dict) and set(ops_map) == {ns.c.op, ns.d.op}
    ts_map = info._transformed_ts
    assert isinstance(ts_map, dict) and ts_map[ns.d] is info.transformed(ns.d)
    for _op, op_ in ops_map.items():  # what memory_saving_gradients does
        assert isinstance(op_, tf.Operation) and op_.graph is g
        op_._set_device("/cpu:0")
        assert op_.node_def.device.lower().endswith("cpu:0")


def test_transformer_info_str(diamond):
    g, ns = diamond
    _, info = ge.copy(ge.sgv(ns.c.op))
    text = str(info)
    assert "IN-PLACE" not in text  # a same-graph copy is not labelled in-place
    assert "Within graph" in text and "c => c_1" in text
    _, info = ge.copy(g, tf.Graph(), "x")
    assert "=>" in str(info).splitlines()[1] and "Scope destination: x/" in str(info)


# --------------------------------------------------------------------------------------------
# copy_with_input_replacements and graph_replace
# --------------------------------------------------------------------------------------------


def test_copy_with_input_replacements_same_graph(diamond, feed):
    g, ns = diamond
    with g.as_default():
        a2 = tf.constant([10.0, 20.0], name="a2")
    sgv_, info = ge.copy_with_input_replacements(
        ge.sgv(ns.c.op, ns.d.op), {ns.a: a2, ns.e: a2}  # e is not an input: ignored
    )
    c_op = info.transformed(ns.c.op)
    assert c_op.inputs[0] is a2 and c_op.inputs[1] is ns.b  # b kept (same graph)
    assert list(sgv_.inputs) == [a2, ns.b]
    out = run(g, info.transformed(ns.d), feed)
    np.testing.assert_allclose(out, (np.array([10, 20]) + feed["b:0"]) * feed["b:0"], rtol=1e-6)


def test_copy_with_input_replacements_other_graph(diamond):
    g, ns = diamond
    g2 = tf.Graph()
    with g2.as_default():
        a2 = tf.constant([1.0, 1.0], name="a2")
    _, info = ge.copy_with_input_replacements(ge.sgv(ns.c.op, ns.d.op), {ns.a: a2}, g2, "cp")
    c_op = info.transformed(ns.c.op)
    assert c_op.inputs[0] is a2 and c_op.inputs[1].name == "cp/geph__b_0:0"
    out = run(g2, info.transformed(ns.d), {c_op.inputs[1]: B})
    np.testing.assert_allclose(out, (1.0 + B) * B, rtol=1e-6)


def test_copy_with_input_replacements_validates_before_copying(diamond):
    g, ns = diamond
    before = names(g)
    with g.as_default():
        i = tf.constant([1, 2], name="i")
    with pytest.raises(ge.GraphEditTypeError, match="dtype"):
        ge.copy_with_input_replacements(ge.sgv(ns.c.op), {ns.a: i})
    with tf.Graph().as_default():
        other = tf.constant([1.0, 2.0])
    with pytest.raises(ge.GraphMismatchError, match="destination graph"):
        ge.copy_with_input_replacements(ge.sgv(ns.c.op), {ns.a: other})
    assert names(g) == before + ["i"]


def test_graph_replace_nested_targets(diamond, feed):
    g, ns = diamond
    with g.as_default():
        a2 = tf.constant([5.0, 6.0], name="a2")
    Out = collections.namedtuple("Out", "e f")
    res = ge.graph_replace({"t": Out(ns.e, ns.f), "l": [ns.d, ns.b]}, {ns.a: a2})
    assert isinstance(res["t"], Out)
    assert res["l"][1] is ns.b  # not downstream of a: unchanged
    assert res["t"].e.name == "e_1:0" and res["t"].f.name == "f_1:0"
    ref = numpy_diamond(a=np.array([5.0, 6.0], np.float32), b=feed["b:0"])
    got = run(g, [res["t"].e, res["t"].f, res["l"][0]], feed)
    np.testing.assert_allclose(got[0], ref["e"], rtol=1e-6)
    np.testing.assert_allclose(got[1], ref["f"], rtol=1e-6)
    np.testing.assert_allclose(got[2], ref["d"], rtol=1e-6)
    # originals still compute the original values
    np.testing.assert_allclose(run(g, ns.e, feed), numpy_diamond(feed["a:0"], feed["b:0"])["e"],
                               rtol=1e-6)


def test_graph_replace_not_connected(diamond):
    g, ns = diamond
    with g.as_default():
        x = tf.constant([0.0, 0.0])
    before = names(g)
    with pytest.raises(ge.GraphEditValueError, match="not connected"):
        ge.graph_replace(ns.f, {ns.d: x})
    assert names(g) == before


def test_graph_replace_follows_control_edges():
    g = tf.Graph()
    with g.as_default():
        v = tf.compat.v1.placeholder(tf.float32, [], name="v")
        dep = tf.identity(v, name="dep")
        with tf.control_dependencies([dep.op]):
            out = tf.constant(3.0, name="out")
        w = tf.constant(7.0, name="w")
    res = ge.graph_replace(out, {v: w})
    assert res is not out
    assert [op.name for op in res.op.control_inputs] == ["dep_1"]
    assert run(g, res) == 3.0


def test_graph_replace_with_resource_variable_read():
    g = tf.Graph()
    with g.as_default():
        w = tf.compat.v1.Variable(2.0, name="w")
        y = tf.multiply(w.read_value(), 3.0, name="y")
        z = tf.constant(5.0, name="z")
    read = y.op.inputs[0]  # the read tensor the graph actually consumes
    y2 = ge.graph_replace(y, {read: z})
    assert run(g, y2) == 15.0


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------


def _mlp_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        w1 = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5, name="w1")
        h = tf.nn.relu(tf.matmul(x, w1, name="mm1"), name="h")
        w2 = tf.constant([[1.0], [-2.0]], name="w2")
        y = tf.matmul(h, w2, name="mm2")
    return g, x, y


X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)


def test_custom_handler_adds_noise_after_every_matmul():
    g, x, y = _mlp_graph()
    g2 = tf.Graph()

    def noisy(info, op, new_inputs):
        op_, outputs_ = ge.copy_op_handler(info, op, new_inputs)
        if op.type != "MatMul":
            return op_, outputs_
        with info.graph_.as_default(), info.graph_.name_scope(None):
            return op_, [tf.add(outputs_[0], 100.0, name=op_.name + "_noise")]

    t = ge.Transformer()
    t.transform_op_handler = noisy
    _, info = t(ge.sgv(g), g2, "n")
    y_ = info.transformed(y)
    assert y_.name == "n/mm2_noise:0"
    assert info.transformed(g.get_operation_by_name("mm1")).name == "n/mm1"
    out = run(g2, y_, {info.transformed(x): X})
    w1 = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5
    ref = np.maximum(X @ w1 + 100.0, 0) @ np.array([[1.0], [-2.0]]) + 100.0
    np.testing.assert_allclose(out, ref, rtol=1e-5)


def _relu6(node_def):
    if node_def.op == "Relu":
        node_def.op = "Relu6"
    return node_def


@pytest.mark.parametrize("fast", [True, False])
def test_nodedef_fn_relu_to_relu6(fast):
    g, x, y = _mlp_graph()
    g2 = tf.Graph()
    t = ge.Transformer()
    t.fast_path = fast
    t.transform_op_handler = functools.partial(ge.copy_op_handler, nodedef_fn=_relu6)
    _, info = t(ge.sgv(g), g2, "")
    assert info.transformed(g.get_operation_by_name("h")).type == "Relu6"
    xs = X * 10
    out = run(g2, info.transformed(y), {info.transformed(x): xs})
    w1 = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5
    ref = np.clip(xs @ w1, 0, 6) @ np.array([[1.0], [-2.0]])
    np.testing.assert_allclose(out, ref, rtol=1e-5)


def test_legacy_tf17_op_handler_signature_still_works():
    g, x, y = _mlp_graph()
    seen = []

    def old_style(info, op, copy_shape=True):  # TF <= 1.7 custom handler
        seen.append(op.name)
        return transform.copy_op_handler(info, op, copy_shape)

    t = ge.Transformer()
    t.transform_op_handler = old_style
    g2 = tf.Graph()
    _, info = t(ge.sgv(g), g2, "old")
    assert len(seen) == len(g.get_operations())
    x_ = info.transformed(x)
    assert x_.shape.as_list() == [None, 3]
    run_out = run(g2, info.transformed(y), {x_: X})
    np.testing.assert_allclose(run_out, run(g, y, {x: X}), rtol=1e-6)


def test_copy_op_handler_rejects_bool_new_inputs_outside_transformer(diamond):
    g, ns = diamond
    info = transform._TmpInfo(ge.sgv(ns.c.op), g, "", "")
    with pytest.raises(TypeError, match="iterable"):
        ge.copy_op_handler(info, ns.c.op, True)


def test_in_place_transformation_not_allowed(diamond):
    g, ns = diamond
    t = ge.Transformer()
    t.transform_op_handler = lambda info, op, new_inputs: (op, op.outputs)
    with pytest.raises(ValueError, match="In-place"):
        t(ge.sgv(ns.c.op), g, "")


def test_copy_shape_option():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, None, name="x")
        y = tf.identity(x, name="y")
    y.set_shape([2, 3])
    for fast in (True, False):
        t = ge.Transformer()
        t.fast_path = fast
        _, info = t(ge.sgv(y.op), tf.Graph(), "")
        assert info.transformed(y).shape.rank is None  # re-inferred (contrib >= 1.11)
        t.transform_op_handler = functools.partial(ge.copy_op_handler, copy_shape=True)
        _, info = t(ge.sgv(y.op), tf.Graph(), "")
        assert info.transformed(y).shape.as_list() == [2, 3]


def test_custom_external_input_handler_and_handler_info_fields(diamond, feed):
    g, ns = diamond
    seen = {}

    def keep(info, t):
        seen["fields"] = (info.graph is g, info.scope, info.scope_, ns.c.op in info.ops,
                          t in info.sgv_inputs_set, type(info.control_outputs).__name__)
        seen["collections"] = info.collections
        return t

    tr = ge.Transformer()
    tr.transform_external_input_handler = keep
    _, info = tr(ge.sgv(ns.c.op, ns.d.op), g, "k")
    assert seen["fields"] == (True, "", "k/", True, True, "ControlOutputs")
    assert info.transformed(ns.c.op).inputs[0] is ns.a
    np.testing.assert_allclose(run(g, info.transformed(ns.d), feed), run(g, ns.d, feed))


def test_custom_control_input_handler_runs_per_op_path(diamond):
    g, ns = diamond
    with g.as_default(), tf.control_dependencies([ns.f.op]):
        z = tf.identity(ns.e, name="z")
    tr = ge.Transformer()
    tr.transform_control_input_handler = lambda info, op: None
    _, info = tr(ge.sgv(z.op), g, "")
    assert info.transformed(z.op).control_inputs == []


def test_graph_replace_window_is_exact_and_follows_edits():
    from graph_editor import _edits

    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        b = tf.add(a, 1.0, name="b")          # region: b -> late
        other = tf.constant(5.0, name="other")
        late = tf.multiply(other, 3.0, name="late")
        new_a = tf.constant(10.0, name="new_a")
    with pytest.raises(ge.GraphEditValueError):
        ge.graph_replace(late, {a: new_a})  # not connected (yet)
    # rewire late to read b: the edge now goes from an older op to a newer one ...
    late.op._update_input(0, b)
    _edits.note_external_edit(g)
    r = ge.graph_replace(late, {a: new_a})
    assert run(g, r) == (10.0 + 1.0) * 3.0
    # ... and an edge against creation order: an old op reading a newer one
    with g.as_default():
        c = tf.constant(2.0, name="c")
        d = tf.add(c, 0.0, name="d")
    b.op._update_input(0, d)               # b (old) now reads d (new)
    _edits.note_external_edit(g)
    r = ge.graph_replace(late, {c: new_a})
    assert run(g, r) == (10.0 + 1.0) * 3.0
    assert run(g, late) == (2.0 + 1.0) * 3.0


def test_names_differing_only_in_case_are_uniquified_on_both_paths():
    from tensorflow.core.framework import graph_pb2

    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0, name="A")
    gd = graph_pb2.GraphDef()
    gd.CopyFrom(g.as_graph_def())
    node = gd.node.add()
    node.CopyFrom(gd.node[0])
    node.name = "a"
    src = tf.Graph()
    with src.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    for fast in (True, False):
        t = ge.Transformer()
        t.fast_path = fast
        g2 = tf.Graph()
        t(ge.sgv(src), g2, "")
        assert names(g2) == ["A", "a_1"]


# --------------------------------------------------------------------------------------------
# variables copied without their initializers
# --------------------------------------------------------------------------------------------


def _net(use_resource):
    """x -> y = x @ W + b with a get_variable W (random init) and a Variable b."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        with tf.compat.v1.variable_scope("net", use_resource=use_resource):
            w = tf.compat.v1.get_variable(
                "W", [2, 2], initializer=tf.compat.v1.random_normal_initializer(seed=3))
            b = tf.compat.v1.Variable(np.array([0.5, -1.0], np.float32), name="b",
                                      use_resource=use_resource)
        y = tf.add(tf.matmul(x, w), b, name="y")
    return g, x, w, b, y


X2 = np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)


@pytest.mark.parametrize("use_resource", [True, False], ids=["resource", "ref"])
@pytest.mark.parametrize("fast", [True, False])
def test_copy_without_initializers_warns_and_validate_reports(use_resource, fast):
    g, x, w, b, y = _net(use_resource)
    view = ge.sgv(ge.get_backward_walk_ops([y.op]))  # variable ops, no initializers
    t = ge.Transformer()
    t.fast_path = fast
    with pytest.warns(ge.VariableInitializerWarning) as rec:
        _, info = t(view, g, "clone")
    (msg,) = [str(r.message) for r in rec if r.category is ge.VariableInitializerWarning]
    assert "'net/W' (copied as 'clone/net/W', without its initializer 'net/W/Assign')" in msg
    assert "'net/b' (copied as 'clone/net/b'" in msg
    assert "ge.get_name_scope_ops(graph, name)" in msg and "['net/W', 'net/b']" in msg
    assert info.transformed(w) is None and info.transformed(b) is None
    problems = ge.validate(g)
    assert [(p.kind, p.ops[0], p.severity) for p in problems] == [
        ("uninitializable-variable", "clone/net/W", "error"),
        ("uninitializable-variable", "clone/net/b", "error"),
    ]
    with tf.compat.v1.Session(graph=g) as s:  # what the warning announces
        s.run(tf.compat.v1.global_variables_initializer())
        with pytest.raises(tf.errors.FailedPreconditionError):
            s.run(info.transformed(y), {info.transformed(x): X2})


@pytest.mark.parametrize("use_resource", [True, False], ids=["resource", "ref"])
def test_copy_with_the_recipe_of_the_warning_is_clean_and_runs(use_resource):
    g, x, w, b, y = _net(use_resource)
    ops = ge.get_backward_walk_ops([y.op])
    ops += [op for name in ["net/W", "net/b"] for op in ge.get_name_scope_ops(g, name)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ge.VariableInitializerWarning)
        _, info = ge.copy_with_input_replacements(ge.sgv(ops), {}, dst_scope="clone")
    w_, b_ = info.transformed([w, b])
    assert isinstance(w_, tf.Variable) and w_.op.name == "clone/net/W"
    assert isinstance(b_, tf.Variable) and b_.op.name == "clone/net/b"
    assert ge.validate(g) == []
    with tf.compat.v1.Session(graph=g) as s:
        s.run(tf.compat.v1.global_variables_initializer())
        feed = {x: X2, info.transformed(x): X2}  # the walk copied the placeholder too
        ref, out, wv, bv = s.run([y, info.transformed(y), w, b], feed)
        s.run(w_.assign(wv * 2.0))  # independent state
        out2 = s.run(info.transformed(y), feed)
        np.testing.assert_allclose(s.run(y, {x: X2}), ref)
    np.testing.assert_allclose(out, X2 @ wv + bv, rtol=1e-6)
    np.testing.assert_allclose(out, ref, rtol=1e-6)  # same seeded initializer
    np.testing.assert_allclose(out2, X2 @ (2 * wv) + bv, rtol=1e-6)


def test_copy_sharing_the_variables_needs_no_initializer():
    g, x, w, b, y = _net(True)
    view = ge.sgv(ge.get_backward_walk_ops([y.op]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ge.VariableInitializerWarning)
        _, info = ge.copy_with_input_replacements(view, {}, dst_scope="twin",
                                                  share_variables=True)
        ge.copy(g, tf.Graph(), "whole")  # a whole-graph copy has every initializer
    assert ge.validate(g) == []  # the shared handles are initialised by the originals'
    with tf.compat.v1.Session(graph=g) as s:
        s.run(tf.compat.v1.global_variables_initializer())
        ref, out = s.run([y, info.transformed(y)], {x: X2, info.transformed(x): X2})
    np.testing.assert_allclose(out, ref, rtol=1e-6)


def _mismatch_graph(padding: int):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        h = tf.nn.relu(tf.matmul(tf.nn.relu(x, name="pre"), tf.ones([3, 1]), name="mm"),
                       name="h")
        y = tf.identity(h, name="y")
        z = tf.compat.v1.placeholder(tf.float32, [None, 4], name="z")
        for k in range(padding):  # a big destination: the copy goes op by op
            tf.constant(float(k), name=f"pad{k}")
    return g, x, y, z


@pytest.mark.parametrize("padding", [0, 300])
def test_a_replacement_the_copied_ops_cannot_take_is_a_ge_error_that_says_what_is_left(padding):
    g, x, y, z = _mismatch_graph(padding)
    before = {op.name for op in g.get_operations()}
    with pytest.raises(ge.GraphEditValueError, match="Dimensions must be equal") as info:
        ge.graph_replace(y, {x: z})
    left = sorted({op.name for op in g.get_operations()} - before)
    message = str(info.value)
    if left:  # op by op: what was created before the refusal is named
        assert "left in the destination graph, unreachable" in message
        assert all(name in message for name in left)
        assert all(not t.consumers() for name in left
                   for t in g.get_operation_by_name(name).outputs
                   if not any(c.name in left for c in t.consumers()))
    else:  # the GraphDef import path creates all or nothing
        assert "Nothing was added" in message
    with tf.compat.v1.Session(graph=g) as s:  # the original still runs
        np.testing.assert_allclose(s.run(y, {x: [[1.0, -2.0, 3.0]]}), [[4.0]])
