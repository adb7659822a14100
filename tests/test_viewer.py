"""Tests for graph_editor.viewer: the offline HTML viewer and before/after pictures.

These read the data the page embeds (JSON); tests/test_viewer_browser.py drives the page in
headless Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge
from graph_editor import viewer
from graph_editor._viewer_page import DATA_ID

HAS_DOT = shutil.which("dot") is not None
_DATA = re.compile(r'<script type="application/json" id="' + DATA_ID + r'">(.*?)</script>', re.S)


def page_data(path) -> dict:
    with open(path, encoding="utf-8") as f:
        (blob,) = _DATA.findall(f.read())
    return json.loads(blob)


def ops_by_name(data: dict) -> dict[str, dict]:
    return {r["n"]: r for r in data["ops"]}


def scope_index(data: dict) -> dict[str, int]:
    return {sc["n"]: i for i, sc in enumerate(data["scopes"])}


def blocks_graph() -> tf.Graph:
    """x -> block1 (mm, act) -> block2 (mm, act) -> y = block1/act + block2/act."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        with tf.name_scope("block1"):
            h1 = tf.nn.relu(tf.matmul(x, tf.ones([4, 4]), name="mm"), name="act")
        with tf.name_scope("block2"):
            h2 = tf.tanh(tf.matmul(h1, tf.ones([4, 4]), name="mm"), name="act")
        tf.add(h1, h2, name="y")
    return g


@pytest.fixture
def blocks():
    return blocks_graph()


def small_model(bn_stats: bool = True):
    """A functional Keras model: conv, BN, ReLU, a skip Add, pooling and a Dense head."""
    inp = keras.Input((8, 8, 3), name="img")
    x = keras.layers.Conv2D(4, 3, padding="same", name="c1")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    y = keras.layers.Conv2D(4, 1, name="c2")(x)
    x = keras.layers.Add(name="skip")([x, y])
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(3, name="fc")(x)
    model = keras.Model(inp, out, name="tiny")
    if bn_stats:
        bn = model.get_layer("bn")
        rng = np.random.default_rng(0)
        bn.moving_mean.assign(rng.normal(size=4).astype("float32"))
        bn.moving_variance.assign(rng.uniform(0.5, 2.0, size=4).astype("float32"))
    return model


# --------------------------------------------------------------------------------------------
# view: graphs
# --------------------------------------------------------------------------------------------


