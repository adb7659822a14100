"""graph_editor.functions: editing tf.function graphs with live variables."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge
from graph_editor import functions

SPEC = tf.TensorSpec([None, 4], tf.float32)


class Dense(tf.Module):
    def __init__(self, n_in, n_out, seed, name):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.stateless_normal([n_in, n_out], [seed, 1]), name="w")
        self.b = tf.Variable(tf.random.stateless_normal([n_out], [seed, 2]), name="b")

    @tf.function
    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)


class MLP(tf.Module):
    """x -> l1 -> l2 -> {"y": l3(h2) + sum(x), "h": h1}: nested calls and an input skip."""

    def __init__(self):
        super().__init__()
        self.l1 = Dense(4, 8, 1, "l1")
        self.l2 = Dense(8, 8, 2, "l2")
        self.l3 = Dense(8, 3, 3, "l3")

    @tf.function
    def __call__(self, x):
        h1 = self.l1(x)
        h2 = self.l2(h1)
        return {"y": self.l3(h2) + tf.reduce_sum(x, axis=1, keepdims=True), "h": h1}


class ConvNet(tf.Module):
    """A small conv net with a residual connection around the second conv."""

    def __init__(self):
        super().__init__()
        self.k1 = tf.Variable(tf.random.stateless_normal([3, 3, 2, 4], [5, 1]) * 0.3)
        self.k2 = tf.Variable(tf.random.stateless_normal([3, 3, 4, 4], [5, 2]) * 0.3)
        self.w = tf.Variable(tf.random.stateless_normal([4, 2], [5, 3]))

    @tf.function(input_signature=[tf.TensorSpec([None, 6, 6, 2], tf.float32)])
    def __call__(self, x):
        stem = tf.nn.relu(tf.nn.conv2d(x, self.k1, 1, "SAME", name="conv1"), name="stem")
        body = tf.nn.relu(tf.nn.conv2d(stem, self.k2, 1, "SAME", name="conv2"), name="body")
        pooled = tf.reduce_mean(body + stem, axis=[1, 2], name="pool")
        return tf.matmul(pooled, self.w, name="logits")


@pytest.fixture
def mlp():
    return MLP()


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------
# graph_from_function / function_from_graph
# --------------------------------------------------------------------------------------------


def test_graph_is_an_inlined_copy(mlp):
    cf = mlp.__call__.get_concrete_function(SPEC)
    n_before = len(cf.graph.get_operations())
    g = ge.graph_from_function(mlp.__call__, SPEC)
    names = [op.name for op in g.get_operations()]
    assert g is not cf.graph
    assert not any(op.type == "StatefulPartitionedCall" for op in g.get_operations())
    assert "StatefulPartitionedCall/MatMul" in names  # the real ops are visible
    assert [t.name for t in ge.function_inputs(g)] == ["x:0"]
    assert len(g.captures) == 6 and all(t.dtype == tf.resource for t, _ in g.captures)
    assert len(cf.graph.get_operations()) == n_before


def test_not_inlined_keeps_calls(mlp):
    g = ge.graph_from_function(mlp.__call__, SPEC, inline=False)
    assert any(op.type == "StatefulPartitionedCall" for op in g.get_operations())
    f = ge.function_from_graph(g)
    x = np.ones([2, 4], np.float32)
    close(f(x)["y"], mlp(x)["y"])


def test_roundtrip_numbers_structure_and_numpy(mlp, x):
    f = ge.function_from_graph(ge.graph_from_function(mlp.__call__, SPEC))
    out = f(x)
    assert set(out) == {"y", "h"}
    close(out["y"], mlp(x)["y"])
    close(f(x=tf.constant(x))["h"], mlp(x)["h"])


def test_variables_stay_live(mlp, x):
    f = ge.function_from_graph(ge.graph_from_function(mlp.__call__, SPEC))
    before = f(x)["y"].numpy()
    mlp.l3.b.assign_add([1.0, 2.0, 3.0])
    after = f(x)["y"].numpy()
    assert np.abs(after - before).max() > 0.5
    close(after, mlp(x)["y"])
    captured = {id(h) for h, _ in f.graph.captures}
    assert {id(v.handle) for v in mlp.trainable_variables} <= captured


def test_gradients_flow(mlp, x):
    f = ge.function_from_graph(ge.graph_from_function(mlp.__call__, SPEC))
    with tf.GradientTape(persistent=True) as tape:
        a = tf.reduce_sum(f(x)["y"])
        b = tf.reduce_sum(mlp(x)["y"])
    for v in mlp.trainable_variables:
        close(tape.gradient(a, v), tape.gradient(b, v))


def test_edit_then_compile_changes_only_the_copy(mlp, x):
    g = ge.graph_from_function(mlp.__call__, SPEC)
    relu = g.get_operation_by_name("StatefulPartitionedCall/Relu").outputs[0]
    consumers = list(relu.consumers())
    with g.as_default():
        zero = tf.zeros_like(relu)
    for c in consumers:
        for i, t in enumerate(c.inputs):
            if t is relu:
                c._update_input(i, zero)
    edited = ge.function_from_graph(g)
    close(edited(x)["h"], np.zeros([5, 8]))
    assert np.abs(mlp(x)["h"].numpy()).sum() > 0


def test_custom_inputs_and_outputs(mlp, x):
    g = ge.graph_from_function(mlp.__call__, SPEC)
    h1 = mlp.l1(x)
    outputs = {"out": "Identity_1", "h2": "StatefulPartitionedCall_1/Relu"}
    f = ge.function_from_graph(g, inputs=["StatefulPartitionedCall/Relu", "x"], outputs=outputs)
    out = f(h1.numpy(), x)
    close(out["out"], mlp(x)["y"])
    close(out["h2"], mlp.l2(h1))
    sub = ge.function_from_graph(g, outputs="StatefulPartitionedCall/Relu:0")
    close(sub(x), h1)


def test_custom_inputs_missing_one_raises(mlp):
    g = ge.graph_from_function(mlp.__call__, SPEC)
    with pytest.raises(ge.CutError, match="x:0"):
        ge.function_from_graph(g, inputs=["StatefulPartitionedCall/Relu"])


def test_concrete_function_and_plain_callable(x):
    w = tf.Variable(np.eye(4, dtype=np.float32) * 2)
    f1 = ge.function_from_graph(ge.graph_from_function(lambda t: tf.matmul(t, w), SPEC))
    close(f1(x), x * 2)
    cf = tf.function(lambda t: tf.tanh(t)).get_concrete_function(SPEC)
    close(ge.function_from_graph(ge.graph_from_function(cf))(x), np.tanh(x))


def test_untraced_function_needs_specs():
    with pytest.raises(ge.GraphEditValueError, match="TensorSpec"):
        ge.graph_from_function(tf.function(lambda t: t * 2))
    with pytest.raises(ge.GraphEditTypeError):
        ge.graph_from_function(42)


def test_control_flow_functions_survive(x):
    v = tf.Variable(1.5)

    @tf.function
    def fn(t):
        def body(i, acc):
            return i + 1, acc * v

        _, acc = tf.while_loop(lambda i, a: i < 3, body, [0, t])
        return tf.cond(tf.reduce_sum(acc) > 0, lambda: acc + 1.0, lambda: acc - 1.0)

    f = ge.function_from_graph(ge.graph_from_function(fn, SPEC))
    close(f(x), fn(x))
    v.assign(2.0)
    close(f(x), fn(x))


# --------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------


def test_name_resolution(mlp):
    g = ge.graph_from_function(mlp.__call__, SPEC)
    full = "StatefulPartitionedCall_1/MatMul:0"
    assert functions.resolve_tensor(g, full).name == full
    assert functions.resolve_tensor(g, "StatefulPartitionedCall_1/MatMul").name == full
    with pytest.raises(ge.GraphEditKeyError, match="ambiguous.*StatefulPartitionedCall/Relu:0"):
        functions.resolve_tensor(g, "Relu:0")
    with pytest.raises(ge.GraphEditKeyError, match="Closest names.*Relu:0"):
        functions.resolve_tensor(g, "StatefulPartitionedCall/Reluu:0")
    with pytest.raises(ge.GraphEditKeyError, match="has 1 output"):
        functions.resolve_tensor(g, "StatefulPartitionedCall/Relu:3")
    other = ge.graph_from_function(mlp.__call__, SPEC)
    with pytest.raises(ge.GraphMismatchError):
        functions.resolve_tensor(g, other.outputs[0])


def test_unique_suffix_match():
    @tf.function
    def fn(t):
        with tf.name_scope("block"):
            h = tf.nn.relu(t, name="act")
        return tf.tanh(h, name="out")

    g = ge.graph_from_function(fn, SPEC)
    assert functions.resolve_tensor(g, "act:0").name == "block/act:0"
    assert functions.resolve_tensor(g, "act").name == "block/act:0"


# --------------------------------------------------------------------------------------------
# crossing tensors / split
# --------------------------------------------------------------------------------------------


def test_split_with_skip_from_input(mlp, x):
    cut = "StatefulPartitionedCall_1/Relu:0"
    names = ge.crossing_tensors(mlp.__call__, cut, SPEC)
    # h1 is an output too ("h"), x feeds the sum: both cross the cut.
    assert names[0] == cut
    assert set(names[1:]) == {"x:0", "StatefulPartitionedCall/Relu:0"}
    head, tail = ge.split_function(mlp.__call__, cut, SPEC)
    mid = head(x)
    assert isinstance(mid, tuple) and len(mid) == len(names)
    close(mid[0], mlp.l2(mlp.l1(x)))
    out = tail(*mid)
    close(out["y"], mlp(x)["y"])
    close(out["h"], mlp(x)["h"])
    close(tail(*[m.numpy() for m in mid])["y"], mlp(x)["y"])  # numpy in


def test_split_single_crossing_returns_tuple(x):
    w1 = tf.Variable(np.full([4, 4], 0.5, np.float32))
    w2 = tf.Variable(np.full([4, 2], -0.25, np.float32))
    fn = tf.function(lambda t: tf.matmul(tf.nn.relu(tf.matmul(t, w1), name="h"), w2))
    head, tail = ge.split_function(fn, "h", SPEC)
    (mid,) = head(x)
    close(tail(mid), fn(x))
    w2.assign(np.ones([4, 2], np.float32))  # variables stay live in both halves
    close(tail(*head(x)), fn(x))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tail(*head(x)))
    assert tape.gradient(loss, w1) is not None


def test_split_conv_net_residual():
    net = ConvNet()
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 2)).astype(np.float32)
    names = ge.crossing_tensors(net.__call__, "body")
    assert names == ["body:0", "stem:0"]
    head, tail = ge.split_function(net.__call__, "body")
    close(tail(*head(x)), net(x))
    net.w.assign(net.w * 2)
    close(tail(*head(x)), net(x))


def test_split_at_several_tensors_and_from_graph(mlp, x):
    g = ge.graph_from_function(mlp.__call__, SPEC)
    cut = ["StatefulPartitionedCall_1/Relu:0", "StatefulPartitionedCall/Relu:0"]
    assert ge.crossing_tensors(g, cut) == cut + ["x:0"]
    head, tail = ge.split_function(g, cut)
    close(tail(*head(x))["y"], mlp(x)["y"])


def test_cut_errors(mlp, x):
    cf = mlp.__call__.get_concrete_function(SPEC)
    n_ops = len(cf.graph.get_operations())
    expected = mlp(x)["y"].numpy()
    with pytest.raises(ge.CutError, match="does not depend on the function's inputs"):
        ge.split_function(mlp.__call__, "StatefulPartitionedCall/MatMul/ReadVariableOp", SPEC)

    @tf.function
    def dead_branch(t):
        tf.tanh(t, name="unused")
        return t * 2

    with pytest.raises(ge.CutError, match="do not depend on the cut"):
        ge.split_function(dead_branch, "unused", SPEC)
    with pytest.raises(ge.GraphEditKeyError, match="Closest"):
        ge.split_function(mlp.__call__, "StatefulPartitionedCall/Reluu", SPEC)
    with pytest.raises(ge.CutError):
        ge.crossing_tensors(mlp.__call__, [], SPEC)
    assert len(cf.graph.get_operations()) == n_ops
    close(mlp(x)["y"], expected)
    assert issubclass(ge.CutError, ValueError)


def test_capture_of_symbolic_tensor_is_rejected():
    stash = []

    @tf.function
    def outer(t):
        s = tf.reduce_sum(t)

        @tf.function
        def inner(u):
            return u + s

        stash.append(inner.get_concrete_function(tf.TensorSpec([], tf.float32)))
        return s

    outer(tf.ones([2]))
    with pytest.raises(ge.CaptureError, match="symbolic tensor"):
        ge.graph_from_function(stash[0])


# --------------------------------------------------------------------------------------------
# insert_at
# --------------------------------------------------------------------------------------------


def test_insert_at_one_tensor(mlp, x):
    fn = ge.insert_at(mlp.__call__, "StatefulPartitionedCall/Relu", lambda t: t * 0.5, SPEC)
    h1 = mlp.l1(x)
    out = fn(x)
    close(out["h"], h1 * 0.5)
    close(out["y"], mlp.l3(mlp.l2(h1 * 0.5)) + x.sum(axis=1, keepdims=True))
    mlp.l3.b.assign(tf.zeros([3]))
    close(fn(x)["y"], mlp.l3(mlp.l2(h1 * 0.5)) + x.sum(axis=1, keepdims=True))
    close(mlp(x)["h"], h1)  # the source is untouched


def test_insert_at_list_calls_op_fn_once_per_tensor(mlp, x):
    calls = []

    def add_one(t):
        calls.append(t.name)
        return t + 1.0

    cut = ["StatefulPartitionedCall/Relu:0", "StatefulPartitionedCall_1/Relu:0"]
    fn = ge.insert_at(mlp.__call__, cut, add_one, SPEC)
    assert calls == cut
    h1 = mlp.l1(x) + 1.0
    close(fn(x)["y"], mlp.l3(mlp.l2(h1) + 1.0) + x.sum(axis=1, keepdims=True))


def test_insert_at_noise_and_variables(x):
    scale = tf.Variable(0.0)
    w = tf.Variable(np.ones([4, 2], np.float32))
    fn = tf.function(lambda t: tf.matmul(tf.nn.relu(t, name="act"), w))
    noisy = ge.insert_at(fn, "act", lambda t: t + scale * tf.random.normal(tf.shape(t)), SPEC)
    close(noisy(x), fn(x))
    scale.assign(1.0)
    assert np.abs(noisy(x).numpy() - fn(x).numpy()).max() > 1e-3


def test_insert_at_bad_op_fn(mlp, x):
    with pytest.raises(ge.GraphEditTypeError, match="dtype"):
        ge.insert_at(mlp.__call__, "StatefulPartitionedCall/Relu",
                     lambda t: tf.cast(t, tf.int32), SPEC)
    with pytest.raises(ge.GraphEditValueError, match="shape"):
        ge.insert_at(mlp.__call__, "StatefulPartitionedCall/Relu",
                     lambda t: tf.reduce_sum(t, axis=1), SPEC)
    with pytest.raises(ge.GraphEditTypeError):
        ge.insert_at(mlp.__call__, "StatefulPartitionedCall/Relu", "not callable", SPEC)
    close(mlp(x)["h"], mlp.l1(x))


# --------------------------------------------------------------------------------------------
# state, control flow, lifetime
# --------------------------------------------------------------------------------------------


def test_stateful_ops_run_once_in_roundtrip_and_split(x):
    counter = tf.Variable(0.0)
    last = tf.Variable(0.0)
    w = tf.Variable(np.full([4, 4], 0.1, np.float32))

    @tf.function
    def fn(t):
        h = tf.tanh(t @ w, name="h")
        counter.assign_add(1.0)
        last.assign(tf.reduce_sum(t))
        return tf.nn.relu(h, name="h2") * 2.0

    f = ge.function_from_graph(ge.graph_from_function(fn, SPEC))
    f(x)
    assert counter.numpy() == 1.0 and last.numpy() == pytest.approx(x.sum(), rel=1e-5)
    head, tail = ge.split_function(fn, "h2", SPEC)
    last.assign(0.0)
    close(tail(*head(x)), 2.0 * np.maximum(np.tanh(x @ w.numpy()), 0))
    assert counter.numpy() == 2.0  # the update ran once, in one of the halves
    assert last.numpy() == pytest.approx(x.sum(), rel=1e-5)


def test_split_with_while_and_cond(x):
    w = tf.Variable(np.full([4, 4], 0.3, np.float32))

    @tf.function
    def loop(t):
        def body(i, acc):
            return i + 1, tf.tanh(acc @ w)

        _, acc = tf.while_loop(lambda i, a: i < 3, body, [0, t])
        mid = tf.identity(acc, name="mid")
        return tf.cond(tf.reduce_sum(mid) > 0, lambda: mid + 1.0, lambda: mid - 1.0)

    head, tail = ge.split_function(loop, "mid", SPEC)
    close(tail(*head(x)), loop(x))
    w.assign(w * -2.0)
    close(tail(*head(x)), loop(x))


def test_edited_functions_outlive_the_source(x):
    def make():
        net = MLP()
        expected = net(x)["y"].numpy()
        halves = ge.split_function(net.__call__, "StatefulPartitionedCall_1/Relu", SPEC)
        return halves, expected

    (head, tail), expected = make()
    import gc

    gc.collect()
    close(tail(*head(x))["y"], expected)


def test_python_literals_none_and_repeated_outputs(x):
    @tf.function
    def fn(t, scale=2.0):
        y = tf.tanh(t) * scale
        return y, y, None, {"a": y}

    cf = fn.get_concrete_function(SPEC)
    f = ge.function_from_graph(ge.graph_from_function(fn, SPEC))
    out = f(x, 2.0)  # called like the source ConcreteFunction
    ref = cf(x, 2.0)
    assert out[2] is None and set(out[3]) == {"a"}
    close(out[0], ref[0])
    close(out[3]["a"], ref[3]["a"])
    close(f(tf.constant(x))[1], ref[1])  # the flat convention: tensors only
    g = ge.graph_from_function(fn, SPEC)
    twice = ge.function_from_graph(g, outputs=[g.outputs[0], g.outputs[0]])
    a, b = twice(x, 2.0)
    close(a, b)


def test_multiple_arguments_and_keywords():
    @tf.function
    def fn(a, b):
        return {"s": tf.add(a, b, name="s"), "p": a * b}

    specs = (tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32))
    f = ge.function_from_graph(ge.graph_from_function(fn, *specs))
    assert float(f(2.0, 3.0)["s"]) == 5.0 and float(f(a=2.0, b=4.0)["p"]) == 8.0
    assert ge.crossing_tensors(fn, "s", *specs) == ["s:0", "a:0", "b:0"]
    head, tail = ge.split_function(fn, "s", *specs)
    out = tail(*head(a=2.0, b=3.0))
    assert float(out["s"]) == 5.0 and float(out["p"]) == 6.0


def test_insert_at_on_a_graph_leaves_it_unchanged(mlp, x):
    g = ge.graph_from_function(mlp.__call__, SPEC)
    relu = g.get_tensor_by_name("StatefulPartitionedCall/Relu:0")
    consumers = [op.name for op in relu.consumers()]
    n_ops = len(g.get_operations())
    fn = ge.insert_at(g, relu, lambda t: t * 0.0)
    close(fn(x)["h"], np.zeros([5, 8]))
    assert [op.name for op in relu.consumers()] == consumers
    assert len(g.get_operations()) == n_ops
    close(ge.function_from_graph(g)(x)["h"], mlp(x)["h"])


def test_deferred_capture_is_rejected(x):
    @tf.function
    def fn(t):
        graph = tf.compat.v1.get_default_graph()
        two = graph.capture_call_time_value(lambda: tf.constant(2.0),
                                            tf.TensorSpec([], tf.float32))
        return t * two

    close(fn(x), 2 * x)
    with pytest.raises(ge.CaptureError, match="deferred"):
        ge.graph_from_function(fn, SPEC)
    close(fn(x), 2 * x)


# --------------------------------------------------------------------------------------------
# property: any cut of a random DAG function splits it exactly
# --------------------------------------------------------------------------------------------

from conftest import build_dag, dag_specs  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_DAG_X = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(2, 3)
_DAG_Y = np.linspace(0.5, -0.5, 6, dtype=np.float32).reshape(2, 3)
_DAG_V = tf.Variable(np.array([0.5, -1.0, 2.0], np.float32))
_DAG_KINDS = {
    "tanh": (1, tf.tanh),
    "add": (2, tf.add),
    "mul": (1, lambda a, name: tf.multiply(a, _DAG_V, name=name)),  # captures a variable
}


def _dags():
    """(spec, outputs, cut): tensors 0, 1 are the inputs x, y; tensor k + 2 is node k."""
    return dag_specs(_DAG_KINDS, n_inputs=2, n_ops=(2, 9)).flatmap(lambda spec: st.tuples(
        st.just(spec),
        st.lists(st.integers(2, len(spec.nodes) + 1), min_size=1, max_size=2, unique=True),
        st.integers(0, len(spec.nodes) - 1),
    ))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dags())
def test_random_dag_splits_exactly(dag):
    dag_spec, outs, cut = dag

    def body(x, y):
        ts = build_dag(dag_spec, _DAG_KINDS, inputs=[x, y], name="n{k}")[1]
        return {f"o{k}": ts[k] for k in outs}

    spec = tf.TensorSpec([2, 3], tf.float32)
    fn = tf.function(body)
    # Ancestors of the outputs, among the ops: the cut works iff it is one of them.
    needed, stack = set(), [k for k in outs]
    while stack:
        k = stack.pop()
        if k < 2 or k in needed:
            continue
        needed.add(k)
        stack.extend(dag_spec.nodes[k - 2][1])
    name = f"n{cut}"
    if cut + 2 not in needed:
        with pytest.raises(ge.CutError):
            ge.split_function(fn, name, spec, spec)
        return
    head, tail = ge.split_function(fn, name, spec, spec)
    mid = head(_DAG_X, _DAG_Y)
    assert len(mid) == len(ge.crossing_tensors(fn, name, spec, spec))
    out, ref = tail(*mid), fn(_DAG_X, _DAG_Y)
    assert sorted(out) == sorted(ref)
    for k in ref:
        close(out[k], ref[k])


# --------------------------------------------------------------------------------------------
# Custom gradients (tf.custom_gradient: Keras's swish, straight-through estimators)
# --------------------------------------------------------------------------------------------


@tf.custom_gradient
def _clipped_straight_through_round(x):
    """round(x) forward; backward dy where |x| <= 1, else 0 (autodiff of round gives 0)."""

    def grad(dy):
        return dy * tf.cast(tf.abs(x) <= 1.0, dy.dtype)  # reads x: a tensor of the source

    return tf.round(x), grad


class Swishy(tf.Module):
    """Swish (tf.nn.silu's custom gradient) in a nested call, and a straight-through op."""

    def __init__(self):
        super().__init__()
        self.w1 = tf.Variable(tf.random.stateless_normal([4, 6], [9, 1]))
        self.w2 = tf.Variable(tf.random.stateless_normal([6, 3], [9, 2]))

    @tf.function
    def block(self, x):
        return tf.nn.silu(tf.matmul(x, self.w1, name="mm1"))

    @tf.function(input_signature=[SPEC])
    def __call__(self, x):
        h = self.block(x)
        q = _clipped_straight_through_round(h * 0.7)
        return tf.matmul(tf.nn.silu(h) + q, self.w2)


def _grads(fn, x, variables):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        loss = tf.reduce_sum(y * (tf.cast(tf.range(tf.shape(y)[-1]), y.dtype) - 1.5))
    return tape.gradient(loss, [x, *variables])


def _assert_grads_equal(got, ref):
    assert all(g is not None for g in got)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-5, atol=1e-6)


