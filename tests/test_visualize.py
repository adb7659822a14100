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
    # render runs the `dot` program itself (so that it can stop it after `timeout`): the
    # Python package alone does not draw, and its absence of `dot` is reported the same way.
    pytest.importorskip("graphviz")
    g, _ = scoped
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
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


# --------------------------------------------------------------------------------------------
# Layer-level pictures of Keras / TF2 graphs
# --------------------------------------------------------------------------------------------

SMALL_LAYERS = ["image", "conv", "bn", "relu", "block_1_conv", "block_1_relu", "block_1_add",
                "pool", "head"]
SMALL_EDGES = {("image", "conv"), ("conv", "bn"), ("bn", "relu"), ("relu", "block_1_conv"),
               ("block_1_conv", "block_1_relu"), ("relu", "block_1_add"),
               ("block_1_relu", "block_1_add"), ("block_1_add", "pool"), ("pool", "head")}


def _with_bn_statistics(model):
    """Non-trivial BatchNormalization moving statistics (else BN hides errors)."""
    import keras

    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype("float32"),
                rng.normal(0, 0.1, beta.shape).astype("float32"),
                rng.normal(0, 0.1, mean.shape).astype("float32"),
                rng.uniform(0.5, 1.5, var.shape).astype("float32"),
            ])
    return model


@pytest.fixture(scope="module")
def small_model():
    """image -> conv -> bn -> relu -> (block_1_conv -> block_1_relu) + relu -> pool -> head."""
    import keras

    inp = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    y = keras.layers.Conv2D(4, 1, name="block_1_conv")(x)
    y = keras.layers.ReLU(name="block_1_relu")(y)
    x = keras.layers.Add(name="block_1_add")([x, y])
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    out = keras.layers.Dense(3, name="head")(x)
    return _with_bn_statistics(keras.Model(inp, out, name="small"))


def _dot_labels(text: str) -> dict[str, list[str]]:
    """node id -> label lines, for the nodes of our DOT output."""
    out = {}
    for nid, label in re.findall(
        r'^\s*"((?:[^"\\]|\\.)*)" \[label="((?:[^"\\]|\\.)*)"', text, re.M
    ):
        out[nid] = label.split("\\n")
    return out


def _layer_picture(text: str) -> tuple[dict[str, list[str]], set[tuple[str, str]]]:
    """{layer name: label lines}, {(src name, dst name)} of a layer-level DOT text."""
    labels = _dot_labels(text)
    name_of = {nid: lines[0] for nid, lines in labels.items()}
    _, edges = _dot_nodes_edges(text)
    pairs = {(name_of[s], name_of[d]) for s, d, _ in edges if s in name_of and d in name_of}
    return {lines[0]: lines for lines in labels.values()}, pairs


def _resource_placeholders(graph) -> set[str]:
    return {op.name for op in graph.get_operations()
            if op.type == "Placeholder" and op.outputs[0].dtype == tf.resource}


def test_layer_level_picture_of_a_keras_model(small_model):
    m = small_model
    text = ge.to_dot(m)
    layers, edges = _layer_picture(text)
    assert sorted(layers) == sorted(SMALL_LAYERS)  # one node per layer, nothing else
    assert edges == SMALL_EDGES
    for layer in m.layers[1:]:
        lines = layers[layer.name]
        shape = "[" + ",".join("?" if d is None else str(d) for d in layer.output.shape) + "]"
        assert lines[1] == f"{type(layer).__name__}  {shape}", lines
        n_params = layer.count_params()
        if n_params:
            n_vars = len(layer.weights)
            assert lines[2] == f"{n_params:,} params ({n_vars} var{'s' if n_vars > 1 else ''})"
        else:
            assert len(lines) == 2
    assert "subgraph" not in text and "ReadVariableOp" not in text.split("tooltip")[0]
    nodes, _ = _dot_nodes_edges(text)
    assert not any("ReadVariableOp_resource" in n for n in nodes)


