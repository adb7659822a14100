"""graph_editor._graphdef: NodeDef input strings, the backward walk, subsets and copies."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run
from tensorflow.core.framework import graph_pb2

from graph_editor import _graphdef


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("^ctrl", ("ctrl", -1, True)),
        ("^scope/ctrl_1", ("scope/ctrl_1", -1, True)),
        ("name:1", ("name", 1, False)),
        ("a/b/split:12", ("a/b/split", 12, False)),
        ("name", ("name", 0, False)),
        ("scope/name_2", ("scope/name_2", 0, False)),
    ],
)
def test_parse_input(text, parsed):
    assert _graphdef.parse_input(text) == parsed


def _library_graph():
    """x -> call double(x) -> y = call + c, y waits for ``ctrl`` (which waits for ``u``);
    ``dead`` is not needed by y. ``double`` lives in the graph's function library."""

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def double(v):
        return v * 2.0

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        c = tf.constant([1.0, -1.0], name="c")
        u = tf.constant(5.0, name="u")
        with g.control_dependencies([u]):
            ctrl = tf.no_op(name="ctrl")
        call = tf.identity(double(x), name="call")
        with g.control_dependencies([ctrl]):
            y = tf.add(call, c, name="y")
        tf.negative(y, name="dead")
    return g, y


def test_needed_nodes_follows_data_and_control_inputs_through_a_call():
    g, y = _library_graph()
    gd = g.as_graph_def()
    assert len(gd.library.function) >= 1
    nodes = {n.name: n for n in gd.node}
    names = _graphdef.needed_nodes(nodes, ["y"])
    call_ops = {op.name for op in g.get_operations() if op.type.endswith("PartitionedCall")}
    assert call_ops and call_ops <= names
    assert {"x", "c", "u", "ctrl", "call", "y"} <= names
    assert "dead" not in names
    # the same set as a walk over the live ops
    assert names == {op.name for op in _graphdef.needed_ops([y.op])}


def test_needed_nodes_fed_inputs_and_dropped_control_edges():
    g, _ = _library_graph()
    nodes = {n.name: n for n in g.as_graph_def().node}
    no_ctrl = _graphdef.needed_nodes(nodes, ["y"], drop_control={("y", "ctrl")})
    assert "ctrl" not in no_ctrl and "u" not in no_ctrl and "c" in no_ctrl
    fed = _graphdef.needed_nodes(nodes, ["y"], fed={("call", 0)})
    assert "call" not in fed and "x" not in fed and {"y", "c", "ctrl", "u"} <= fed
    assert _graphdef.needed_nodes(nodes, ["y", "dead"]) >= {"dead", "x"}


def test_needed_nodes_is_iterative_and_linear_on_a_long_chain():
    gd = graph_pb2.GraphDef()
    n = 50_000
    gd.node.add(name="n0", op="Placeholder")
    for i in range(1, n):
        node = gd.node.add(name=f"n{i}", op="Identity", input=[f"n{i - 1}"])
        if i % 7 == 0:
            node.input.append(f"^n{i - 3}")  # a second path to an already reached node
    nodes = {node.name: node for node in gd.node}
    assert len(_graphdef.needed_nodes(nodes, [f"n{n - 1}"])) == n  # no recursion limit
    assert _graphdef.needed_nodes(nodes, ["n10"]) == {f"n{i}" for i in range(11)}


def test_subset_keeps_library_and_versions_and_runs():
    g, _ = _library_graph()
    gd = g.as_graph_def()
    names = _graphdef.needed_nodes({n.name: n for n in gd.node}, ["y"])
    small = _graphdef.subset(gd, names)
    assert small.versions == gd.versions
    assert sorted(f.signature.name for f in small.library.function) == sorted(
        f.signature.name for f in gd.library.function
    )
    assert [n.name for n in small.node] == [n.name for n in gd.node if n.name in names]
    small.node[0].name = "changed"  # a copy: the source is untouched
    assert gd.node[0].name != "changed"
    small = _graphdef.subset(gd, names)
    new = _graphdef.import_graph(small)
    assert "dead" not in {op.name for op in new.get_operations()}
    x = np.array([1.5, -2.0], np.float32)
    out = run(new, "y:0", {"x:0": x})
    np.testing.assert_allclose(out, x * 2.0 + [1.0, -1.0])
    np.testing.assert_allclose(out, run(g, "y:0", {"x:0": x}))
    dropped = _graphdef.subset(gd, drop={"dead"})
    assert [n.name for n in dropped.node] == [n.name for n in gd.node if n.name != "dead"]


def test_extract_and_copy_graph_keep_names_and_numbers():
    g, y = _library_graph()
    x = np.array([3.0, 4.0], np.float32)
    kept = _graphdef.needed_ops([y.op])
    new = _graphdef.extract(g, kept)
    assert [op.name for op in new.get_operations()] == [
        op.name for op in g.get_operations() if op in kept
    ]
    np.testing.assert_allclose(run(new, "y:0", {"x:0": x}), x * 2.0 + [1.0, -1.0])
    copy = _graphdef.copy_graph(g)
    assert copy is not g
    assert [op.name for op in copy.get_operations()] == [op.name for op in g.get_operations()]
    np.testing.assert_allclose(run(copy, "dead:0", {"x:0": x}), -(x * 2.0 + [1.0, -1.0]))


def test_needed_ops_stops_and_extract_replaces():
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        b = tf.exp(a, name="b")
        c = tf.square(b, name="c")
    kept = _graphdef.needed_ops([c.op], stops={b.op})
    assert {op.name for op in kept} == {"b", "c"}
    ph = tf.compat.v1.NodeDef(name="b", op="Placeholder")
    ph.attr["dtype"].type = tf.float32.as_datatype_enum
    new = _graphdef.extract(g, kept, replace={b.op: ph})
    assert new.get_operation_by_name("b").type == "Placeholder"
    np.testing.assert_allclose(run(new, "c:0", {"b:0": [2.0, 3.0]}), [4.0, 9.0])


def test_graph_def_bytes_is_the_serialized_subset():
    g, y = _library_graph()
    ops = sorted(_graphdef.needed_ops([y.op]), key=lambda op: op.name)
    parsed = graph_pb2.GraphDef.FromString(_graphdef.graph_def_bytes(g, ops))
    assert [n.name for n in parsed.node] == [op.name for op in ops]
    assert parsed.node[0] == ops[0].node_def
    assert len(parsed.library.function) == len(g.as_graph_def().library.function)