def test_view_writes_one_self_contained_page(blocks, tmp_path):
    path = ge.view(blocks, tmp_path / "g.html", title="blocks <demo>")
    assert path == tmp_path / "g.html"
    assert os.listdir(tmp_path) == ["g.html"]  # no side files, no temp file left
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>blocks &lt;demo&gt;</title>" in text
    # Nothing to fetch: no external script, style, image or font.
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", text)
    assert not re.search(r"url\((?!#)", text)  # only url(#arrow)
    assert "@import" not in text
    urls = set(re.findall(r"https?://[^\s\"')]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched

    data = page_data(path)
    ops = ops_by_name(data)
    # The [4,4] ones constants have one reader each: folded into their MatMul.
    assert set(ops) == {"x", "block1/mm", "block1/act", "block2/mm", "block2/act", "y"}
    assert data["folded"] == 2
    (badge,) = ops["block1/mm"]["f"]
    assert badge[0] == "const" and badge[1] == "block1/ones" and badge[2].startswith("float32[4,4]")
    assert ops["block1/mm"]["i"] == [["x:0", "float32[?,4]"], ["block1/ones:0", "float32[4,4]"]]
    assert ops["y"]["o"] == ["float32[?,4]"]
    assert ops["block1/act"]["t"] == "Relu"
    edges = {(e[0], e[1], e[2]) for e in data["edges"]}
    assert edges == {
        ("x", "block1/mm", "x:0"),
        ("block1/mm", "block1/act", "block1/mm:0"),
        ("block1/act", "block2/mm", "block1/act:0"),
        ("block2/mm", "block2/act", "block2/mm:0"),
        ("block1/act", "y", "block1/act:0"),
        ("block2/act", "y", "block2/act:0"),
    }
    scopes = scope_index(data)
    assert set(scopes) == {"block1", "block2"}
    b1 = data["scopes"][scopes["block1"]]
    assert (b1["c"], b1["ty"], b1["sh"], b1["p"]) == (2, "MatMul", "float32[?,4]", -1)
    assert data["expanded"] == []  # top-level scopes start closed
    assert ops["block2/act"]["s"] == scopes["block2"]


def test_view_options_expand_and_fold(blocks, tmp_path):
    data = page_data(ge.view(blocks, tmp_path / "a.html", expand="all"))
    assert len(data["expanded"]) == 2
    data = page_data(ge.view(blocks, tmp_path / "b.html", expand=["block2/"]))
    assert [data["scopes"][i]["n"] for i in data["expanded"]] == ["block2"]
    data = page_data(ge.view(blocks, tmp_path / "c.html", fold=False))
    assert "block1/ones" in ops_by_name(data) and data["folded"] == 0
    with pytest.raises(ge.GraphEditKeyError, match="no scope 'blok2'.*block2"):
        ge.view(blocks, tmp_path / "d.html", expand=["blok2"])
    assert not (tmp_path / "d.html").exists()


def test_view_graph_def_view_and_ops(blocks, tmp_path):
    data = page_data(ge.view(blocks.as_graph_def(), tmp_path / "gd.html"))
    assert len(data["ops"]) == 6
    sgv = ge.sgv_scope("block2", graph=blocks)
    data = page_data(ge.view(sgv, tmp_path / "v.html"))
    ops = ops_by_name(data)
    assert set(ops) == {"block2/mm", "block2/act"}
    # The input from outside the view is listed, not drawn as an edge.
    assert ops["block2/mm"]["i"][0] == ["block1/act:0", "float32[?,4]"]
    assert [e[:2] for e in data["edges"]] == [["block2/mm", "block2/act"]]
    data = page_data(ge.view(blocks.get_operation_by_name("y"), tmp_path / "op.html"))
    assert [r["n"] for r in data["ops"]] == ["y"]


def test_view_functions(tmp_path):
    w = tf.Variable(tf.ones([4, 2]), name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def f(x):
        return tf.nn.relu(tf.matmul(x, w, name="mm"), name="out")

    data = page_data(ge.view(f, tmp_path / "f.html"))
    ops = ops_by_name(data)
    assert ops["mm"]["t"] == "MatMul"
    # The captured handle and its read are folded into the MatMul, named after the variable.
    assert not [
        r for r in data["ops"] if r["t"] in ("ReadVariableOp", "Placeholder") and r["n"] != "x"
    ]
    (badge,) = ops["mm"]["f"]
    assert badge[0] == "var" and badge[1] == "w" and badge[2] == "float32[4,2]"
    assert badge[3] == 8

    data = page_data(ge.view(f.get_concrete_function(), tmp_path / "cf.html"))
    assert "mm" in ops_by_name(data)

    @tf.function
    def g(x):
        return x * 2.0

    with pytest.raises(ge.GraphEditValueError, match="input_specs="):
        ge.view(g, tmp_path / "g.html")
    data = page_data(ge.view(g, tmp_path / "g.html", input_specs=tf.TensorSpec([3], tf.float32)))
    assert [r["t"] for r in data["ops"] if r["t"] == "Mul"] == ["Mul"]


def test_view_nested_calls_fold_call_plumbing(tmp_path):
    v = tf.Variable(2.0, name="scale")

    @tf.function
    def inner(x):
        return tf.tanh(x * v, name="th")

    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32)])
    def outer(x):
        return inner(x) + 1.0

    graph = ge.graph_from_function(outer)
    plumbing = [op.name for op in graph.get_operations() if op.name.startswith("Func/")]
    assert plumbing  # inlining left input/output identities and a control NoOp
    data = page_data(ge.view(outer, tmp_path / "nested.html"))
    ops = ops_by_name(data)
    assert not [n for n in ops if n.startswith("Func/")]
    assert "StatefulPartitionedCall/mul/ReadVariableOp" not in ops
    # Edges skip the plumbing: x feeds the inlined Mul directly.
    edges = {(e[0], e[1]) for e in data["edges"]}
    assert ("x", "StatefulPartitionedCall/mul") in edges
    (badge,) = ops["StatefulPartitionedCall/mul"]["f"]
    assert badge[:3] == ["var", "scale", "float32[]"]


