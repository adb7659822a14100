"""Tests for graph_editor.visualize: summary, networkx, DOT, render, TensorBoard."""

from __future__ import annotations

import re
import shutil
import sys

import networkx as nx
import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge
from graph_editor import visualize

HAS_DOT = shutil.which("dot") is not None


@pytest.fixture
def scoped():
    """x -> net/c = x + b -> net/inner/e = tanh(net/d) with a control edge; f outside."""
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [None, 2], name="b")
        with tf.name_scope("net"):
            c = tf.add(a, b, name="c")
            with tf.control_dependencies([a.op]):
                d = tf.multiply(c, b, name="d")
            with tf.name_scope("inner"):
                e = tf.tanh(d, name="e")
        f = tf.negative(c, name="f")
        s = tf.add(f, f, name="s")  # two edges from one tensor into one op
    return g, dict(a=a, b=b, c=c, d=d, e=e, f=f, s=s)


def _dot_nodes_edges(text: str) -> tuple[set[str], list[tuple[str, str, str]]]:
    """Node ids and (src, dst, attrs) edges of our DOT output (one statement per line)."""
    nodes = set(re.findall(r'^\s*"((?:[^"\\]|\\.)*)" \[label=', text, re.M))
    edges = re.findall(r'^\s*"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)" \[(.*)\];$', text, re.M)
    return nodes, edges


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------


def test_summary_graph_lists_every_op_with_types_inputs_shapes(scoped):
    g, t = scoped
    text = ge.summary(g)
    lines = text.splitlines()
    assert lines[0] == f"Graph: {len(g.get_operations())} ops (5 types)"
    assert lines[1].split() == ["#", "name", "type", "inputs", "outputs", "device"]
    rows = lines[3:]
    assert len(rows) == len(g.get_operations())
    by_name = {row.split()[1]: row for row in rows}
    assert set(by_name) == {op.name for op in g.get_operations()}
    assert "AddV2" in by_name["net/c"] and "a:0, b:0" in by_name["net/c"]
    assert "float32[?,2]" in by_name["net/c"]
    assert "^a" in by_name["net/d"]  # control input shown
    assert "float32[2]" in by_name["a"]


def test_summary_max_rows_and_view_boundary(scoped):
    g, t = scoped
    text = ge.summary(g, max_rows=2)
    assert text.splitlines()[-1] == f"... {len(g.get_operations()) - 2} more ops (max_rows=2)."
    view = ge.sgv(t["c"].op, t["d"].op)
    vtext = ge.summary(view)
    assert vtext.startswith("SubGraphView: 2 ops, 2 inputs, 2 outputs, 0 passthroughs")
    assert "  0: a:0  float32[2]" in vtext
    assert "  1: net/d:0  float32[?,2]" in vtext
    # str(sgv) keeps contrib's format.
    assert str(view).startswith("SubGraphView (graphid=")
    with pytest.raises(ge.GraphEditValueError):
        ge.summary(g, max_rows=-1)
    with pytest.raises(ge.GraphEditTypeError, match="t.op"):
        ge.summary(t["c"])


def test_summary_accepts_ops_graph_def_and_device(scoped):
    g, t = scoped
    assert ge.summary([t["c"].op]).startswith("1 ops (1 types)")
    gd_text = ge.summary(g.as_graph_def())
    assert gd_text.splitlines()[0] == f"Graph: {len(g.get_operations())} ops (5 types)"
    g2 = tf.Graph()
    with g2.as_default(), tf.device("/device:CPU:0"):
        tf.constant(1.0, name="k")
    assert "/device:CPU:0" in ge.summary(g2)


# --------------------------------------------------------------------------------------------
# networkx
# --------------------------------------------------------------------------------------------