def test_layer_level_from_a_graph_a_concrete_function_and_a_saved_model(small_model, tmp_path):
    m = small_model
    graph = ge.graph_from_keras(m)
    cf = tf.function(m).get_concrete_function(tf.TensorSpec([1, 8, 8, 3], tf.float32))
    m.export(str(tmp_path / "sm"), verbose=False)
    sm = ge.saved_model.load(str(tmp_path / "sm"))
    assert any(op.name.startswith("Func/") for op in sm.graph.get_operations())
    expected = {layer.name: layer for layer in m.layers[1:]}
    sources = (("graph", graph, graph), ("concrete function", cf, cf.graph),
               ("saved model", sm.graph, sm.graph))
    for source, src, g in sources:
        text = ge.to_dot(src)
        layers, edges = _layer_picture(text)
        (input_name,) = set(layers) - set(expected)  # the input: its placeholder's name
        assert edges == {(input_name if a == "image" else a, b) for a, b in SMALL_EDGES}, source
        for name, layer in expected.items():
            if layer.count_params():
                assert layers[name][2].startswith(f"{layer.count_params():,} params"), source
        assert layers["conv"][1].startswith("Conv2D") and layers["head"][1].startswith("Dense")
        assert layers["bn"][1].startswith("BatchNormalization")
        assert layers["block_1_add"][1].startswith("Add")
        nodes, _ = _dot_nodes_edges(text)
        folded = _resource_placeholders(g) | {
            op.name for op in g.get_operations()
            if op.name.startswith("Func/") or op.type in ("ReadVariableOp", "NoOp")
        }
        assert folded and not nodes & folded, source


def test_layer_nodes_records_for_reuse(small_model):
    from graph_editor import _layer_view

    graph = ge.graph_from_keras(small_model)
    nodes = _layer_view.layer_nodes(graph, small_model)
    by_name = {n.name: n for n in nodes}
    assert [n.name for n in nodes] == SMALL_LAYERS  # graph order
    bn = by_name["bn"]
    assert bn.kind == "layer" and bn.type == "BatchNormalization" and bn.params == 16
    assert {op.type for op in bn.ops} >= {"Rsqrt", "Mul", "ReadVariableOp"}
    assert {op.name for op in bn.folded} == {name for name, _ in bn.variables}
    assert {op.name for op in bn.folded} <= _resource_placeholders(graph)
    assert [(e.src, e.tensor.name) for e in bn.inputs] == [
        (by_name["conv"].id, by_name["conv"].outputs[0].name)
    ]
    assert bn.output_shapes == [(None, 8, 8, 4)]
    assert by_name["image"].kind == "input" and by_name["image"].ops[0].type == "Placeholder"
    # every variable placeholder is folded into exactly one node; the output Identity too
    folded = [op.name for n in nodes for op in n.folded]
    assert sorted(folded) == sorted(_resource_placeholders(graph) | {"Identity"})
    assert [op.name for op in by_name["head"].folded][-1] == "Identity"
    # no layer structure: a plain v1 graph
    g = tf.Graph()
    with g.as_default():
        with tf.name_scope("a"):
            tf.constant(1.0, name="c")
        with tf.name_scope("b"):
            tf.constant(2.0, name="c")
    assert _layer_view.layer_nodes(g) == []


def test_layer_level_leaves_the_graph_runnable(small_model):
    graph = ge.graph_from_keras(small_model)
    before = graph.as_graph_def()
    ge.to_dot(graph, expand=["block_1"])
    assert graph.as_graph_def() == before
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    f = ge.function_from_graph(graph)
    np.testing.assert_allclose(
        np.asarray(f(tf.constant(x))), np.asarray(small_model(x, training=False)),
        rtol=1e-5, atol=1e-5,
    )