def test_view_keras_model_groups_by_layer(tmp_path):
    model = small_model()
    data = page_data(ge.view(model, tmp_path / "m.html"))
    assert data["mode"] == "view"
    scopes = {sc["n"]: sc for sc in data["scopes"]}
    top = [sc for sc in data["scopes"] if sc["p"] == -1]
    assert [sc["n"] for sc in top] == ["tiny_1"] and top[0]["k"] == "Functional"
    # The model's outer scope holds nearly every op: it starts open, its layers closed.
    assert data["expanded"] == [data["scopes"].index(top[0])] == data["wrappers"]
    layers = {
        sc.get("ln", sc["n"].split("/")[-1]): sc
        for sc in scopes.values()
        if sc["p"] == data["scopes"].index(top[0])
    }
    assert {k: v["k"] for k, v in layers.items()} == {
        "c1": "Conv2D",
        "bn": "BatchNormalization",
        "relu": "ReLU",
        "c2": "Conv2D",
        "skip": "Add",
        "gap": "GlobalAveragePooling2D",
        "fc": "Dense",
    }
    for name, sc in layers.items():
        assert sc["pc"] == model.get_layer(name).count_params(), name
    assert layers["c1"]["sh"] == "float32[?,8,8,4]"
    assert layers["fc"]["sh"] == "float32[?,3]"
    # Variable plumbing is folded: no handle placeholders, no reads drawn.
    types = [r["t"] for r in data["ops"]]
    assert "ReadVariableOp" not in types
    assert [r["n"] for r in data["ops"] if r["t"] == "Placeholder"] == ["img"]
    var_badges = {b[1] for r in data["ops"] for b in r.get("f", ()) if b[0] == "var"}
    assert {"c1/kernel", "c1/bias", "bn/gamma", "bn/moving_mean", "fc/kernel"} <= var_badges
    # The skip connection is an edge into the Add layer's op from both branches.
    add = next(r for r in data["ops"] if r["t"] == "AddV2" and "skip" in r["n"])
    srcs = {e[0].split("/")[1] for e in data["edges"] if e[1] == add["n"]}
    assert srcs == {"relu_1", "c2_1"}


def test_view_path_errors_write_nothing(blocks, tmp_path):
    with pytest.raises(ge.GraphEditValueError, match="does not exist; create it first"):
        ge.view(blocks, tmp_path / "missing" / "g.html")
    (tmp_path / "dir.html").mkdir()
    with pytest.raises(ge.GraphEditValueError, match="is a directory"):
        ge.view(blocks, tmp_path / "dir.html")
    with pytest.raises(ge.GraphEditValueError, match="must end with one of .html"):
        ge.view(blocks, tmp_path / "g.svg")
    with pytest.raises(ValueError):  # a builtin type too
        ge.view(blocks, tmp_path / "g")
    with pytest.raises(ge.GraphEditTypeError, match="expects a tf.Graph"):
        ge.view(42, tmp_path / "g.html")
    with pytest.raises(ge.GraphEditValueError, match="no ops, nothing to show"):
        ge.view(tf.Graph(), tmp_path / "g.html")
    assert sorted(os.listdir(tmp_path)) == ["dir.html"]


def test_view_replaces_an_existing_file(blocks, tmp_path):
    path = tmp_path / "g.html"
    path.write_text("old")
    ge.view(blocks, path)
    assert page_data(path)["ops"]
    assert os.listdir(tmp_path) == ["g.html"]