def test_to_networkx_nodes_and_edges_match_the_graph(scoped):
    g, t = scoped
    nxg = ge.to_networkx(g)
    ops = g.get_operations()
    assert isinstance(nxg, nx.MultiDiGraph)
    assert set(nxg.nodes) == {op.name for op in ops}
    n_data = sum(len(op.inputs) for op in ops)
    n_ctrl = sum(len(op.control_inputs) for op in ops)
    assert nxg.number_of_edges() == n_data + n_ctrl
    for op in ops:
        assert nxg.nodes[op.name]["type"] == op.type
        assert nxg.nodes[op.name]["device"] == op.device
        for slot, x in enumerate(op.inputs):
            matches = [
                d for d in nxg.get_edge_data(x.op.name, op.name).values()
                if d["input_index"] == slot
            ]
            assert len(matches) == 1
            d = matches[0]
            assert d["tensor"] == x.name and d["output_index"] == x.value_index
            assert d["dtype"] == x.dtype.name and d["control"] is False
            assert d["shape"] == (None if x.shape.rank is None else tuple(x.shape.as_list()))
    ctrl = [d for _, _, d in nxg.edges(data=True) if d["control"]]
    assert len(ctrl) == 1 and ctrl[0]["tensor"] is None
    assert nxg.has_edge("a", "net/d")
    # the double edge f -> s (both inputs of s read f:0) is kept twice
    assert len(nxg.get_edge_data("f", "s")) == 2
    assert nxg.nodes["net/inner/e"]["scope"] == "net/inner/"
    assert nxg.nodes["a"]["attrs"]["dtype"] == "float32"
    assert nx.is_directed_acyclic_graph(nxg)
    assert [n for n in nx.topological_sort(nxg)][0] in ("a", "b")


def test_to_networkx_without_control_and_for_a_view(scoped):
    g, t = scoped
    nxg = ge.to_networkx(g, control=False)
    assert not any(d["control"] for _, _, d in nxg.edges(data=True))
    view = ge.sgv(t["c"].op, t["d"].op)
    vg = ge.to_networkx(view)
    assert set(vg.nodes) == {"net/c", "net/d"}
    assert [(u, v, d["tensor"]) for u, v, d in vg.edges(data=True)] == [
        ("net/c", "net/d", "net/c:0")
    ]
    assert vg.graph["inputs"] == ["a:0", "b:0"]
    assert vg.graph["outputs"] == ["net/c:0", "net/d:0"]


def test_to_networkx_of_a_function_graph():
    @tf.function
    def fn(x):
        return tf.nn.relu(x) * 2.0

    cf = fn.get_concrete_function(tf.TensorSpec([3], tf.float32))
    nxg = ge.to_networkx(cf)
    assert nxg.number_of_nodes() == len(cf.graph.get_operations())
    assert "Relu" in {d["type"] for _, d in nxg.nodes(data=True)}


# --------------------------------------------------------------------------------------------
# DOT
# --------------------------------------------------------------------------------------------


def test_to_dot_clusters_nodes_edges(scoped):
    g, t = scoped
    text = ge.to_dot(g)
    assert text.startswith('digraph "G" {') and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    nodes, edges = _dot_nodes_edges(text)
    assert nodes == {op.name for op in g.get_operations()}
    # nested clusters net/ and net/inner/, the latter inside the former
    i_net = text.index('subgraph "cluster_net/"')
    i_inner = text.index('subgraph "cluster_net/inner/"')
    i_e = text.index('"net/inner/e" [label=')
    assert i_net < i_inner < i_e
    data = [(s, d) for s, d, a in edges if "style=dashed" not in a]
    ctrl = [(s, d) for s, d, a in edges if "style=dashed" in a]
    assert ctrl == [("a", "net/d")]
    # one DOT edge per (producer, consumer, tensor): f:0 read twice by s is drawn once
    assert len(data) == sum(len({x.name for x in op.inputs}) for op in g.get_operations())
    assert 'label="float32[?,2]"' in text
    assert "style=dashed" not in ge.to_dot(g, control=False)
    assert "float32" not in ge.to_dot(g, show_shapes=False).split("edge [")[1]


def test_to_dot_view_highlights_ops_inputs_outputs_and_context(scoped):
    g, t = scoped
    view = ge.sgv(t["c"].op, t["d"].op)
    text = ge.to_dot(view)
    nodes, edges = _dot_nodes_edges(text)
    # view ops + producers of its inputs + consumers of its outputs
    assert nodes == {"net/c", "net/d", "a", "b", "f", "net/inner/e"}
    lines = {n: line for line in text.splitlines() for n in nodes
             if line.strip().startswith(f'"{n}" [label=')}
    assert "#fde68a" in lines["net/c"] and "#fde68a" in lines["net/d"]
    assert "dashed" in lines["a"] and "#fde68a" not in lines["a"]
    by_pair = {(s, d): a for s, d, a in edges}
    assert 'label="in 0 float32[2]"' in by_pair[("a", "net/c")]
    assert visualize._INPUT_COLOR in by_pair[("a", "net/c")]
    assert 'label="out 1 float32[?,2]"' in by_pair[("net/d", "net/inner/e")]
    assert visualize._OUTPUT_COLOR in by_pair[("net/c", "f")]
    # inner edge is neither
    assert "color" not in by_pair[("net/c", "net/d")]
    assert set(_dot_nodes_edges(ge.to_dot(view, context=False))[0]) == {"net/c", "net/d"}