def test_custom_gradients_survive_function_copies(x):
    m = Swishy()
    ref = _grads(m, x, [m.w1, m.w2])
    assert np.abs(ref[1].numpy()).max() > 0
    graph = ge.graph_from_function(m.__call__)
    def custom(g):
        return [op for op in g.get_operations() if "_gradient_op_type" in op.node_def.attr]

    assert len(custom(graph)) == 3  # swish in the inlined call, the straight-through op, swish
    f = ge.function_from_graph(graph)
    for op in custom(f.graph):  # each copy has its own gradient, not the source's
        assert op.get_attr("_gradient_op_type").startswith(b"GraphEditorCustomGradient-")
    assert len(custom(f.graph)) == 3
    _assert_grads_equal(_grads(f, x, [m.w1, m.w2]), ref)
    # straight through: not TF's gradient of round (0), which dropping the attr would give
    with tf.GradientTape() as tape:
        h = tf.constant([[0.3, 2.0]])
        tape.watch(h)
        q = _clipped_straight_through_round(h)
    np.testing.assert_allclose(tape.gradient(q, h), [[1.0, 0.0]])
    noisy = ge.insert_at(m.__call__, "mm1", lambda t: t * 1.0)
    _assert_grads_equal(_grads(noisy, x, [m.w1, m.w2]), ref)


