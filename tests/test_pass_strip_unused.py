"""ge.strip_unused: a new graph with what the outputs need, cut at the inputs."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge


def test_keeps_only_what_outputs_need(diamond, feed):
    g, ns = diamond
    before = g.as_graph_def().SerializeToString(deterministic=True)
    new = ge.strip_unused(g, [ns.a, "b:0"], ["e:0"])
    assert new is not g
    assert [op.name for op in new.get_operations()] == ["a", "b", "c", "d", "e"]
    assert g.as_graph_def().SerializeToString(deterministic=True) == before
    np.testing.assert_allclose(run(new, "e:0", feed), run(g, "e:0", feed), atol=1e-6)


def test_cut_at_inner_tensor_becomes_placeholder(diamond):
    g, ns = diamond
    new = ge.strip_unused(g, ["c:0", "b"], [ns.d.op])
    c = new.get_operation_by_name("c")
    assert c.type == "Placeholder" and c.get_attr("dtype") == tf.float32
    assert c.outputs[0].shape.as_list() == [2]
    assert {op.name for op in new.get_operations()} == {"b", "c", "d"}
    out = run(new, "d:0", {"c:0": np.array([1.0, 2.0], np.float32),
                           "b:0": np.array([3.0, 5.0], np.float32)})
    np.testing.assert_allclose(out, [3.0, 10.0])


def test_control_dependencies_are_followed():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        side = tf.no_op(name="side")
        with g.control_dependencies([side]):
            y = tf.identity(x, name="y")
        tf.negative(x, name="unused")
    new = ge.strip_unused(g, [], [y])
    assert {op.name for op in new.get_operations()} == {"x", "side", "y"}
    assert [c.name for c in new.get_operation_by_name("y").control_inputs] == ["side"]


def test_placeholder_input_drops_its_control_inputs():
    g = tf.Graph()
    with g.as_default():
        init = tf.no_op(name="init")
        with g.control_dependencies([init]):
            x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        tf.square(x, name="y")
    new = ge.strip_unused(g, ["x:0"], ["y"])
    assert {op.name for op in new.get_operations()} == {"x", "y"}
    assert run(new, "y:0", {"x:0": 3.0}) == 9.0


def test_errors(diamond):
    g, ns = diamond
    with pytest.raises(ge.GraphEditKeyError, match="nope"):
        ge.strip_unused(g, [], ["nope:0"])
    with pytest.raises(KeyError):
        ge.strip_unused(g, ["zz"], ["e"])
    with pytest.raises(ge.GraphEditTypeError):
        ge.strip_unused(g, [], [42])
    with pytest.raises(ge.GraphEditTypeError):
        ge.strip_unused("g", [], ["e"])
    other = tf.Graph()
    with other.as_default():
        t = tf.constant(1.0)
    with pytest.raises(ge.GraphMismatchError):
        ge.strip_unused(g, [], [t])
    g2 = tf.Graph()
    with g2.as_default():
        a, b = tf.split(tf.compat.v1.placeholder(tf.float32, [4], name="p"), 2, name="split")
        tf.add(a, b, name="s")
    with pytest.raises(ge.GraphEditValueError, match="2 outputs"):
        ge.strip_unused(g2, ["split:1"], ["s"])


def test_keep_adds_ops_and_what_they_need(diamond, feed):
    g, ns = diamond
    new = ge.strip_unused(g, ["c:0"], ["e:0"], keep=["f"])  # f = neg(c): a second head
    assert {op.name for op in new.get_operations()} == {"b", "c", "d", "e", "f"}
    assert new.get_operation_by_name("c").type == "Placeholder"  # cut at the inputs too
    c = run(g, "c:0", feed)
    e, f = run(new, ["e:0", "f:0"], {"c:0": c, "b:0": feed["b:0"]})
    np.testing.assert_allclose(e, run(g, "e:0", feed), atol=1e-6)
    np.testing.assert_allclose(f, -c)
    for keep in ("f:0", ns.f, ns.f.op, [ns.f, "d"]):  # names, tensors, ops, lists
        kept = {op.name for op in ge.strip_unused(g, [], ["e"], keep=keep).get_operations()}
        assert "f" in kept
    only_keep = ge.strip_unused(g, [], [], keep="c")
    assert {op.name for op in only_keep.get_operations()} == {"a", "b", "c"}


def test_keep_errors_are_those_of_the_other_passes(diamond):
    g, _ = diamond
    other = tf.Graph()
    with other.as_default():
        t = tf.constant(1.0, name="t")
    for keep in ("nope", t, 42):
        errors = []
        for fn in (lambda k: ge.strip_unused(g, [], ["e"], keep=k),
                   lambda k: ge.remove_identity(g, keep=k)):
            with pytest.raises(ge.GraphEditError) as info:
                fn(keep)
            errors.append((type(info.value), str(info.value)))
        assert errors[0] == errors[1]
    with pytest.raises(ge.GraphEditKeyError, match="nope"):
        ge.strip_unused(g, [], ["e"], keep=["d", "nope"])


def test_keep_names_resolve_like_every_other_verb():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        with tf.name_scope("model/block"):
            tf.negative(x, name="side")
        y = tf.tanh(x, name="y")
    # a unique suffix names the op, as in insert_at / split_function / the CLI
    assert [op.name for op in ge.strip_unused(g, ["x"], ["block/side"]).get_operations()] == [
        "x", "model/block/side"]
    with pytest.raises(ge.GraphEditKeyError, match=r"Closest names: \[.*model/block/side"):
        ge.strip_unused(g, [], ["block/sidee"])
    kept = ge.strip_unused(g, [], [y], keep="block/side")
    assert "model/block/side" in {op.name for op in kept.get_operations()}
    with tf.compat.v1.Session(graph=kept) as sess:
        out = sess.run("model/block/side:0", {"x:0": np.array([1.0, -2.0], np.float32)})
    np.testing.assert_allclose(out, [-1.0, 2.0])
    with pytest.raises(ge.GraphEditKeyError, match=r"Closest names: \[.*model/block/side"):
        ge.strip_unused(g, [], [y], keep="block/sidee")
    with pytest.raises(ge.GraphEditKeyError, match="Closest names"):
        ge.remove_identity(g, keep="block/sidee")


def test_pass_submodules_import_as_the_modules_and_call_as_the_functions():
    import importlib
    import types

    import graph_editor.passes.fold_batch_norm as m1
    import graph_editor.passes.fold_constants as m2
    import graph_editor.passes.remove_identity as m3
    import graph_editor.passes.replace_op_type as m4
    import graph_editor.passes.strip_unused as m5

    modules = {"fold_batch_norm": m1, "fold_constants": m2, "remove_identity": m3,
               "replace_op_type": m4, "strip_unused": m5}
    for name, module in modules.items():
        assert isinstance(module, types.ModuleType), name
        assert module is importlib.import_module(f"graph_editor.passes.{name}")
        assert getattr(ge.passes, name) is module and callable(module)
        fn = getattr(ge, name)  # the package-level name is the function itself
        assert fn is getattr(module, name) and isinstance(fn, types.FunctionType)
        assert name in module.__all__ and name in ge.passes.__all__


def test_calling_a_pass_module_runs_the_pass(diamond, feed):
    g, _ = diamond
    small = ge.passes.strip_unused(g, ["c:0"], ["e"])
    assert {op.name for op in small.get_operations()} == {"b", "c", "d", "e"}
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        tf.identity(tf.nn.relu(x * 4.0), name="y")
    report = ge.passes.replace_op_type(g2, "Relu", "Relu6")
    assert report.matches == 1
    out = run(g2, "y:0", {"x:0": np.array([-1.0, 1.0, 3.0], np.float32)})
    np.testing.assert_allclose(out, [0.0, 4.0, 6.0])


def test_passes_and_placeholders_share_the_editable_graph_check():
    g = tf.Graph()
    with g.as_default():
        tf.identity(tf.constant(1.0, name="c"), name="i")
    g.finalize()
    n_ops = len(g.get_operations())
    core = "the graph is finalized (graph.finalize() was called); no op can be added to it."
    for fn, name in ((lambda: ge.remove_identity(g), "remove_identity"),
                     (lambda: ge.make_placeholder_from_dtype_and_shape(tf.float32, [1], graph=g),
                      "make_placeholder_from_dtype_and_shape")):
        with pytest.raises(ge.GraphFinalizedError) as info:
            fn()
        assert str(info.value).startswith(f"{name}: {core}")
    assert len(g.get_operations()) == n_ops
    assert len(ge.strip_unused(g, [], ["i"]).get_operations()) == 2  # the way out it names
    with pytest.raises(ge.GraphEditTypeError, match="^fold_constants expects a tf.Graph, got str"):
        ge.fold_constants("g")
