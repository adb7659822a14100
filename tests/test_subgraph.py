"""Tests of graph_editor.subgraph: SubGraphView boundaries, order, remaps and errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge


def names(objs):
    return [x.name for x in objs]


def test_boundary_membership_and_order(diamond):
    _, n = diamond
    sgv = ge.SubGraphView([n.c.op, n.d.op])
    assert sgv.ops == [n.c.op, n.d.op]
    assert names(sgv.inputs) == ["a:0", "b:0"]
    assert names(sgv.outputs) == ["c:0", "d:0"]  # c also consumed outside (by f)
    assert list(sgv.passthroughs) == []
    assert sgv.graph is n.a.graph
    assert isinstance(sgv.inputs, ge.util.ListView)
    assert sgv.connected_inputs == list(sgv.inputs)
    # caller order is kept
    sgv2 = ge.SubGraphView([n.d.op, n.c.op])
    assert sgv2.ops == [n.d.op, n.c.op]
    assert names(sgv2.inputs) == ["b:0", "a:0"]
    assert names(sgv2.outputs) == ["d:0", "c:0"]


def test_passthroughs(diamond):
    _, n = diamond
    sgv = ge.SubGraphView([n.d.op], [n.e, n.a, n.c])
    # c is an input of d: silently not a passthrough; e and a are.
    assert names(sgv.passthroughs) == ["e:0", "a:0"]
    assert names(sgv.inputs) == ["c:0", "b:0", "e:0", "a:0"]
    assert names(sgv.outputs) == ["d:0", "e:0", "a:0"]
    assert names(sgv.connected_inputs) == ["c:0", "b:0"]
    assert names(sgv.connected_outputs) == ["d:0"]
    assert sgv.is_passthrough(n.e) and not sgv.is_passthrough(n.c)
    single = ge.sgv(n.c)
    assert single.ops == [] and names(single.inputs) == names(single.outputs) == ["c:0"]


def test_empty_view():
    sgv = ge.SubGraphView()
    assert not sgv and sgv.graph is None
    assert sgv.ops == [] and list(sgv.inputs) == [] and list(sgv.outputs) == []
    assert str(sgv) == "SubGraphView: empty"
    assert not ge.sgv()


def test_view_of_graph(diamond):
    g, _ = diamond
    sgv = ge.sgv(g)
    assert sgv.ops == g.get_operations()
    assert list(sgv.inputs) == []
    assert names(sgv.outputs) == ["e:0", "f:0"]
    assert list(sgv.passthroughs) == []
    assert ge.SubGraphView(g).ops == g.get_operations()


def test_duplicate_ops_are_removed(diamond):
    _, n = diamond
    sgv = ge.SubGraphView([n.c.op, n.d.op, n.c.op])
    assert sgv.ops == [n.c.op, n.d.op]
    assert names(sgv.outputs) == ["c:0", "d:0"]


def test_copy_is_independent(diamond):
    _, n = diamond
    sgv = ge.sgv(n.c.op, n.d.op)
    cp = sgv.copy()
    assert cp is not sgv and cp.graph is sgv.graph
    assert cp.ops == sgv.ops and cp.ops is not sgv.ops
    cp._input_ts.reverse()
    assert names(sgv.inputs) == ["a:0", "b:0"]
    cp2 = copy.copy(sgv)
    assert names(cp2.outputs) == names(sgv.outputs)


def test_remap_inputs_outputs(diamond):
    _, n = diamond
    sgv = ge.sgv(n.c.op, n.d.op)
    r = sgv.remap_inputs([1, 0])
    assert names(r.inputs) == ["b:0", "a:0"] and names(sgv.inputs) == ["a:0", "b:0"]
    assert names(sgv.remap_inputs([n.b]).inputs) == ["b:0"]
    assert names(sgv.remap_inputs(1).inputs) == ["b:0"]
    with pytest.raises(ValueError, match="repetition"):
        sgv.remap_inputs([0, 0])
    with pytest.raises(ValueError, match="out of range"):
        sgv.remap_inputs([2])
    with pytest.raises(ValueError, match="out of range"):
        sgv.remap_inputs([-1])
    with pytest.raises(ValueError, match="tensor 'e:0' is not an input"):
        sgv.remap_inputs([n.e])
    with pytest.raises(TypeError, match="ints or tensors"):
        sgv.remap_inputs(["a:0"])
    r = sgv.remap_outputs([1, 1, 0])
    assert names(r.outputs) == ["d:0", "d:0", "c:0"]
    assert names(sgv.remap_outputs([n.d]).outputs) == ["d:0"]
    r = sgv.remap([0], [1])
    assert names(r.inputs) == ["a:0"] and names(r.outputs) == ["d:0"]
    r = sgv.remap(new_output_indices=[0])
    assert names(r.inputs) == ["a:0", "b:0"] and names(r.outputs) == ["c:0"]


def test_remap_default_and_unique_and_consumers(diamond):
    _, n = diamond
    sgv = ge.sgv(n.c.op, n.d.op)
    r = sgv.remap([1], [1, 1]).remap_default()
    assert r.inputs == sgv.inputs and r.outputs == sgv.outputs
    r2 = sgv.remap([1], [1]).remap_default(remove_input_map=False)
    assert names(r2.inputs) == ["b:0"] and names(r2.outputs) == ["c:0", "d:0"]
    assert names(sgv.remap_outputs([1, 0, 1]).remap_outputs_make_unique().outputs) == [
        "d:0", "c:0"]
    # c has 2 consumers (d inside, f outside), d has 1 (e)
    assert names(sgv.remap_outputs_to_consumers().outputs) == ["c:0", "c:0", "d:0"]


def test_remove_unused_ops(diamond):
    _, n = diamond
    sgv = ge.sgv(n.c.op, n.d.op, n.f.op)
    assert names(sgv.outputs) == ["d:0", "f:0"]
    # keep only output f: d is still reached forward from inputs a/b (contrib semantics:
    # union of forward walk from inputs and backward walk from outputs)
    r = sgv.remap_outputs([1]).remove_unused_ops()
    assert r.ops == sgv.ops
    # with no inputs left, only ops the outputs need remain
    r = sgv.remap(new_input_indices=[], new_output_indices=[1]).remove_unused_ops()
    assert names(r.ops) == ["c", "f"]
    assert names(sgv.ops) == ["c", "d", "f"]


def test_find_op_by_name_and_op(diamond):
    _, n = diamond
    sgv = ge.sgv(n.c.op, n.d.op)
    assert sgv.find_op_by_name("d") is n.d.op
    assert sgv.op(0) is n.c.op and sgv.op(-1) is n.d.op
    with pytest.raises(ValueError, match="No op named 'e'"):
        sgv.find_op_by_name("e")


def test_input_output_index_raise_value_error(diamond):
    # contrib raised AttributeError (self.name) instead.
    _, n = diamond
    sgv = ge.sgv(n.c.op, n.d.op)
    assert sgv.input_index(n.b) == 1
    assert sgv.output_index(n.d) == 1
    with pytest.raises(ValueError, match="tensor 'e:0' is not an input"):
        sgv.input_index(n.e)
    with pytest.raises(ValueError, match="tensor 'a:0' is not an output"):
        sgv.output_index(n.a)


def test_consumers(diamond):
    _, n = diamond
    assert names(ge.sgv(n.c.op, n.d.op).consumers()) == ["f", "e"]
    assert ge.sgv(n.e.op).consumers() == []


def test_str_bool_and_context_manager(diamond):
    _, n = diamond
    sgv = ge.SubGraphView([n.d.op], [n.e])
    text = str(sgv)
    assert text.startswith("SubGraphView (graphid=")
    assert "** ops[1]:\n  d\n" in text
    assert "** inputs[3]:\n  c:0\n  b:0\n  e:0 *\n" in text
    assert "** outputs[2]:\n  d:0\n  e:0 *\n" in text
    assert "1 ops" in repr(sgv)
    assert bool(sgv)
    with sgv as s:
        assert s is sgv


def test_make_view_variants(diamond):
    g, n = diamond
    v = ge.sgv(n.c.op, n.d.op)
    assert ge.sgv(v) is v
    assert ge.sgv(v, graph=g) is v
    assert names(ge.sgv("^[cd]$", graph=g).ops) == ["c", "d"]
    v2 = ge.sgv("^d$", "(?#ts)^e:", graph=g)
    assert names(v2.ops) == ["d"] and names(v2.passthroughs) == ["e:0"]
    v3 = ge.sgv([n.c.op, n.d.op], positive_filter=lambda x: x.name != "d")
    assert names(v3.ops) == ["c"]
    assert ge.sgv is ge.make_view and ge.sgv_scope is ge.make_view_from_scope


def test_make_view_errors(diamond):
    g, n = diamond
    g2 = tf.Graph()
    with pytest.raises(ValueError, match="Graph mismatch"):
        ge.sgv(n.c.op, graph=g2)
    with pytest.raises(ValueError, match="Graph mismatch"):
        ge.sgv(ge.sgv(n.c.op), graph=g2)
    with pytest.raises(TypeError, match="tf.Graph"):
        ge.sgv(ge.sgv(n.c.op), graph="g")
    with pytest.raises(ValueError, match="needs a graph"):
        ge.sgv("^c")
    with pytest.raises(ValueError, match="Wrong keyword"):
        ge.sgv(n.c.op, grap=g)


def test_make_view_from_scope():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 3], name="x")
        with tf.name_scope("layer"):
            w = tf.constant(np.ones((3, 4), np.float32), name="w")
            y = tf.matmul(x, w, name="y")
        tf.nn.relu(y, name="relu")
    sgv = ge.sgv_scope("layer", graph=g)
    assert names(sgv.ops) == ["layer/w", "layer/y"]
    assert names(sgv.inputs) == ["x:0"]
    assert names(sgv.outputs) == ["layer/y:0"]
    assert names(ge.sgv_scope("layer/", g).ops) == names(sgv.ops)
    with pytest.raises(TypeError, match="graph="):
        ge.sgv_scope("layer", graph=None)


def test_view_boundary_runs(diamond, feed):
    # The view's outputs, computed in a new session, match numpy.
    g, n = diamond
    sgv = ge.sgv(n.c.op, n.d.op)
    c, d = run(g, list(sgv.outputs), feed)
    a, b = feed["a:0"], feed["b:0"]
    np.testing.assert_allclose(c, a + b)
    np.testing.assert_allclose(d, (a + b) * b)


def test_view_on_function_graph():
    @tf.function
    def f(x):
        y = tf.tanh(x * 2.0, name="act")
        return y + x

    fg = f.get_concrete_function(tf.TensorSpec([3], tf.float32)).graph
    sgv = ge.sgv(fg)
    assert len(sgv.ops) == len(fg.get_operations())
    act = ge.sgv("act", graph=fg)
    assert [op.type for op in act.ops] == ["Tanh"]
    assert act.input_index(act.inputs[0]) == 0
    assert act.is_passthrough(act.inputs[0]) is False
    assert "act" in str(act)
