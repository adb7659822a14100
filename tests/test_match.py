"""Tests of graph_editor.match: OpMatcher and op_type (exact types), legacy locations."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge


@pytest.fixture
def mlp():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        w = tf.constant(np.ones((3, 2), np.float32), name="w")
        b = tf.constant(np.ones((2,), np.float32), name="b")
        with tf.name_scope("layer"):
            mm = tf.matmul(x, w, name="mm")
            ba = tf.nn.bias_add(mm, b, name="bias")
            relu = tf.nn.relu(ba, name="relu")
        old_add = tf.raw_ops.Add(x=relu, y=relu, name="old_add")
        new_add = tf.add(relu, relu, name="new_add")
    return g, dict(x=x, mm=mm, ba=ba, relu=relu, old_add=old_add, new_add=new_add)


def test_op_type_is_exact(mlp):
    g, t = mlp
    assert t["old_add"].op.type == "Add" and t["new_add"].op.type == "AddV2"
    is_v2 = ge.op_type("AddV2")
    assert is_v2(t["new_add"].op) and not is_v2(t["old_add"].op)  # contrib: substring match
    assert not ge.op_type("Add", t["new_add"].op)
    assert ge.op_type(["Add", "AddV2"], t["old_add"].op)
    assert ge.op_type({"Relu"}, t["relu"].op) is True
    assert [op.name for op in g.get_operations() if ge.op_type(("Add", "AddV2"))(op)] == [
        "old_add", "new_add"]
    with pytest.raises(TypeError, match="strings"):
        ge.op_type([1, 2])
    with pytest.raises(TypeError, match="type name"):
        ge.op_type(3)


def test_op_matcher_filters(mlp):
    g, t = mlp
    relu = t["relu"].op
    assert ge.OpMatcher("relu")(relu)
    assert not ge.OpMatcher("^relu")(relu)  # search on "layer/relu"
    assert ge.OpMatcher(relu)(relu) and not ge.OpMatcher(relu)(t["mm"].op)
    assert ge.OpMatcher(True)(relu)
    assert ge.OpMatcher(lambda op: op.type == "Relu")(relu)
    with pytest.raises(ValueError, match="op filter"):
        ge.OpMatcher(3)


def test_op_matcher_inputs_and_outputs(mlp):
    g, t = mlp
    pattern = ge.OpMatcher(ge.op_type("Relu")).input_ops(
        ge.OpMatcher(ge.op_type("BiasAdd")).input_ops(ge.op_type("MatMul"), "^b$")
    )
    found = [op for op in g.get_operations() if pattern(op)]
    assert [op.name for op in found] == ["layer/relu"]
    # wrong arity never matches
    assert not ge.OpMatcher(True).input_ops(None)(t["ba"].op)
    # outputs: relu has 4 consumers (old_add twice, new_add twice)
    relu = t["relu"].op
    assert ge.OpMatcher(True).output_ops([ge.op_type("Add")] * 2 + [ge.op_type("AddV2")] * 2)(
        relu)
    assert not ge.OpMatcher(True).output_ops([ge.op_type("Add")])(relu)
    assert ge.OpMatcher(True).output_ops(None)(relu)  # contrib mishandled None here
    assert ge.OpMatcher(True).output_ops([None, None, None, None])(relu)
    assert ge.OpMatcher("mm").output_ops(ge.op_type("BiasAdd"))(t["mm"].op)
    with pytest.raises(ValueError, match="already set"):
        ge.OpMatcher(True).input_ops(None).input_ops(None)
    with pytest.raises(ValueError, match="already set"):
        ge.OpMatcher(True).output_ops(None).output_ops(None)


def test_op_matcher_refuses_non_ops(mlp):
    # contrib raised TypeError for anything but a tf.Operation; a tensor is not its op
    g, t = mlp
    calls = []

    def spy(op):
        calls.append(op)
        return True

    matcher = ge.OpMatcher(spy)
    with pytest.raises(TypeError, match=r"tf.Operation.*layer/relu:0.*`t.op`") as e:
        matcher(t["relu"])
    assert isinstance(e.value, ge.GraphEditTypeError)
    for bad in (None, "layer/relu", 3, tf.constant(1.0)):
        with pytest.raises(ge.GraphEditTypeError, match="tf.Operation"):
            matcher(bad)
    assert calls == []  # refused before any filter ran
    # the nested matchers still see ops: a Relu fed by a BiasAdd matches, and runs
    pattern = ge.OpMatcher(ge.op_type("Relu")).input_ops(ge.OpMatcher(ge.op_type("BiasAdd")))
    assert pattern(t["relu"].op)
    with pytest.raises(TypeError):
        pattern(t["relu"])
    x = np.array([[1.0, -5.0, 2.0]], np.float32)
    np.testing.assert_allclose(run(g, t["relu"].op.outputs[0], {t["x"]: x}),
                               np.maximum(x @ np.ones((3, 2)) + 1.0, 0.0))


def test_op_matcher_control_inputs():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="init")
        with tf.control_dependencies([a.op]):
            b = tf.constant(2.0, name="b")
    assert ge.OpMatcher("b").control_input_ops("init")(b.op)
    assert not ge.OpMatcher("b").control_input_ops("other")(b.op)
    assert not ge.OpMatcher("b").control_input_ops()(b.op)
    with pytest.raises(ValueError, match="already set"):
        ge.OpMatcher(True).control_input_ops().control_input_ops()


def test_matched_ops_run(mlp):
    # The matched relu's output, run in a new session, is relu(x @ w + b).
    g, t = mlp
    pattern = ge.OpMatcher(ge.op_type("Relu")).input_ops(ge.op_type("BiasAdd"))
    (op,) = [op for op in g.get_operations() if pattern(op)]
    x = np.array([[1.0, -5.0, 2.0]], np.float32)
    np.testing.assert_allclose(run(g, op.outputs[0], {t["x"]: x}),
                               np.maximum(x @ np.ones((3, 2)) + 1.0, 0.0))


def test_legacy_locations():
    from graph_editor.tests import match as legacy_match

    assert legacy_match.OpMatcher is ge.OpMatcher is ge.match.OpMatcher
    assert legacy_match.op_type is ge.op_type
    assert ge.matcher is ge.OpMatcher
