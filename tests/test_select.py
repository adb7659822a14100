"""Tests of graph_editor.select: filters, regexes, boundaries, walks and their order."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pytest
import tensorflow as tf
from conftest import build_dag, dag_specs, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graph_editor as ge
from graph_editor import select


def names(objs):
    return [x.name for x in objs]


# ---------------------------------------------------------------- regexes and filters


def test_can_be_regex_and_make_regex(diamond):
    _, n = diamond
    assert ge.can_be_regex("a") and ge.can_be_regex(re.compile("a"))
    assert not ge.can_be_regex(n.a) and not ge.can_be_regex(3)
    r = re.compile("x")
    assert ge.make_regex(r) is r
    assert ge.make_regex("^a$").pattern == "^a$"
    with pytest.raises(ValueError, match="string or a compiled regex"):
        ge.make_regex(3)
    with pytest.raises(ValueError, match=r"Invalid regex '\('"):
        ge.make_regex("(")


def test_filter_ts_order_inputs_then_outputs(diamond):
    g, n = diamond
    ts = ge.filter_ts([n.d.op, n.c.op], True)
    # inputs of d (c, b), of c (a, b) first, then outputs not listed yet (d).
    assert names(ts) == ["c:0", "b:0", "a:0", "d:0"]
    assert names(ge.filter_ts(g, lambda t: t.name.startswith("c"))) == ["c:0"]
    assert names(ge.filter_ts_from_regex(g, r"^[ae]:")) == ["a:0", "e:0"]


def test_filter_ops(diamond):
    g, n = diamond
    assert ge.filter_ops(g, True) == g.get_operations()
    assert names(ge.filter_ops(g, lambda op: op.type == "AddV2")) == ["c"]
    assert names(ge.filter_ops_from_regex(g, "[cd]")) == ["c", "d"]
    # search, not match
    assert names(ge.filter_ops_from_regex(g, "e$")) == ["e"]


def test_get_name_scope_ops():
    g = tf.Graph()
    with g.as_default():
        with tf.name_scope("net"):
            tf.constant(1.0, name="w")
            with tf.name_scope("sub"):
                tf.constant(2.0, name="x")
        tf.constant(3.0, name="network")
        tf.constant(5.0, name="netXw")
    got = names(ge.get_name_scope_ops(g, "net"))
    assert got == names(ge.get_name_scope_ops(g, "net/"))
    assert got == ["net/w", "net/sub/x"]  # not "network", not "netXw"
    assert names(ge.get_name_scope_ops(g, "net/sub")) == ["net/sub/x"]


def test_name_scope_is_matched_literally():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0, name="a.b/x")
        tf.constant(1.0, name="aXb/x")
    assert names(ge.get_name_scope_ops(g, "a.b")) == ["a.b/x"]


# ---------------------------------------------------------------- cios, ios, boundaries


def test_check_cios(diamond):
    g, _ = diamond
    co = ge.ControlOutputs(g)
    assert ge.check_cios() == (False, None)
    assert ge.check_cios(True) == (True, None)
    assert ge.check_cios(control_outputs=co) == (False, co)
    assert ge.check_cios(control_ios=co) == (True, co)
    with pytest.raises(ValueError, match="control_ios"):
        ge.check_cios(control_outputs=co, control_ios=co)
    with pytest.raises(TypeError, match="ControlOutputs"):
        ge.check_cios(control_ios=g)
    with pytest.raises(TypeError, match="ControlOutputs"):
        ge.check_cios(control_outputs=True)


def test_get_ops_ios(diamond):
    g, n = diamond
    assert names(ge.get_ops_ios(n.c.op)) == ["a", "b", "d", "f"]
    assert names(ge.get_ops_ios([n.c.op, n.d.op])) == ["a", "b", "d", "f", "c", "e"]


def test_get_ops_ios_control_edges():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        with tf.control_dependencies([a.op]):
            b = tf.constant(2.0, name="b")
        with tf.control_dependencies([b.op]):
            tf.constant(3.0, name="c")
    co = ge.ControlOutputs(g)
    assert ge.get_ops_ios(b.op) == []
    assert names(ge.get_ops_ios(b.op, control_inputs=True)) == ["a"]
    assert names(ge.get_ops_ios(b.op, control_outputs=co)) == ["c"]
    assert names(ge.get_ops_ios(b.op, control_ios=co)) == ["c", "a"]


def test_compute_boundary_ts(diamond):
    _, n = diamond
    ins, outs, inside = ge.compute_boundary_ts([n.c.op, n.d.op])
    assert names(ins) == ["a:0", "b:0"]
    # c is consumed inside (by d) AND outside (by f): output and inside.
    assert names(outs) == ["c:0", "d:0"]
    assert names(inside) == ["c:0"]
    ins, outs, inside = ge.compute_boundary_ts([n.c.op, n.d.op, n.f.op])
    assert names(outs) == ["d:0", "f:0"]  # c now consumed only inside
    assert names(inside) == ["c:0"]
    ins, outs, inside = ge.compute_boundary_ts([n.d.op, n.c.op])
    assert names(ins) == ["b:0", "a:0"]  # op order, then slot order


def test_get_within_boundary_ops(diamond):
    g, n = diamond
    res = ge.get_within_boundary_ops(g, [n.d.op], boundary_ops=[n.c.op, n.e.op])
    assert names(res) == ["b", "c", "d", "e"]  # graph order; b reached through d
    res = ge.get_within_boundary_ops(g, [n.d.op], [n.c.op, n.e.op], inclusive=False)
    assert names(res) == ["b", "d"]
    # result restricted to and ordered like `ops`
    res = ge.get_within_boundary_ops([n.e.op, n.d.op], [n.d.op], [n.c.op])
    assert names(res) == ["e", "d"]
    with pytest.raises(ValueError, match="op 'd'.*both"):
        ge.get_within_boundary_ops(g, [n.d.op], [n.d.op])
    with pytest.raises(TypeError):
        ge.get_within_boundary_ops(g, g)


# ---------------------------------------------------------------- walks


def test_forward_walk(diamond):
    g, n = diamond
    assert names(ge.get_forward_walk_ops([n.a.op])) == ["a", "c", "d", "f", "e"]
    assert names(ge.get_forward_walk_ops(n.a.op, inclusive=False)) == ["c", "d", "f", "e"]
    # tensor seeds mean their consumers
    assert names(ge.get_forward_walk_ops([n.c])) == ["d", "f", "e"]
    assert names(ge.get_forward_walk_ops([n.a.op], stop_at_ts=[n.c])) == ["a", "c"]
    assert names(ge.get_forward_walk_ops([n.a.op], within_ops=[n.a.op, n.c.op, n.f.op])) == [
        "a", "c", "f"]
    assert names(
        ge.get_forward_walk_ops([n.a.op], within_ops_fn=lambda op: op.type != "Neg")
    ) == ["a", "c", "d", "e"]
    assert ge.get_forward_walk_ops([]) == []
    assert ge.get_forward_walk_ops([n.a.op], within_ops=[]) == []
    # generators are fine
    assert names(ge.get_forward_walk_ops(op for op in [n.d.op])) == ["d", "e"]


def test_forward_walk_inclusive_false_removes_reached_seeds(diamond):
    _, n = diamond
    assert names(ge.get_forward_walk_ops([n.a.op, n.d.op], inclusive=False)) == ["c", "e", "f"]


def test_backward_walk(diamond):
    g, n = diamond
    assert names(ge.get_backward_walk_ops([n.e.op])) == ["e", "d", "c", "b", "a"]
    assert names(ge.get_backward_walk_ops([n.e], inclusive=False)) == ["d", "c", "b", "a"]
    assert names(ge.get_backward_walk_ops([n.e.op], stop_at_ts=[n.c])) == ["e", "d", "b"]
    assert names(ge.get_backward_walk_ops(n.f.op, within_ops=[n.f.op, n.c.op, n.a.op])) == [
        "f", "c", "a"]
    with pytest.raises(TypeError, match="allow_graph|tf.Graph"):
        ge.get_backward_walk_ops(g)


def test_walks_follow_control_edges():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        with tf.control_dependencies([a.op]):
            b = tf.constant(2.0, name="b")
        c = tf.identity(b, name="c")
    co = ge.ControlOutputs(g)
    assert names(ge.get_forward_walk_ops([a.op])) == ["a"]
    assert names(ge.get_forward_walk_ops([a.op], control_outputs=co)) == ["a", "b", "c"]
    assert names(ge.get_backward_walk_ops([c.op])) == ["c", "b"]
    assert names(ge.get_backward_walk_ops([c.op], control_inputs=True)) == ["c", "b", "a"]
    assert names(ge.get_walks_intersection_ops([a.op], [c.op], control_ios=co)) == [
        "a", "b", "c"]
    assert ge.get_walks_intersection_ops([a.op], [c.op]) == []


def test_walks_intersection_and_union(diamond):
    _, n = diamond
    assert names(ge.get_walks_intersection_ops([n.a], [n.e])) == ["c", "d", "e"]
    assert names(ge.get_walks_intersection_ops([n.a.op], [n.e.op])) == ["a", "c", "d", "e"]
    assert names(
        ge.get_walks_intersection_ops([n.a.op], [n.e.op], forward_inclusive=False)
    ) == ["c", "d", "e"]
    assert names(ge.get_walks_union_ops([n.c.op], [n.d.op])) == ["c", "d", "f", "e", "b", "a"]
    assert names(
        ge.get_walks_union_ops([n.c.op], [n.d.op], within_ops=[n.c.op, n.d.op, n.b.op])
    ) == ["c", "d", "b"]


# ---------------------------------------------------------------- select_*


def test_select_ops(diamond):
    g, n = diamond
    assert names(ge.select_ops("^[cd]$", graph=g)) == ["c", "d"]
    assert names(ge.select_ops(n.e.op, "^[cd]$", n.c.op, graph=g)) == ["e", "c", "d"]
    assert names(ge.select_ops([n.c.op, n.a], graph=g)) == ["c"]  # tensors ignored
    assert names(ge.select_ops("(?#ts)^c", "^d", graph=g)) == ["d"]
    assert names(ge.select_ops("^c", "(?#ops)^d", graph=g, restrict_ops_regex=True)) == ["d"]
    assert names(ge.select_ops(g, positive_filter=lambda op: op.type == "Tanh")) == ["e"]
    assert ge.ops is ge.select_ops
    assert ge.select_ops(g) == g.get_operations()
    assert ge.select_ops("^c", graph=g, restrict_ts_regex=True)  # accepted, ignored


def test_select_ops_errors(diamond):
    g, n = diamond
    with pytest.raises(ValueError, match="needs a graph"):
        ge.select_ops("^c")
    with pytest.raises(ValueError, match="Wrong keyword argument.*bogus"):
        ge.select_ops(n.c.op, bogus=1)
    with pytest.raises(TypeError, match="tf.Graph"):
        ge.select_ops("^c", graph=n.c)
    with pytest.raises(ValueError, match="Invalid regex"):
        ge.select_ops("(", graph=g)
    assert issubclass(ge.GraphEditValueError, ValueError)


def test_select_ts(diamond):
    g, n = diamond
    assert names(ge.select_ts("^[ce]:", graph=g)) == ["c:0", "e:0"]
    assert names(ge.select_ts(n.e, "(?#ops)^c", n.c.op, graph=g)) == ["e:0"]
    assert names(ge.select_ts("^c", "(?#ts)^d", graph=g, restrict_ts_regex=True)) == ["d:0"]
    assert ge.ts is ge.select_ts
    # regex tensor order is filter_ts order: consumed tensors first, then the others
    assert names(ge.select_ts(".*", graph=g)) == ["a:0", "b:0", "c:0", "d:0", "e:0", "f:0"]
    with pytest.raises(ValueError, match="Wrong keyword"):
        ge.select_ts(n.c, nope=2)


def test_select_ops_and_ts(diamond):
    g, n = diamond
    ops, ts = ge.select_ops_and_ts("^[cd]$", "(?#ts)^b:", n.e, graph=g)
    assert names(ops) == ["c", "d"]
    assert names(ts) == ["b:0", "e:0"]


def test_selection_on_function_graph():
    @tf.function
    def f(x):
        return tf.tanh(x * 2.0) + x

    fg = f.get_concrete_function(tf.TensorSpec([3], tf.float32)).graph
    mul = [op for op in fg.get_operations() if op.type == "Mul"]
    fwd = ge.get_forward_walk_ops(mul)
    assert [op.type for op in fwd][:3] == ["Mul", "Tanh", "AddV2"]
    assert ge.select_ts("mul", graph=fg)
    assert ge.compute_boundary_ts(fg)[1]


def test_selected_subgraph_runs(diamond, feed):
    # The ops between a and e, run: numbers match numpy.
    g, n = diamond
    ops = ge.get_walks_intersection_ops([n.a], [n.e])
    assert names(ops) == ["c", "d", "e"]
    got = run(g, [op.outputs[0] for op in ops], feed)
    a, b = feed["a:0"], feed["b:0"]
    np.testing.assert_allclose(got[0], a + b)
    np.testing.assert_allclose(got[2], np.tanh((a + b) * b), rtol=1e-6)


# ---------------------------------------------------------------- properties on random DAGs


def _add_n(*ts, name):
    return tf.add_n(list(ts), name=name)


# Node i of the random DAG is ops[i]: the placeholder in0, then Const / Identity / AddN ops
# (an AddN may read one tensor twice).
_KINDS = {
    "const": (0, lambda name: tf.constant(1.0, name=name)),
    "identity": (1, tf.identity),
    "add2": (2, _add_n),
    "add3": (3, _add_n),
}


def _random_graph(spec):
    """Build ``spec``; return (g, ops, nxg), with nxg the same DAG in networkx."""
    g, ts = build_dag(spec, _KINDS, shape=[], name="n{k}")
    nxg = nx.MultiDiGraph()
    nxg.add_nodes_from(range(len(ts)))
    for k, (_, ins, _) in enumerate(spec.nodes):
        nxg.add_edges_from((i, spec.n_inputs + k) for i in ins)
    return g, [t.op for t in ts], nxg


dag_strategy = dag_specs(_KINDS, n_inputs=1, n_ops=(1, 13)).flatmap(
    lambda spec: st.tuples(
        st.just(spec),
        st.lists(st.integers(0, len(spec.nodes)), min_size=1, max_size=3),
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dag_strategy)
def test_walks_match_networkx(case):
    spec, seeds = case
    g, ops, nxg = _random_graph(spec)
    n_nodes = len(ops)
    index = {op: i for i, op in enumerate(ops)}
    seed_ops = [ops[s] for s in seeds]
    seed_ids = list(dict.fromkeys(seeds))

    fwd = [index[op] for op in ge.get_forward_walk_ops(seed_ops)]
    expected = set(seed_ids).union(*(nx.descendants(nxg, s) for s in seed_ids))
    assert set(fwd) == expected and len(fwd) == len(expected)
    # breadth-first: distance from the seeds never decreases along the result
    dist = nx.multi_source_dijkstra_path_length(nxg, seed_ids)
    assert [dist[i] for i in fwd] == sorted(dist[i] for i in fwd)
    assert fwd[: len(seed_ids)] == seed_ids

    bwd = [index[op] for op in ge.get_backward_walk_ops(seed_ops)]
    expected_b = set(seed_ids).union(*(nx.ancestors(nxg, s) for s in seed_ids))
    assert set(bwd) == expected_b and len(bwd) == len(expected_b)

    last = [ops[-1]]
    inter = {index[op] for op in ge.get_walks_intersection_ops(seed_ops, last)}
    assert inter == expected & (nx.ancestors(nxg, n_nodes - 1) | {n_nodes - 1})
    union = [index[op] for op in ge.get_walks_union_ops(seed_ops, last)]
    assert set(union) == expected | nx.ancestors(nxg, n_nodes - 1) | {n_nodes - 1}
    assert len(union) == len(set(union))

    # within-boundary flood fill == connected component in the undirected graph minus boundary
    boundary = [i for i in range(n_nodes) if i % 3 == 2 and i not in seed_ids]
    res = {
        index[op]
        for op in ge.get_within_boundary_ops(g, seed_ops, [ops[i] for i in boundary],
                                             inclusive=False)
    }
    und = nx.Graph(nxg.to_undirected())
    und.remove_nodes_from(boundary)
    comp = set().union(*(nx.node_connected_component(und, s) for s in seed_ids))
    assert res == comp


def test_private_helpers_used_by_legacy_code(diamond):
    _, n = diamond
    assert names(select._get_input_ts([n.d.op, n.c.op])) == ["c:0", "b:0", "a:0"]
    assert names(select._get_output_ts([n.d.op, n.c.op])) == ["d:0", "c:0"]