def test_expand_draws_the_named_layers_as_their_ops(small_model):
    m = small_model
    text = ge.to_dot(m, expand=["block_1"])  # a prefix: block_1_conv, _relu, _add
    labels = _dot_labels(text)
    clusters = re.findall(r'subgraph "cluster_([^"]*)"', text)
    assert len(clusters) == 3 and all("block_1_" in c for c in clusters)
    layer_names = {lines[0] for nid, lines in labels.items() if nid.endswith("/")}
    assert layer_names == set(SMALL_LAYERS[:4] + SMALL_LAYERS[7:]) - {"image"}
    graph_ops = {op.name: op for op in ge.graph_from_keras(m).get_operations()}
    op_nodes = [nid for nid in labels if not nid.endswith("/") and nid in graph_ops]
    types = {graph_ops[n].type for n in op_nodes}
    assert {"Conv2D", "Relu", "AddV2"} <= types and "ReadVariableOp" not in types
    conv = next(n for n in op_nodes if graph_ops[n].type == "Conv2D")
    assert "reads [1,1,4,4]" in labels[conv]  # the kernel read, folded into its consumer
    _, edges = _dot_nodes_edges(text)
    relu_id = next(nid for nid, lines in labels.items() if lines[0] == "relu")
    into_conv = [a for s, d, a in edges if s == relu_id and d == conv]
    assert into_conv and 'label="float32[?,8,8,4]"' in into_conv[0]
    assert ge.to_dot(m, expand="block_1_conv").count("subgraph") == 1
    with pytest.raises(ge.GraphEditKeyError, match="block_1_conv"):
        ge.to_dot(m, expand=["block_1_cnv"])  # a typo: the close names are listed
    with pytest.raises(ge.GraphEditValueError):
        ge.to_dot(m, expand=[""])


def test_layers_option_and_plain_graphs_keep_op_level(small_model, scoped):
    m = small_model
    graph = ge.graph_from_keras(m)
    nodes, _ = _dot_nodes_edges(ge.to_dot(graph, layers=False))
    assert nodes == {op.name for op in graph.get_operations()}  # every op, as before
    g, _ = scoped
    assert ge.to_dot(g) == ge.to_dot(g, layers=False)
    with pytest.raises(ge.GraphEditValueError, match="layer scopes"):
        ge.to_dot(g, layers=True)
    with pytest.raises(ge.GraphEditValueError, match="layers"):
        ge.to_dot(g, layers="yes")
    # a view of a Keras graph is drawn op by op
    view = ge.sgv_scope("small_1/bn_1", graph=graph)
    vnodes, _ = _dot_nodes_edges(ge.to_dot(view, context=False))
    assert vnodes == {op.name for op in view.ops}
    with pytest.raises(ge.GraphEditValueError, match="whole graphs"):
        ge.to_dot(view, layers=True)
    # a tf.compat.v1 graph with resource variables in two scopes stays op level
    g1 = tf.Graph()
    with g1.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        for name in ("dense_a", "dense_b"):
            with tf.compat.v1.variable_scope(name, use_resource=True):
                w = tf.compat.v1.get_variable("w", [2, 2])
                x = tf.nn.relu(tf.matmul(x, w))
    nodes1, _ = _dot_nodes_edges(ge.to_dot(g1))
    assert nodes1 == {op.name for op in g1.get_operations()}
    # highlight= at layer level: the layers holding the highlighted ops
    text = ge.to_dot(graph, highlight=ge.sgv_scope("small_1/bn_1", graph=graph))
    amber = [lines[0] for nid, lines in _dot_labels(text).items()
             if "#fde68a" in text.split(f'"{nid}" [label=')[1].split("\n  ")[0]]
    assert amber == ["bn"]


def test_nested_models_and_collapse_depth():
    import keras

    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="d1"), keras.layers.ReLU(name="r1"),
         keras.layers.Dense(3, name="d2"), keras.layers.ReLU(name="r2")], name="inner")
    inp = keras.Input((4,), name="x")
    out = keras.layers.Dense(2, name="top")(inner(inp))
    m = keras.Model(inp, out, name="outer")
    layers, edges = _layer_picture(ge.to_dot(m))
    assert set(layers) == {"x", "inner/d1", "inner/r1", "inner/d2", "inner/r2", "top"}
    assert ("inner/r2", "top") in edges and ("x", "inner/d1") in edges
    # graph only: the nested model is found from its scopes (4 sub-scopes or more)
    assert {n for n in _layer_picture(ge.to_dot(ge.graph_from_keras(m)))[0]} - {"x"} >= {
        "inner/d1", "top"}
    collapsed, cedges = _layer_picture(ge.to_dot(m, collapse_depth=0))
    assert set(collapsed) == {"x", "inner/", "top"}
    assert collapsed["inner/"][1].startswith("4 layers")
    assert collapsed["inner/"][2] == f"{inner.count_params()} params (4 vars)"
    assert cedges == {("x", "inner/"), ("inner/", "top")}
    text = ge.to_dot(m, collapse_depth=0, expand=["inner"])
    assert text.count("subgraph") == 1 and '"inner/" [label' not in text