def test_view_escapes_script_breaking_names(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        tf.identity(x, name="a")
        op = tf.identity(x, name="b").op
    # Attribute text is user data: a string attr that closes the script element.
    op._set_attr("_note", tf.compat.v1.AttrValue(s=b"</script><script>alert(1)</script>"))
    path = ge.view(g, tmp_path / "g.html")
    text = path.read_text(encoding="utf-8")
    assert "alert(1)</script>" not in text
    assert ops_by_name(page_data(path))["b"]["a"]["_note"].startswith("</script>")


# --------------------------------------------------------------------------------------------
# diff_view
# --------------------------------------------------------------------------------------------


def _gate_edit(graph: tf.Graph) -> tf.Graph:
    """Insert block2/gate = sigmoid(block1/act) in place of block2/act, strip the dead ops."""
    h1 = graph.get_tensor_by_name("block1/act:0")
    h2 = graph.get_tensor_by_name("block2/act:0")
    with graph.as_default():
        gate = tf.sigmoid(h1, name="block2/gate")
    ge.reroute_ts([gate], [h2])
    return ge.strip_unused(graph, [], ["y"])


def test_diff_view_html_sets_and_numbers(blocks, tmp_path):
    before = blocks.as_graph_def()
    after = _gate_edit(blocks)
    x = np.arange(8, dtype=np.float32).reshape(2, 4) / 10 - 0.3
    h1 = np.maximum(x @ np.ones([4, 4], np.float32), 0)
    np.testing.assert_allclose(run(after, "y:0", {"x:0": x}), h1 + 1 / (1 + np.exp(-h1)), rtol=1e-6)
    path = ge.diff_view(before, after, tmp_path / "edit.html")
    data = page_data(path)
    assert data["mode"] == "diff"
    expected = {
        "added": ["block2/gate"],
        "removed": ["block2/ones", "block2/mm", "block2/act"],
        "rewired": ["y"],
        "changed": [],
    }
    assert data["diff"] == expected
    assert viewer.diff_ops(before, after) == expected
    status = {r["n"]: r.get("st") for r in data["ops"]}
    assert status == {
        "x": None,
        "block1/mm": None,
        "block1/act": None,
        "block2/gate": "added",
        "y": "rewired",
        "block2/mm": "removed",
        "block2/act": "removed",
    }
    y = ops_by_name(data)["y"]
    assert y["bi"][1][0] == "block2/act:0" and y["i"][1][0] == "block2/gate:0"
    edge_st = {(e[0], e[1]): (e[5] if len(e) > 5 else None) for e in data["edges"]}
    assert edge_st[("block1/act", "block2/gate")] == "added"
    assert edge_st[("block2/gate", "y")] == "added"
    assert edge_st[("block2/act", "y")] == "removed"
    assert edge_st[("block1/act", "block2/mm")] == "removed"
    assert edge_st[("x", "block1/mm")] is None
    # Few changes: the scopes holding them start open.
    scopes = scope_index(data)
    assert data["expanded"] == [scopes["block2"]]


def test_diff_view_dot_and_svg(blocks, tmp_path):
    before = blocks.as_graph_def()
    after = _gate_edit(blocks)
    dot = ge.diff_view(before, after, tmp_path / "edit.dot").read_text()
    fill = dict(
        (name, colour)
        for colour, name in re.findall(
            r'^\s+"[os]\d+" \[[^\n]*fillcolor="(#\w+)"[^\n]*tooltip="([^"]*)"', dot, re.M
        )
    )
    assert fill == {  # block1 has no change: closed; block2 is open
        "x": "#ffffff",
        "block1/": "#ffffff",
        "block2/gate": "#dcfce7",
        "y": "#fef3c7",
        "block2/mm": "#fee2e2",
        "block2/act": "#fee2e2",
    }
    assert 'label="added (1)"' in dot and 'label="removed (3)"' in dot
    assert 'subgraph "cluster_' in dot and 'label="block2"' in dot  # the open scope
    assert re.search(r'-> "o\d+" \[color="#dc2626", penwidth=2, style=dashed\]', dot)
    if HAS_DOT:
        svg = ge.diff_view(before, after, tmp_path / "edit.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "rewired (1)" in svg


def test_diff_view_timeout_and_errors(blocks, tmp_path, monkeypatch):
    before = blocks.as_graph_def()
    with pytest.raises(ge.GraphEditValueError, match="must end with one of"):
        ge.diff_view(before, blocks, tmp_path / "edit.txt")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ge.GraphvizNotFoundError, match="write '.html' or '.dot'"):
        ge.diff_view(before, blocks, tmp_path / "edit.svg")
    assert os.listdir(tmp_path) == []
    # Nothing changed: every set is empty.
    data = page_data(ge.diff_view(before, blocks, tmp_path / "same.html"))
    assert data["diff"] == {"added": [], "removed": [], "rewired": [], "changed": []}
    assert all("st" not in r for r in data["ops"])


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_diff_view_graphviz_timeout(blocks, tmp_path):
    with pytest.raises(ge.GraphEditValueError, match="more than timeout=1e-06 s"):
        ge.diff_view(blocks.as_graph_def(), blocks, tmp_path / "e.svg", timeout=1e-6)
    assert not (tmp_path / "e.svg").exists()


def test_diff_view_keras_graph_edit(tmp_path):
    """A real edit of a Keras model's graph: the ReLU layer bypassed."""
    model = small_model()
    graph = ge.graph_from_keras(model)
    before = graph.as_graph_def()
    relu = next(op for op in graph.get_operations() if op.type == "Relu")
    assert relu.name == "tiny_1/relu_1/Relu"
    _, (placeholder,) = ge.bypass(ge.sgv(relu))
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    h = model.get_layer("bn")(model.get_layer("c1")(x), training=False)
    h = model.get_layer("skip")([h, model.get_layer("c2")(h)])
    expected = model.get_layer("fc")(model.get_layer("gap")(h))
    np.testing.assert_allclose(ge.function_from_graph(graph)(x), expected, rtol=1e-4, atol=1e-5)

    path = ge.diff_view(before, graph, tmp_path / "bypass.html")
    data = page_data(path)
    sets = data["diff"]
    assert sets == viewer.diff_ops(before, graph)
    assert sets["added"] == [placeholder.op.name] and sets["removed"] == []
    c2 = next(op.name for op in graph.get_operations() if op.type == "Conv2D" and "c2" in op.name)
    add = next(
        op.name for op in graph.get_operations() if op.type == "AddV2" and "/skip_1/" in op.name
    )
    assert sorted(sets["rewired"]) == sorted([relu.name, c2, add])
    status = {r["n"]: r.get("st") for r in data["ops"]}
    assert status[relu.name] == "rewired" and status[placeholder.op.name] == "added"
    # Four changed ops: their layers start open, the others stay closed.
    names = {data["scopes"][i]["n"].split("/")[-1] for i in data["expanded"]}
    assert {"relu_1", "c2_1", "skip_1"} <= names and "fc_1" not in names