def test_to_dot_highlight_in_whole_graph_and_other_graph_rejected(scoped, diamond):
    g, t = scoped
    text = ge.to_dot(g, highlight=[t["e"].op])
    nodes, _ = _dot_nodes_edges(text)
    assert nodes == {op.name for op in g.get_operations()}
    hl = [line for line in text.splitlines() if "#fde68a" in line]
    assert len(hl) == 1 and hl[0].strip().startswith('"net/inner/e"')
    g2, _ = diamond
    with pytest.raises(ge.GraphEditValueError, match="another graph"):
        ge.to_dot(g, highlight=g2.get_operations())


def test_to_dot_collapse_depth(scoped):
    g, t = scoped
    text = ge.to_dot(g, collapse_depth=0)
    nodes, edges = _dot_nodes_edges(text)
    assert nodes == {"a", "b", "net/", "f", "s"}
    assert '"net/" [label="net/\\n(3 ops)"' in text
    pairs = {(s, d) for s, d, _ in edges}
    assert ("net/", "f") in pairs and ("a", "net/") in pairs
    assert all(s != d for s, d, _ in edges)
    nodes1, _ = _dot_nodes_edges(ge.to_dot(g, collapse_depth=1))
    assert nodes1 == {"a", "b", "net/c", "net/d", "net/inner/", "f", "s"}
    with pytest.raises(ge.GraphEditValueError):
        ge.to_dot(g, collapse_depth=-1)


def test_to_dot_max_ops_guard_message(scoped):
    g, _ = scoped
    with pytest.raises(ge.GraphEditValueError) as info:
        ge.to_dot(g, max_ops=3)
    msg = str(info.value)
    assert "7 nodes" in msg and "max_ops=3" in msg
    assert "collapse_depth" in msg and "sgv_scope" in msg
    with pytest.raises(ge.GraphEditValueError):
        ge.to_dot(g, max_ops=4, collapse_depth=0)
    assert ge.to_dot(g, max_ops=None)


def test_to_dot_escapes_backslashes_in_names():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0, name="odd\\name")  # TF allows backslashes in op names
        tf.constant(2.0, name="plain")
    text = ge.to_dot(g)
    assert '"odd\\\\name" [label="odd\\\\name\\nConst"' in text
    nodes, _ = _dot_nodes_edges(text)
    assert nodes == {"odd\\\\name", "plain"}
    assert visualize._q('a"b\\c') == '"a\\"b\\\\c"'


def test_to_dot_parsed_by_pydot(scoped):
    pydot = pytest.importorskip("pydot")
    g, t = scoped
    (parsed,) = pydot.graph_from_dot_data(ge.to_dot(ge.sgv(t["c"].op, t["d"].op)))
    clusters = [s.get_name().strip('"') for s in parsed.get_subgraphs()]
    assert "cluster_net/" in clusters
    (parsed_full,) = pydot.graph_from_dot_data(ge.to_dot(g))
    assert len(parsed_full.get_edges()) + sum(
        len(s.get_edges()) for s in parsed_full.get_subgraphs()
    ) == len(_dot_nodes_edges(ge.to_dot(g))[1])


# --------------------------------------------------------------------------------------------
# render
# --------------------------------------------------------------------------------------------


def test_render_dot_file_needs_no_graphviz(scoped, tmp_path, monkeypatch):
    g, _ = scoped
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    path = ge.render(g, tmp_path / "g.dot")
    assert path.read_text() == ge.to_dot(g)