def test_custom_gradients_survive_split(x):
    m = Swishy()
    ref = _grads(m, x, [m.w1, m.w2])
    graph = ge.graph_from_function(m.__call__)
    cut = ge.functions.resolve_tensor(graph, "mm1")  # swish's input is fed to the tail
    head, tail = ge.split_function(graph, cut)
    _assert_grads_equal(_grads(lambda t: tail(*head(t)), x, [m.w1, m.w2]), ref)
    tf.nest.map_structure(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5),
                          tail(*head(x)), m(x))


def test_custom_gradient_reading_an_intermediate(x):
    @tf.custom_gradient
    def odd(t):  # the gradient reads s, an intermediate that is not an input of IdentityN,
        s = tf.sigmoid(t)  # and is not TF's gradient of t * s (the term t*s*(1-s) is left out)
        return t * s, lambda dy: dy * s

    @tf.function(input_signature=[SPEC])
    def fn(t):
        return odd(tf.tanh(t)) * 3.0

    @tf.function(input_signature=[SPEC])
    def plain(t):  # what TF's own gradient of the forward ops gives
        h = tf.tanh(t)
        return h * tf.sigmoid(h) * 3.0

    ref, autodiff = _grads(fn, x, []), _grads(plain, x, [])
    assert np.abs(ref[0].numpy() - autodiff[0].numpy()).max() > 1e-3
    graph = ge.graph_from_function(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # found by name in the copy: no fallback
        _assert_grads_equal(_grads(ge.function_from_graph(graph), x, []), ref)
    (product,) = [op.outputs[0] for op in graph.get_operations()
                  if op.type == "Mul" and op.inputs[1].op.type == "Sigmoid"]
    head, tail = ge.split_function(graph, product)  # the sigmoid stays in the head
    with pytest.warns(UserWarning, match="reads tensors the copy does not contain"):
        got = _grads(lambda t: tail(*head(t)), x, [])
    _assert_grads_equal(got, autodiff)  # the fallback: TF's gradient of the forward ops