def test_max_ops_hints_count_what_is_drawn_and_skip_what_is_used(scoped, small_model):
    g, _ = scoped

    def message(**kwargs):
        with pytest.raises(ge.GraphEditValueError) as info:
            ge.to_dot(g, **kwargs)
        return str(info.value)

    def check_routes(msg):
        for depth, n in re.findall(r"collapse_depth=(\d+): (?:still )?(\d+) nodes", msg):
            drawn, _ = _dot_nodes_edges(ge.to_dot(g, collapse_depth=int(depth), max_ops=None))
            assert len(drawn) == int(n)

    msg = message(max_ops=3)
    assert "collapse_depth=0: still 5 nodes" in msg
    check_routes(msg)
    msg = message(max_ops=6, collapse_depth=1)
    assert "collapse_depth=0: 5 nodes" in msg and "collapse_depth=1" not in msg
    check_routes(msg)
    msg = message(max_ops=4, collapse_depth=0)  # nothing shallower to suggest
    assert "collapse_depth=" not in msg and "5 nodes to draw" in msg
    # layer level: the count is the layers (and expanded ops) drawn
    m = small_model
    n_default = len(_dot_nodes_edges(ge.to_dot(m))[0])
    n_expanded = len(_dot_nodes_edges(ge.to_dot(m, expand=["block_1"]))[0])
    with pytest.raises(ge.GraphEditValueError) as info:
        ge.to_dot(m, max_ops=n_expanded - 1, expand=["block_1"])
    msg = str(info.value)
    assert msg.startswith(f"to_dot: {n_expanded} nodes to draw (one node per layer")
    assert f"expand fewer layers (expand= opens 3; none: {n_default} nodes)" in msg
    assert "collapse_depth" not in msg  # no nested model: nothing to collapse
    with pytest.raises(ge.GraphEditValueError) as info:
        ge.to_dot(m, layers=False, max_ops=20)
    msg = str(info.value)
    assert f"draw one node per layer (layers=None, the default here: {n_default} nodes)" in msg


def _fake_slow_dot(tmp_path):
    exe = tmp_path / "slow_dot"
    pid_file = tmp_path / "pid"
    exe.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    exe.chmod(0o755)
    return exe, pid_file


def test_render_time_limit_stops_graphviz_and_names_smaller_routes(
    scoped, small_model, tmp_path, monkeypatch
):
    import os
    import time

    g, _ = scoped
    exe, pid_file = _fake_slow_dot(tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: str(exe))
    out = tmp_path / "g.svg"
    t0 = time.monotonic()
    with pytest.raises(ge.RenderTimeoutError) as info:
        ge.render(g, out, timeout=0.5)
    assert time.monotonic() - t0 < 10
    assert isinstance(info.value, ge.GraphEditValueError)
    msg = str(info.value)
    assert "within 0.5 s" in msg and "7 nodes" in msg
    assert "collapse_depth=0" in msg and "sgv_scope" in msg and "timeout=" in msg
    assert not out.exists()
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the Graphviz process was killed (and reaped)
    with pytest.raises(ge.RenderTimeoutError) as info:
        ge.render(small_model, out, timeout=0.5, layers=False)
    assert "draw one node per layer (layers=None" in str(info.value)
    for bad in (0, -1, "10", True):
        with pytest.raises(ge.GraphEditValueError, match="timeout"):
            ge.render(g, out, timeout=bad)
    with pytest.raises(ge.GraphEditTypeError, match="collapse"):
        ge.render(g, out, colapse_depth=1)


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_render_keras_model_svg(small_model, tmp_path):
    svg = ge.render(small_model, tmp_path / "m.svg", expand="block_1_add").read_text()
    assert svg.count('class="node"') == len(SMALL_LAYERS) - 1 + 1  # the add as its op
    assert "block_1_add (Add)" in svg and "<svg" in svg


