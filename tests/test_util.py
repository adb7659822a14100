"""Tests of graph_editor.util: every public name, error paths, explicit graphs, eager mode on."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge
from graph_editor import util


def test_eager_mode_is_on_and_default_graph_untouched(diamond):
    g, _ = diamond
    default_before = len(tf.compat.v1.get_default_graph().get_operations())
    assert tf.executing_eagerly()
    ge.make_list_of_op(g)
    ge.sgv(g)
    ge.make_placeholder_from_tensor(g.get_tensor_by_name("c:0"))
    assert len(tf.compat.v1.get_default_graph().get_operations()) == default_before


# ---------------------------------------------------------------- make_list_of_op / _t


def test_make_list_of_op_graph_op_iterable(diamond):
    g, n = diamond
    assert ge.make_list_of_op(g) == g.get_operations()
    assert ge.make_list_of_op(n.c.op) == [n.c.op]
    ops = [n.c.op, n.d.op]
    res = ge.make_list_of_op(ops)
    assert res == ops and res is not ops
    assert ge.make_list_of_op([]) == []


def test_make_list_of_op_generator_is_not_lost(diamond):
    # contrib consumed the generator in its graph check and returned [].
    g, n = diamond
    res = ge.make_list_of_op(op for op in [n.c.op, n.d.op])
    assert res == [n.c.op, n.d.op]
    res_t = ge.make_list_of_t(t for t in [n.c, n.d])
    assert res_t[0] is n.c and res_t[1] is n.d


def test_make_list_of_op_errors(diamond):
    g, n = diamond
    with pytest.raises(TypeError, match="tensor 'c:0'.*t.op"):
        ge.make_list_of_op(n.c)
    with pytest.raises(ge.GraphEditTypeError, match="allow_graph"):
        ge.make_list_of_op(g, allow_graph=False)
    assert ge.make_list_of_op([n.c, n.d.op], ignore_ts=True) == [n.d.op]
    assert ge.make_list_of_op([n.c, n.d.op], check_graph=False) == [n.d.op]
    with pytest.raises(TypeError, match="str"):
        ge.make_list_of_op("c")


def test_mixed_graphs_raise_value_error(diamond):
    g, n = diamond
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.constant(1.0, name="x")
    with pytest.raises(ValueError, match="op 'x'.*another|does not belong"):
        ge.make_list_of_op([n.c.op, x.op])
    with pytest.raises(ge.GraphMismatchError):
        ge.make_list_of_t([n.c, x])
    assert issubclass(ge.GraphMismatchError, ge.GraphEditError)


def test_make_list_of_t(diamond):
    g, n = diamond
    ts = ge.make_list_of_t(g)
    assert [t.name for t in ts] == ["a:0", "b:0", "c:0", "d:0", "e:0", "f:0"]
    assert ge.make_list_of_t(n.c)[0] is n.c
    with pytest.raises(TypeError, match="op 'c'.*outputs"):
        ge.make_list_of_t(n.c.op)
    with pytest.raises(TypeError, match="allow_graph"):
        ge.make_list_of_t(g, allow_graph=False)
    res = ge.make_list_of_t([n.c, n.d.op], ignore_ops=True)
    assert len(res) == 1 and res[0] is n.c


def test_variable_gives_actionable_error():
    g = tf.Graph()
    with g.as_default():
        v = tf.compat.v1.Variable(1.0, name="v")
    with pytest.raises(ge.GraphEditTypeError, match=r"tf.Variable 'v:0'.*v\.op"):
        ge.make_list_of_op(v)


def test_get_tensors(diamond):
    g, _ = diamond
    assert [t.name for t in ge.get_tensors(g)] == [t.name for t in ge.make_list_of_t(g)]
    with pytest.raises(TypeError, match="tf.Graph"):
        ge.get_tensors([1])


def test_generating_and_consuming_ops(diamond):
    _, n = diamond
    assert ge.get_generating_ops([n.c, n.c, n.a]) == [n.c.op, n.c.op, n.a.op]
    assert [op.name for op in ge.get_consuming_ops([n.c, n.b])] == ["d", "f", "c"]
    assert ge.get_consuming_ops(n.e) == []
    with pytest.raises(TypeError):
        ge.get_consuming_ops(n.c.op)


# ---------------------------------------------------------------- ControlOutputs


def _control_graph():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        b = tf.constant(2.0, name="b")
        with tf.control_dependencies([a.op]):
            c = tf.identity(b, name="c")
        with tf.control_dependencies([a.op, b.op]):
            d = tf.constant(3.0, name="d")
    return g, a.op, b.op, c.op, d.op


def test_control_outputs_basic():
    g, a, b, c, d = _control_graph()
    co = ge.ControlOutputs(g)
    assert co.graph is g
    assert co.update() is co
    assert co.get(a) == [c, d]
    assert co.get(b) == [d]
    assert co.get(c) == ()
    all_ = co.get_all()
    assert set(all_) == {a, b}
    assert all_[a] == [c, d]
    with pytest.raises(TypeError, match="tf.Graph"):
        ge.ControlOutputs(a)


def test_control_outputs_never_stale():
    # contrib keyed its cache on graph.version, which control-edge edits do not change.
    g, a, b, c, d = _control_graph()
    co = ge.ControlOutputs(g)
    assert co.get(a) == [c, d]
    version = g.version
    d._remove_all_control_inputs()
    assert g.version == version
    assert co.get(a) == [c]
    assert co.get_all()[a] == [c]
    assert b not in co.get_all()


def test_control_outputs_other_graph_op():
    g, a, *_ = _control_graph()
    g2, a2, *_ = _control_graph()
    assert ge.ControlOutputs(g).get(a2) == ()


# ---------------------------------------------------------------- placeholders


def test_placeholder_name(diamond):
    g, n = diamond
    assert ge.placeholder_name(n.c) == "geph__c_0"
    assert ge.placeholder_name(n.c, scope="foo") == "foo/geph__c_0"
    assert ge.placeholder_name(n.c, scope="") == "geph__c_0"
    assert ge.placeholder_name() == "geph"
    assert ge.placeholder_name(scope="s/") == "s/geph"
    assert ge.placeholder_name(n.c, prefix="xx") == "xx__c_0"
    with g.as_default(), tf.name_scope("net"):
        t = tf.identity(n.c, name="relu")
    assert ge.placeholder_name(t) == "net/geph__relu_0"
    with g.as_default():
        ph = tf.compat.v1.placeholder(tf.float32, name="geph__x_1")
    assert ge.placeholder_name(ph) == "geph__x_1"
    assert ge.placeholder_name(ph, scope="s") == "s/geph__x_1"
    with pytest.raises(TypeError, match="op 'c'"):
        ge.placeholder_name(n.c.op)


def test_make_placeholder_from_tensor_uses_tensor_graph(diamond, feed):
    g, n = diamond
    ph = ge.make_placeholder_from_tensor(n.c)
    assert ph.graph is g
    assert ph.name == "geph__c_0:0"
    assert ph.dtype == tf.float32 and ph.shape.as_list() == [2]
    ph2 = ge.make_placeholder_from_tensor(n.c, scope="s")
    assert ph2.name == "s/geph__c_0:0"
    ph3 = ge.make_placeholder_from_tensor(n.c)
    assert ph3.name == "geph__c_0_1:0"  # uniquified by the graph
    with g.as_default():
        out = ph * 2.0
    np.testing.assert_allclose(run(g, out, {ph: np.array([1.0, 2.5], np.float32)}), [2.0, 5.0])


def test_make_placeholder_respects_entered_graph(diamond):
    # contrib's convention: the caller enters the destination graph.
    _, n = diamond
    g2 = tf.Graph()
    with g2.as_default():
        ph = ge.make_placeholder_from_tensor(n.c)
    assert ph.graph is g2
    g3 = tf.Graph()
    assert ge.make_placeholder_from_tensor(n.c, graph=g3).graph is g3


def test_make_placeholder_from_dtype_and_shape(diamond):
    g, _ = diamond
    assert ge.ph is ge.make_placeholder_from_dtype_and_shape
    ph = ge.ph(tf.int32, [None, 3], graph=g)
    assert ph.graph is g and ph.name == "geph:0"
    assert ph.shape.as_list() == [None, 3] and ph.dtype == tf.int32
    ph2 = ge.ph(tf.float32, scope="s", graph=g)
    assert ph2.name == "s/geph:0" and ph2.shape.rank is None
    with g.as_default():
        ph3 = ge.ph(tf.float32)
    assert ph3.graph is g
    with pytest.raises(ValueError, match="graph="):
        ge.ph(tf.float32)


# ---------------------------------------------------------------- lists and trees


def test_concatenate_unique(diamond):
    _, n = diamond
    la = [1, 2]
    assert util.concatenate_unique(la, [2, 3, 1, 4, 3]) is la
    assert la == [1, 2, 3, 4]
    ts = [n.a]
    util.concatenate_unique(ts, [n.b, n.a, n.c])
    assert [t.name for t in ts] == ["a:0", "b:0", "c:0"]


def test_concatenate_unique_with_variables_in_eager_mode():
    # contrib's `in` on Variables is element-wise in TF2 and crashed.
    g = tf.Graph()
    with g.as_default():
        v = tf.compat.v1.Variable(1.0, name="v")
        w = tf.compat.v1.Variable(1.0, name="w")
    res = util.concatenate_unique([v], [w, v])
    assert len(res) == 2 and res[1] is w


def test_list_view(diamond):
    _, n = diamond
    lv = util.ListView([n.a, n.b])
    assert len(lv) == 2 and bool(lv) and not util.ListView([])
    assert lv[0] is n.a and lv[-1] is n.b and list(lv[0:1]) == [n.a]
    assert [t.name for t in lv] == ["a:0", "b:0"]
    assert lv + [n.c] == [n.a, n.b, n.c]
    assert [n.c] + lv == [n.c, n.a, n.b]
    assert n.a in lv and n.c not in lv
    assert lv == [n.a, n.b] and lv != [n.b, n.a] and lv == util.ListView([n.a, n.b])
    with pytest.raises(TypeError):
        lv[0] = n.c
    with pytest.raises(TypeError, match="list"):
        util.ListView((1, 2))
    assert "ListView" in repr(lv)


def test_is_iterable(diamond):
    g, n = diamond
    assert util.is_iterable([1]) and util.is_iterable(()) and util.is_iterable({})
    assert not util.is_iterable(n.a)
    assert not util.is_iterable(3)
    assert not util.is_iterable(n.a.op)
    assert not util.is_iterable(g)


def test_flatten_tree(diamond):
    _, n = diamond
    tree = {"x": [1, (2, 3)], "y": {"z": 4}, "s": "text", "t": n.a}
    leaves = util.flatten_tree(tree)
    assert leaves[:5] == [1, 2, 3, 4, "text"] and leaves[5] is n.a
    acc = [0]
    assert util.flatten_tree([5], acc) is acc and acc == [0, 5]


def test_transform_tree_keeps_types():
    Point = collections.namedtuple("Point", "x y")
    tree = {
        "l": [1, 2],
        "t": (3,),
        "p": Point(4, 5),
        "o": collections.OrderedDict([("b", 6), ("a", 7)]),
        "d": collections.defaultdict(list, {"k": 8}),
        "s": "word",
    }
    res = util.transform_tree(tree, lambda x: x * 10)
    assert res["l"] == [10, 20] and isinstance(res["l"], list)
    assert res["t"] == (30,)
    assert isinstance(res["p"], Point) and res["p"] == Point(40, 50)
    assert isinstance(res["o"], collections.OrderedDict) and list(res["o"]) == ["b", "a"]
    assert isinstance(res["d"], collections.defaultdict) and res["d"]["k"] == 80
    assert res["d"].default_factory is list
    assert res["s"] == "word" * 10  # strings are leaves (contrib returned '')
    assert util.transform_tree({1, 2}, lambda x: x + 1, iterable_type=list) in ([2, 3], [3, 2])


def test_check_graphs_and_get_unique_graph(diamond):
    g, n = diamond
    util.check_graphs(n.a, n.b.op, None, 3)
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.constant(1.0, name="x")
    with pytest.raises(ValueError, match="tensor 'x:0'"):
        util.check_graphs(n.a, x)
    assert util.get_unique_graph([n.a, n.b.op]) is g
    assert util.get_unique_graph(g) is g
    assert util.get_unique_graph(n.a) is g
    assert util.get_unique_graph([], none_if_empty=True) is None
    with pytest.raises(ValueError, match="empty"):
        util.get_unique_graph([])
    with pytest.raises(TypeError, match="tf.Operation"):
        util.get_unique_graph([n.a], check_types=tf.Operation)
    assert util.get_unique_graph([n.a.op], check_types=[tf.Operation]) is g


def test_scope_helpers():
    assert util.scope_finalize("a/b") == "a/b/"
    assert util.scope_finalize("a/b/") == "a/b/"
    assert util.scope_finalize("") == ""
    assert util.scope_dirname("a/b/c") == "a/b/"
    assert util.scope_dirname("c") == ""
    assert util.scope_basename("a/b/c") == "c"
    assert util.scope_basename("c") == "c"


def test_get_predefined_collection_names(recwarn):
    names = util.get_predefined_collection_names()
    for key in ("GLOBAL_VARIABLES", "TRAINABLE_VARIABLES", "UPDATE_OPS", "SUMMARIES"):
        assert getattr(tf.compat.v1.GraphKeys, key) in names
    assert len(names) == len(set(names))
    assert all(isinstance(x, str) for x in names)
    names.append("mutated")
    assert "mutated" not in util.get_predefined_collection_names()


def test_find_corresponding(diamond):
    g, n = diamond
    g2 = tf.Graph()
    with g2.as_default(), tf.name_scope("copy"):
        a2 = tf.constant([0.0, 0.0], name="a")
        c2 = tf.identity(a2, name="c")
    assert util.find_corresponding_elem(n.a, g2, dst_scope="copy") is a2
    assert util.find_corresponding_elem(n.c.op, g2, dst_scope="copy/") is c2.op
    # src_scope works (contrib had a `startswidth` typo).
    assert util.find_corresponding_elem(a2, g2, dst_scope="copy", src_scope="copy") is a2
    with pytest.raises(ValueError, match="not inside src_scope"):
        util.find_corresponding_elem(n.a, g2, src_scope="other")
    with pytest.raises(KeyError, match="copy/d:0"):
        util.find_corresponding_elem(n.d, g2, dst_scope="copy")
    with pytest.raises(TypeError, match="tf.Tensor or tf.Operation"):
        util.find_corresponding_elem("a:0", g2)
    res = util.find_corresponding({"x": n.a, "y": [n.c.op]}, g2, dst_scope="copy")
    assert res["x"] is a2 and res["y"][0] is c2.op


def test_function_graph_tensors_are_keyed_by_identity():
    # In FuncGraphs tensors are unhashable and == is element-wise.
    @tf.function
    def f(x):
        y = x * 2.0
        return y + x

    cf = f.get_concrete_function(tf.TensorSpec([2], tf.float32))
    fg = cf.graph
    ts = ge.make_list_of_t(fg)
    assert len(util.concatenate_unique(list(ts), ts)) == len(ts)
    assert ge.get_consuming_ops(fg.inputs[0])


def test_check_stand_in(diamond):
    g, n = diamond
    util.check_stand_in(n.c, n.d, "edit")  # same graph, dtype and shape: silent
    with g.as_default():
        i = tf.constant([1, 2], name="i")
        wide = tf.zeros([3], name="wide")
    with pytest.raises(ge.DtypeMismatchError, match="edit: tensor 'i:0' has dtype int32") as e:
        util.check_stand_in(n.c, i, "edit")
    # catchable as contrib's ValueError and as a TypeError
    assert isinstance(e.value, ValueError) and isinstance(e.value, TypeError)
    assert isinstance(e.value, (ge.GraphEditTypeError, ge.GraphEditValueError))
    assert isinstance(e.value, ge.GraphEditTypeError)
    with pytest.raises(ge.GraphEditValueError, match=r"shape \(3,\), incompatible"):
        util.check_stand_in(n.c, wide, "edit")
    util.check_stand_in(n.c, wide, "copy", same_shape=False)
    g2 = tf.Graph()
    with g2.as_default():
        other = tf.zeros([2], name="other")
    with pytest.raises(ge.GraphMismatchError, match="another graph"):
        util.check_stand_in(n.c, other, "edit")
    util.check_stand_in(n.c, other, "copy", same_graph=False)


def test_placeholders_are_checked_before_anything_is_created():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
    n = len(g.get_operations())
    with pytest.raises(ge.GraphEditTypeError, match="shape"):
        ge.ph(tf.float32, v, graph=g)  # a variable where a shape is expected
    with pytest.raises(ge.GraphEditTypeError, match="dtype"):
        ge.ph("no_such_dtype", [2], graph=g)
    with pytest.raises(ge.GraphEditValueError, match="not a valid op name"):
        ge.ph(tf.float32, [2], prefix="bad name:0", graph=g)
    assert len(g.get_operations()) == n
    g.finalize()
    with pytest.raises(ge.GraphFinalizedError):
        ge.make_placeholder_from_tensor(x)
    g._unsafe_unfinalize()  # noqa: SLF001 - only to see which names were reserved
    with g.as_default():
        assert tf.compat.v1.placeholder(tf.float32, name="geph__x_0").name == "geph__x_0:0"
