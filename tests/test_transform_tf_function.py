"""graph_editor.transform into tf.function graphs: captures (outer-graph tensors, a source
function's variables), control flow, stateful ops, refusals, AutoGraph, name conflicts."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run, var_graph

import graph_editor as ge


def _copier(fast, handler):
    t = ge.Transformer()
    t.fast_path = fast
    t.transform_external_input_handler = handler
    return t


@pytest.mark.parametrize("fast", [True, False])
def test_copy_graph_ops_into_a_traced_function(fast):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        z = tf.add(tf.tanh(x * 2.0, name="y"), 1.0, name="z")
    ops = [op for op in g.get_operations() if op is not x.op]

    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32)], autograph=False)
    def f(a):
        handler = lambda info, t: a if t is x else ge.keep_t_if_possible_handler(info, t)  # noqa: E731
        _, info = _copier(fast, handler)(ge.sgv(ops), a.graph, "cp")
        assert info.transformed(z).graph is a.graph
        return info.transformed(z)

    xs = np.array([0.1, 0.5, -1.0], np.float32)
    np.testing.assert_allclose(f(tf.constant(xs)).numpy(), np.tanh(2 * xs) + 1, rtol=1e-6)
    names = {op.name for op in f.get_concrete_function().graph.get_operations()}
    assert {"cp/y", "cp/z", "cp/mul/y"} <= names and "cp/geph__x_0" not in names


@pytest.mark.parametrize("fast", [True, False])
def test_copy_functional_control_flow_into_a_function(fast):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        c = tf.cond(x > 0, lambda: x * 2.0, lambda: x - 1.0)
        w = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + c), [0, 0.0])[1]
    ops = [op for op in g.get_operations() if op is not x.op]

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)], autograph=False)
    def f(a):
        _, info = _copier(fast, lambda info, t: a)(ge.sgv(ops), a.graph, "")
        return info.transformed(w)

    assert f(tf.constant(2.0)).numpy() == 12.0
    assert f(tf.constant(-2.0)).numpy() == -9.0


@pytest.mark.parametrize("fast", [True, False])
def test_copy_between_functions_captures_the_same_variable(fast):
    v = tf.Variable(3.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def src(a):
        return tf.sin(a) * v

    cf = src.get_concrete_function()
    a_src = cf.graph.inputs[0]
    ops = [op for op in cf.graph.get_operations() if op.type not in ("Placeholder", "Identity")]

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)], autograph=False)
    def dst(a):
        handler = lambda info, t: a if t is a_src else ge.keep_t_if_possible_handler(info, t)  # noqa: E731
        _, info = _copier(fast, handler)(ge.sgv(ops), a.graph, "")
        return info.transformed(cf.outputs[0].op.inputs[0])

    np.testing.assert_allclose(dst(tf.constant(0.5)).numpy(), np.sin(0.5) * 3.0, rtol=1e-6)
    v.assign(5.0)  # the copy reads the live variable, not a snapshot
    np.testing.assert_allclose(dst(tf.constant(0.5)).numpy(), np.sin(0.5) * 5.0, rtol=1e-6)
    dst_cf = dst.get_concrete_function()
    assert [id(x) for x in dst_cf.variables] == [id(v)]
    assert not any(op.type == "Placeholder" and op.name.startswith("geph")
                   for op in dst_cf.graph.get_operations())


def test_copy_with_input_replacements_between_functions_with_pairs():
    v = tf.Variable([1.0, 2.0])

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def src(a):
        return tf.nn.relu(a * v - 1.0)

    cf = src.get_concrete_function()
    ops = [op for op in cf.graph.get_operations() if op.type not in ("Placeholder", "Identity")]

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)], autograph=False)
    def dst(a):
        _, info = ge.copy_with_input_replacements(
            ops, [(cf.graph.inputs[0], a * 2.0)], dst_graph=a.graph)
        return info.transformed(cf.outputs[0].op.inputs[0])

    xs = np.array([1.0, 0.2], np.float32)
    np.testing.assert_allclose(dst(tf.constant(xs)).numpy(), np.maximum(2 * xs * [1, 2] - 1, 0))


def _enclosing(graph):
    from graph_editor import _tf

    return _tf.enclosing_graphs(graph)


def test_copy_into_function_captures_tensors_of_its_outer_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        z = tf.multiply(tf.tanh(x, name="y"), 3.0, name="z")

        @tf.function(autograph=False)
        def f(a):
            _, info = ge.copy_with_input_replacements(ge.sgv(z.op), {}, dst_graph=a.graph)
            return info.transformed(z) + a

        out = f(x)
        fn_graph = f.get_concrete_function(x).graph
    assert g in _enclosing(fn_graph)
    assert not any(op.name.startswith("geph") for op in fn_graph.get_operations())
    xs = np.array([0.3, -0.7], np.float32)
    np.testing.assert_allclose(run(g, out, {x: xs}), np.tanh(xs) * 3 + xs, rtol=1e-6)


def test_tensors_of_an_unrelated_graph_become_placeholders_in_a_function():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        z = tf.tanh(x, name="z")

    @tf.function(autograph=False)
    def f():
        fg = tf.compat.v1.get_default_graph()
        _, info = ge.copy_with_input_replacements(ge.sgv(z.op), {}, dst_graph=fg)
        z_ = info.transformed(z)
        assert z_.op.inputs[0].op.type == "Placeholder"
        assert z_.op.inputs[0].op.name.startswith("geph__x")
        return z_

    f.get_concrete_function()  # traced; calling it would need the placeholder fed


def test_variable_ops_cannot_be_copied_into_a_function():
    g, x, w, b, y, _ = var_graph(True)

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)], autograph=False)
    def f(a):
        fg = a.graph
        before = [op.name for op in fg.get_operations()], dict(fg._names_in_use)
        with pytest.raises(ge.GraphEditValueError, match=r"'net/w' \(VarHandleOp\).*function"):
            ge.copy_with_input_replacements(g, {x: a}, dst_graph=fg, dst_scope="cp")
        assert ([op.name for op in fg.get_operations()], dict(fg._names_in_use)) == before
        return a

    f.get_concrete_function()


@pytest.mark.parametrize("fast", [True, False])
def test_copy_op_named_like_an_existing_scope(fast):
    # ``s/a`` exists in the destination: TF's C importer refuses a node named ``s`` though
    # Python sees the name as free; the fast path falls back to op-by-op creation.
    dst = tf.Graph()
    with dst.as_default():
        tf.identity(tf.constant(1.0, name="c"), name="s/a")
    src = tf.Graph()
    with src.as_default():
        s = tf.constant(2.0, name="s")
        out = tf.multiply(s, 4.0, name="out")
    t = ge.Transformer()
    t.fast_path = fast
    _, info = t(ge.sgv(src), dst, "")
    assert info.transformed(s).op.name == "s"
    assert sorted(op.name for op in dst.get_operations()) == ["c", "out", "out/y", "s", "s/a"]
    assert run(dst, info.transformed(out)) == 8.0
    with dst.as_default():  # the names are known to Python: new ops are uniquified
        assert tf.constant(0.0, name="out").op.name == "out_1"


def test_graph_replace_inside_a_function_with_ref_keys():
    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)], autograph=False)
    def f(a):
        b = tf.tanh(a * 3.0)
        c = b + 1.0
        c_ref = ge.graph_replace(c, {b.ref(): tf.zeros_like(b)})
        c_pairs = ge.graph_replace(c, [(b, tf.ones_like(b))])
        return c, c_ref, c_pairs

    c, c_ref, c_pairs = f(tf.constant([0.1, 0.2]))
    np.testing.assert_allclose(c.numpy(), np.tanh([0.3, 0.6]) + 1, rtol=1e-6)
    np.testing.assert_allclose(c_ref.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(c_pairs.numpy(), [2.0, 2.0])


def test_replacement_ts_of_the_wrong_kind_is_refused(diamond):
    g, _ = diamond
    with pytest.raises(ge.GraphEditTypeError, match="list of \\(original, replacement\\) pairs"):
        ge.copy_with_input_replacements(g, 3)


def test_errors_keep_their_type_in_a_function_traced_by_autograph():
    g, x, w, b, y, _ = var_graph(True)

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])  # autograph on
    def f(a):
        return ge.copy_with_input_replacements(g, {x: a}, dst_graph=a.graph)

    with pytest.raises(ge.GraphEditValueError, match="'net/w' \\(VarHandleOp\\)"):
        f.get_concrete_function()


def test_autograph_calls_graph_editor_unconverted():
    from tensorflow.python.autograph.impl import conversion

    assert conversion.is_allowlisted(ge.copy_with_input_replacements)
    assert conversion.is_allowlisted(ge.transform.Transformer.__call__)
    assert not conversion.is_allowlisted(_copier)  # user code is still converted


@pytest.mark.parametrize("fast", [True, False])
def test_stateful_ops_copied_into_a_function_run(fast):
    v = tf.Variable(1.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def src(a):
        v.assign_add(a)
        return a * 2.0

    cf = src.get_concrete_function()
    a_src = cf.graph.inputs[0]
    body = [op for op in cf.graph.get_operations()
            if op.type not in ("Placeholder", "Identity", "NoOp")]

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)], autograph=False)
    def dst(a):
        handler = lambda info, t: a if t is a_src else ge.keep_t_if_possible_handler(info, t)  # noqa: E731
        _, info = _copier(fast, handler)(ge.sgv(body), a.graph, "")
        return info.transformed(cf.outputs[0].op.inputs[0])

    # the output does not depend on the assignment; tf.function still runs it
    assert dst(tf.constant(3.0)).numpy() == 6.0
    assert v.numpy() == 4.0