def test_render_without_graphviz_raises_import_error_and_writes_nothing(
    scoped, tmp_path, monkeypatch
):
    g, _ = scoped
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` fails
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)  # no `dot` program
    assert not visualize.has_graphviz()
    with pytest.raises(ImportError) as info:
        ge.render(g, tmp_path / "g.svg")
    assert isinstance(info.value, ge.GraphvizNotFoundError)
    assert isinstance(info.value, ge.GraphEditError)
    assert "pip install tf-graph-editor[viz]" in str(info.value)
    assert "apt-get install graphviz" in str(info.value)
    assert not (tmp_path / "g.svg").exists()


def test_render_bad_format_and_max_ops_write_nothing(scoped, tmp_path):
    g, _ = scoped
    with pytest.raises(ge.GraphEditValueError, match="unknown format"):
        ge.render(g, tmp_path / "g.bmpx")
    with pytest.raises(ge.GraphEditValueError, match="extension"):
        ge.render(g, tmp_path / "noext")
    with pytest.raises(ge.GraphEditValueError, match="max_ops"):
        ge.render(g, tmp_path / "g.dot", max_ops=2)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_render_svg_with_dot_program(scoped, tmp_path, monkeypatch):
    g, t = scoped
    monkeypatch.setitem(sys.modules, "graphviz", None)  # force the subprocess path
    path = ge.render(ge.sgv(t["c"].op, t["d"].op), tmp_path / "view.svg", title="a view")
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for name in ("net/c", "net/d", "a"):
        assert f"<title>{name}</title>" in svg
    assert "a view" in svg
    png = ge.render(g, tmp_path / "g.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_render_with_graphviz_package(scoped, tmp_path):
    pytest.importorskip("graphviz")
    g, _ = scoped
    svg = ge.render(g, tmp_path / "g.svg").read_text()
    assert "<title>net/inner/e</title>" in svg and "cluster_net/" in svg


def test_render_graphviz_package_without_dot_program(scoped, tmp_path, monkeypatch):
    graphviz = pytest.importorskip("graphviz")
    g, _ = scoped

    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    with pytest.raises(ge.GraphvizNotFoundError, match="apt-get install graphviz"):
        ge.render(g, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


# --------------------------------------------------------------------------------------------
# TensorBoard
# --------------------------------------------------------------------------------------------


def _events(path):
    return list(tf.compat.v1.train.summary_iterator(str(path)))


def test_write_tensorboard_event_file_holds_the_graph_def(scoped, tmp_path):
    g, _ = scoped
    path = ge.write_tensorboard(g, tmp_path / "logs")
    assert path.parent == tmp_path / "logs" and "tfevents" in path.name
    events = _events(path)
    assert events[0].file_version == "brain.Event:2"
    graphs = [e for e in events if e.graph_def]
    assert len(graphs) == 1
    gd = tf.compat.v1.GraphDef.FromString(graphs[0].graph_def)
    assert gd == g.as_graph_def()
    # a second call writes a second file, the first untouched
    path2 = ge.write_tensorboard(g, tmp_path / "logs")
    assert path2 != path and len(list((tmp_path / "logs").iterdir())) == 2


def test_write_tensorboard_view_function_and_graph_mode(scoped, tmp_path):
    g, t = scoped
    view = ge.sgv(t["c"].op, t["d"].op)
    gd = tf.compat.v1.GraphDef.FromString(
        [e for e in _events(ge.write_tensorboard(view, tmp_path)) if e.graph_def][0].graph_def
    )
    assert [n.name for n in gd.node] == ["net/c", "net/d"]

    @tf.function
    def fn(x):
        return x * 2.0

    cf = fn.get_concrete_function(tf.TensorSpec([2], tf.float32))
    gd = tf.compat.v1.GraphDef.FromString(
        [e for e in _events(ge.write_tensorboard(cf, tmp_path / "fn")) if e.graph_def][0].graph_def
    )
    assert gd == cf.graph.as_graph_def()
    # inside another graph's as_default(): no op is added anywhere
    other = tf.Graph()
    n_before = len(g.get_operations())
    with other.as_default():
        ge.write_tensorboard(g, tmp_path / "gm")
    assert other.get_operations() == [] and len(g.get_operations()) == n_before
    with pytest.raises(ge.GraphEditTypeError):
        ge.write_tensorboard(t["c"], tmp_path)


def test_visualizing_does_not_change_the_graph(scoped, feed, tmp_path):
    g, t = scoped
    before = g.as_graph_def()
    ge.summary(g)
    ge.to_networkx(g)
    ge.to_dot(ge.sgv(t["c"].op))
    ge.write_tensorboard(g, tmp_path)
    assert g.as_graph_def() == before
    out = run(g, t["e"], {"a:0": feed["a:0"], "b:0": feed["b:0"][None]})
    np.testing.assert_allclose(out, np.tanh((feed["a:0"] + feed["b:0"]) * feed["b:0"])[None])


def test_op_type_histogram(scoped):
    g, _ = scoped
    hist = visualize.op_type_histogram(g)
    assert hist[:2] == [("AddV2", 2), ("Placeholder", 2)]  # ties by name
    assert sum(n for _, n in hist) == len(g.get_operations())