def test_summary_and_networkx_accept_a_keras_model(small_model):
    graph = ge.graph_from_keras(small_model)
    text = ge.summary(small_model)
    assert text.splitlines()[0] == f"Graph: {len(graph.get_operations())} ops " + (
        f"({len({op.type for op in graph.get_operations()})} types)"
    )
    assert "Conv2D" in text and "small_1/bn_1/batchnorm/Rsqrt" in text
    nxg = ge.to_networkx(small_model)
    assert nxg.number_of_nodes() == len(graph.get_operations())
    assert visualize.op_type_histogram(small_model) == visualize.op_type_histogram(graph)


APPLICATIONS = ["MobileNetV2", "ResNet50", "EfficientNetB0", "DenseNet121"]


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLICATIONS)
def test_applications_models_render_one_node_per_layer(name, tmp_path):
    import keras

    model = getattr(keras.applications, name)(weights=None, input_shape=(96, 96, 3))
    # Layers that add no op at inference (inputs, dropout) have no node.
    expected = {layer.name for layer in model.layers
                if not isinstance(layer, (keras.layers.InputLayer, keras.layers.Dropout))}
    spec = tf.TensorSpec([1, 96, 96, 3], tf.float32)
    graph = ge.graph_from_keras(model)
    cf = tf.function(model).get_concrete_function(spec)
    for source, obj, g in (("model", model, graph), ("graph", graph, graph),
                           ("tf.function", cf, cf.graph)):
        text = ge.to_dot(obj)
        labels = _dot_labels(text)
        layer_names = [lines[0] for nid, lines in labels.items() if nid.endswith("/")]
        assert len(layer_names) == len(expected) and set(layer_names) == expected, source
        others = [nid for nid in labels if not nid.endswith("/")]
        assert len(others) == 1 and g.get_operation_by_name(others[0]).type == "Placeholder"
        assert not set(labels) & _resource_placeholders(g), source
        if source == "model":
            assert all(len(lines) >= 2 and lines[1] for lines in labels.values())
    if HAS_DOT:
        import html

        svg = ge.render(cf, tmp_path / f"{name}.svg", timeout=30).read_text()
        titles = [html.unescape(t) for t in
                  re.findall(r'class="node">\s*<title>([^<]*)</title>', svg)]
        assert len(titles) == len(expected) + 1
        variables = _resource_placeholders(cf.graph)
        assert len(variables) > 100 and not set(titles) & variables


def test_render_and_write_tensorboard_refuse_bad_paths_before_any_work(tmp_path):
    g = tf.Graph()
    with g.as_default():
        tf.identity(tf.compat.v1.placeholder(tf.float32, [2], name="x"), name="y")
    with pytest.raises(ge.GraphEditValueError, match="does not exist"):
        ge.render(g, tmp_path / "missing" / "g.dot")
    (tmp_path / "d.dot").mkdir()
    with pytest.raises(ge.GraphEditValueError, match="is a directory"):
        ge.render(g, tmp_path / "d.dot")
    with pytest.raises(ge.GraphEditTypeError, match="path must be"):
        ge.render(g, 42)
    (tmp_path / "old.dot").write_text("previous picture")
    with pytest.raises(ge.GraphEditValueError):  # a failure keeps the previous file whole
        ge.render(g, tmp_path / "old.dot", max_ops=1)
    assert (tmp_path / "old.dot").read_text() == "previous picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.dot", "old.dot"]  # no temp file
    events = tmp_path / "events"
    events.write_text("a file")
    with pytest.raises(ge.GraphEditValueError, match="is a file, not a directory"):
        ge.write_tensorboard(g, events)
    with pytest.raises(ge.GraphEditTypeError, match="control must be True or False"):
        ge.to_networkx(g, control=g.get_tensor_by_name("x:0"))
