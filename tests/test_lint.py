"""Tests for graph_editor.lint: validate and find_cut_points."""

from __future__ import annotations

import random
from collections import deque

import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge
from graph_editor import _tf


def _raw_update(op, index, t):
    """Plant a problem with TF's unchecked edge update, as a careless edit would."""
    _tf.update_edges(op.graph, [(op, index, t)])


def _kinds(problems):
    return sorted(p.kind for p in problems)


# --------------------------------------------------------------------------------------------
# validate: clean graphs
# --------------------------------------------------------------------------------------------


def test_validate_clean_graphs_have_no_problems(diamond):
    g, _ = diamond
    assert ge.validate(g) == []
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        p = tf.compat.v1.placeholder(tf.bool, [], name="p")
        r = tf.cond(p, lambda: x * 2.0, lambda: x - 1.0, name="cond")
        w = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0), [0, r])
        v = tf.Variable(tf.ones([3]), name="v")
        with tf.control_dependencies([w[1].op]):
            tf.identity(v.read_value() + x, name="y")
    types = {op.type for op in g2.get_operations()}
    assert types >= {"StatelessIf", "StatelessWhile", "VarHandleOp"}
    assert ge.validate(g2) == []
    assert ge.validate(g2, raise_on_error=True) == []


# --------------------------------------------------------------------------------------------
# validate: planted problems
# --------------------------------------------------------------------------------------------


def test_validate_finds_a_dtype_mismatch(diamond):
    g, t = diamond
    with g.as_default():
        i = tf.compat.v1.placeholder(tf.int32, [2], name="i")
    _raw_update(t.d.op, 1, i)  # d = c * i: TF accepts it
    problems = ge.validate(g)
    assert _kinds(problems) == ["dtype-mismatch"]
    (p,) = problems
    assert p.ops == ("d", "i") and p.severity == "error"
    assert "Input 1 of op 'd' (Mul) reads 'i:0' of dtype int32" in p.message
    assert "expects float32" in p.message and "tf.cast" in p.hint
    assert "Hint:" in str(p)


def test_validate_finds_cycles(diamond):
    g, t = diamond
    _raw_update(t.c.op, 0, t.e)  # c = e + b, e = tanh(c * b): c -> d -> e -> c
    problems = ge.validate(g)
    assert _kinds(problems) == ["cycle"]
    (p,) = problems
    assert set(p.ops) == {"c", "d", "e"}
    assert "c -> d -> e -> c" in p.message or "d -> e -> c -> d" in p.message \
        or "e -> c -> d -> e" in p.message
    g2 = tf.Graph()
    with g2.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        s = tf.add(a, a, name="s")
    _raw_update(s.op, 1, s)  # a self loop
    (p2,) = ge.validate(g2)
    assert p2.kind == "cycle" and p2.ops == ("s",) and "s -> s" in p2.message


def test_validate_finds_control_edge_cycles(diamond):
    g, t = diamond
    t.c.op._add_control_inputs([t.e.op])  # noqa: SLF001 - plant the problem
    (p,) = ge.validate(g)
    assert p.kind == "cycle" and set(p.ops) == {"c", "d", "e"}


def test_validate_finds_missing_functions():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        p = tf.compat.v1.placeholder(tf.bool, [], name="p")
        tf.cond(p, lambda: x * 2.0, lambda: x - 1.0, name="cond")
    gd = g.as_graph_def()
    names = sorted(f.signature.name for f in gd.library.function)
    assert len(names) == 2
    del gd.library.function[:]
    broken = tf.Graph()
    with broken.as_default():
        tf.graph_util.import_graph_def(gd, name="")  # TF imports it without complaint
    problems = ge.validate(broken)
    assert _kinds(problems) == ["missing-function", "missing-function"]
    assert sorted(p.message.split("function '")[1].split("'")[0] for p in problems) == names
    assert all(p.ops == ("cond",) and "StatelessIf" in p.message for p in problems)
    with pytest.raises(ge.GraphValidationError) as info:
        ge.validate(broken, raise_on_error=True)
    assert len(info.value.problems) == 2 and isinstance(info.value, ValueError)
    assert "2 problem(s)" in str(info.value)


def test_validate_finds_ops_of_other_graphs(diamond):
    g, t = diamond
    g2 = tf.Graph()
    with g2.as_default():
        z = tf.constant(1.0, name="z")
    problems = ge.validate([t.c.op, z.op])
    assert _kinds(problems) == ["foreign-graph"]
    assert problems[0].ops == ("z",) and "2 different graphs" in problems[0].message


def test_validate_warns_about_orphan_placeholders(diamond):
    g, t = diamond
    ph = ge.make_placeholder_from_tensor(t.c)  # what detach leaves behind
    _raw_update(t.d.op, 0, ph)
    problems = ge.validate(g)
    assert _kinds(problems) == ["orphan-placeholder"]
    (p,) = problems
    assert p.severity == "warning" and p.ops == (ph.op.name, "d")
    assert ge.validate(g, raise_on_error=True) == problems  # warnings never raise


def test_validate_only_checks_the_given_ops(diamond):
    g, t = diamond
    with g.as_default():
        i = tf.compat.v1.placeholder(tf.int32, [2], name="i")
    _raw_update(t.d.op, 1, i)
    assert ge.validate(ge.sgv(t.c.op, t.e.op)) == []
    assert _kinds(ge.validate(ge.sgv(t.d.op))) == ["dtype-mismatch"]
    assert _kinds(ge.validate(t.d.op)) == ["dtype-mismatch"]
    with pytest.raises(ge.GraphEditTypeError):
        ge.validate("d")


def test_validate_errors_come_before_warnings(diamond):
    g, t = diamond
    ph = ge.make_placeholder_from_tensor(t.c)
    _raw_update(t.d.op, 0, ph)
    with g.as_default():
        i = tf.compat.v1.placeholder(tf.int32, [2], name="i")
    _raw_update(t.f.op, 0, i)
    problems = ge.validate(g)
    assert [p.severity for p in problems] == ["error", "warning"]
    with pytest.raises(ge.GraphValidationError, match="1 problem"):
        ge.validate(g, raise_on_error=True)


# --------------------------------------------------------------------------------------------
# validate: variables
# --------------------------------------------------------------------------------------------


def test_validate_finds_variables_nothing_initialises():
    g = tf.Graph()
    with g.as_default():
        ok = tf.compat.v1.get_variable("ok", initializer=np.ones(2, np.float32))
        bare = tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[2], shared_name="bare",
                                      name="bare")
        read = tf.raw_ops.ReadVariableOp(resource=bare, dtype=tf.float32, name="read")
        tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="unread", name="unread")
        out = tf.add(ok, read, name="out")
        # a second handle on "ok"'s state needs no initializer of its own
        alias = tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[2], shared_name="ok",
                                       name="alias")
        alias_read = tf.raw_ops.ReadVariableOp(resource=alias, dtype=tf.float32)
    problems = ge.validate(g)
    assert [(p.kind, p.ops, p.severity) for p in problems] == [
        ("uninitializable-variable", ("bare", "read"), "error"),
        ("uninitializable-variable", ("unread",), "warning"),
    ]
    assert "'read' fail(s) with FailedPreconditionError" in problems[0].message
    assert "ge.get_name_scope_ops" in problems[0].hint
    assert _kinds(ge.validate(ge.sgv(out.op, ok.op))) == []  # only the given ops
    assert _kinds(ge.validate(bare.op)) == ["uninitializable-variable"]
    with tf.compat.v1.Session(graph=g) as s:  # what the problem says
        s.run(tf.compat.v1.global_variables_initializer())
        np.testing.assert_allclose(s.run(alias_read), [1.0, 1.0])
        with pytest.raises(tf.errors.FailedPreconditionError):
            s.run(out)
    # an assignment makes it initialisable: then it runs
    with g.as_default():
        init_bare = tf.raw_ops.AssignVariableOp(resource=bare, value=[2.0, 3.0])
    assert [p.ops[0] for p in ge.validate(g)] == ["unread"]
    with tf.compat.v1.Session(graph=g) as s:
        s.run([tf.compat.v1.global_variables_initializer(), init_bare])
        np.testing.assert_allclose(s.run(out), [3.0, 4.0])


def _legacy_rewrap(g, var, scope):
    """The usual contrib-era recipe: re-wrap a copied variable from its renamed VariableDef."""
    with g.as_default():
        vdef = var.to_proto()
        for field in ("variable_name", "initializer_name", "snapshot_name",
                      "initial_value_name"):
            setattr(vdef, field, f"{scope}/{getattr(vdef, field)}")
        cloned = tf.compat.v1.Variable(variable_def=vdef)
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES, cloned)
    return cloned


def test_validate_finds_variables_collected_twice(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        with tf.compat.v1.variable_scope("net"):
            w = tf.compat.v1.get_variable("W", initializer=np.eye(2, dtype=np.float32) * 3)
        y = tf.matmul(x, w, name="y")
    _, info = ge.copy(g, dst_scope="copy")
    w_ = info.transformed(w)
    assert w_.op.name == "copy/net/W"  # the library registered the copy already
    assert ge.validate(g) == []
    cloned = _legacy_rewrap(g, w, "copy")  # legacy code, ported unchanged
    with g.as_default(), pytest.raises(ValueError, match="At least two variables"):
        tf.compat.v1.train.Saver()
    problems = ge.validate(g)
    assert [(p.kind, p.ops) for p in problems] == [("duplicate-variable", ("copy/net/W",))]
    assert "Collection 'variables' holds variable 'copy/net/W' 2 times" in problems[0].message
    assert "info.transformed(var)" in problems[0].hint and "delete" in problems[0].hint
    with pytest.raises(ge.GraphValidationError, match="duplicate-variable"):
        ge.validate(g, raise_on_error=True)
    assert _kinds(ge.validate(ge.sgv(y.op))) == []  # a view without it
    # the fix the hint gives: keep one wrapper; then Saver works and round-trips the values
    coll = g.get_collection_ref(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    coll[:] = [v for v in coll if v is not cloned]
    assert ge.validate(g) == []
    feed = {x: [[1.0, 2.0]], info.transformed(x): [[1.0, 2.0]]}
    with g.as_default():
        saver = tf.compat.v1.train.Saver()
        init = tf.compat.v1.global_variables_initializer()
    with tf.compat.v1.Session(graph=g) as s:
        s.run(init)
        s.run(w_.assign(w_ * 2.0))
        path = saver.save(s, str(tmp_path / "ckpt"))
    with tf.compat.v1.Session(graph=g) as s:
        saver.restore(s, path)
        np.testing.assert_allclose(s.run([y, info.transformed(y)], feed),
                                   [[[3.0, 6.0]], [[6.0, 12.0]]])


def test_validate_finds_one_variable_collected_twice():
    g = tf.Graph()
    with g.as_default():
        v = tf.compat.v1.get_variable("v", initializer=1.0)
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES, v)
    (p,) = ge.validate(g)
    assert p.kind == "duplicate-variable" and "1 distinct" in p.message


# --------------------------------------------------------------------------------------------
# find_cut_points
# --------------------------------------------------------------------------------------------


def _names(ts):
    return [t.name for t in ts]


def test_cut_points_on_a_chain():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        a = tf.tanh(x, name="a")
        b = tf.negative(a, name="b")
        c = tf.exp(b, name="c")
        y = tf.identity(c, name="y")
    assert _names(ge.find_cut_points(g, [x], [y])) == ["a:0", "b:0", "c:0"]
    assert _names(ge.find_cut_points(g, "x", "y:0")) == ["a:0", "b:0", "c:0"]
    assert _names(ge.find_cut_points(g, [a], [c])) == ["b:0"]
    assert ge.find_cut_points(g, [x], [a]) == []
    # one record type for graphs and functions: the name (a str) carrying the tensor
    points = ge.find_cut_points(g, [x], [y])
    assert all(isinstance(p, ge.CutPoint) and isinstance(p, str) for p in points)
    assert points == ["a:0", "b:0", "c:0"]
    assert all(p.tensor is t for p, t in zip(points, [a, b, c], strict=True))


def test_cut_points_on_the_diamond(diamond):
    g, t = diamond
    # b feeds c and d: only d lies on every path from {a, b} to e
    assert _names(ge.find_cut_points(g, [t.a, t.b], [t.e])) == ["d:0"]
    # from a alone every path goes a -> c -> d -> e
    assert _names(ge.find_cut_points(g, [t.a], [t.e])) == ["c:0", "d:0"]
    # two outputs: c is the only shared tensor
    assert _names(ge.find_cut_points(g, [t.a], [t.e, t.f])) == ["c:0"]


def test_cut_points_with_a_skip_connection():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        h = tf.nn.relu(x, name="h")
        b1 = tf.multiply(h, 2.0, name="b1")
        b2 = tf.tanh(b1, name="b2")
        s = tf.add(b2, h, name="s")  # skip: h -> s bypasses b1, b2
        y = tf.multiply(s, 3.0, name="y")
    assert _names(ge.find_cut_points(g, [x], [y])) == ["h:0", "s:0"]
    assert _names(ge.find_cut_points(g, [x], [b2])) == ["h:0", "b1:0"]


def test_cut_points_are_tensors_not_multi_output_ops():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [4], name="x")
        t = tf.tanh(x, name="t")
        p0, p1 = tf.split(t, 2, name="split")
        y = tf.add(p0, p1, name="y")
    # the Split op dominates y, but neither of its outputs does
    assert _names(ge.find_cut_points(g, [x], [y])) == ["t:0"]


def test_cut_points_ignore_side_inputs_and_control_edges():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        w = tf.constant([1.0, 2.0], name="w")
        a = tf.multiply(x, w, name="a")
        k = tf.tanh(w, name="k")  # not reachable from x
        with tf.control_dependencies([x.op]):
            b = tf.add(a, k, name="b")
        y = tf.identity(b, name="y")
    assert _names(ge.find_cut_points(g, [x], [y])) == ["a:0", "b:0"]


def test_cut_points_errors(diamond):
    g, t = diamond
    with pytest.raises(ge.GraphEditValueError, match="do not depend"):
        ge.find_cut_points(g, [t.e], [t.a])
    with pytest.raises(ge.GraphEditKeyError, match="nope:0"):
        ge.find_cut_points(g, ["nope"], [t.e])
    with pytest.raises(ge.GraphEditValueError, match="inputs"):
        ge.find_cut_points(g, None, [t.e])
    with pytest.raises(ge.GraphEditTypeError, match=r"t\.op|outputs"):
        ge.find_cut_points(g, [t.a], [t.e.op])
    g2 = tf.Graph()
    with g2.as_default():
        z = tf.compat.v1.placeholder(tf.float32, [2], name="z")
    with pytest.raises(ge.GraphEditValueError, match="not in the given graph"):
        ge.find_cut_points(g, [z], [t.e])
    with pytest.raises(ge.GraphEditTypeError):
        ge.find_cut_points(t.a, [t.a], [t.e])


def test_cut_points_of_functions():
    @tf.function
    def fn(x):
        h = tf.nn.relu(x, name="h")
        return tf.tanh(h, name="t") * 2.0

    spec = [tf.TensorSpec([3], tf.float32)]
    names = ge.find_cut_points(fn, input_specs=spec)
    assert names[:2] == ["h:0", "t:0"] and all(isinstance(n, str) for n in names)
    assert all(isinstance(n, ge.CutPoint) and n.tensor.name == n for n in names)
    with pytest.warns(ge.GraphEditDeprecationWarning, match="'input_specs'"):
        assert ge.find_cut_points(fn, signature=spec) == names  # the old spelling works
    with pytest.raises(ge.GraphEditTypeError, match="both"):
        ge.find_cut_points(fn, input_specs=spec, signature=spec)
    cf = fn.get_concrete_function(*spec)
    assert ge.find_cut_points(cf) == names
    assert ge.find_cut_points(cf, ["h:0"], ["t:0"]) == []
    with pytest.raises(ge.GraphEditValueError, match="signature"):
        ge.find_cut_points(fn)


def _brute_force_cut_points(graph, inputs, outputs):
    """Tensors t such that no path from inputs to outputs avoids t (BFS per tensor)."""
    out_ids = {id(t) for t in outputs}
    excluded = {t.name for t in inputs} | {t.name for t in outputs}

    def reachable(avoid):
        queue = deque(t for t in inputs if t.name != avoid)
        seen = {t.name for t in queue}
        while queue:
            t = queue.popleft()
            if id(t) in out_ids:
                return True
            for op in t.consumers():
                for o in op.outputs:
                    if o.name not in seen and o.name != avoid:
                        seen.add(o.name)
                        queue.append(o)
        return False

    return {
        t.name
        for op in graph.get_operations()
        for t in op.outputs
        if t.name not in excluded and not reachable(t.name)
    }


@pytest.mark.parametrize("seed", range(6))
def test_cut_points_match_brute_force_on_random_dags(seed):
    rng = random.Random(seed)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        ts = [x]
        for i in range(25):
            if rng.random() < 0.5 or len(ts) < 2:
                ts.append(tf.tanh(ts[-1 - rng.randrange(min(2, len(ts)))], name=f"u{i}"))
            else:
                a, b = rng.sample(ts[-4:], 2) if len(ts) >= 4 else ts[-2:]
                ts.append(tf.add(a, b, name=f"b{i}"))
        y = ts[-1]
    got = ge.find_cut_points(g, [x], [y])
    assert {t.name for t in got} == _brute_force_cut_points(g, [x], [y])
    # topological order: each cut point is upstream of the next
    order = {op.name: i for i, op in enumerate(g.get_operations())}
    assert [order[t.tensor.op.name] for t in got] == sorted(order[t.tensor.op.name] for t in got)


def test_a_cut_point_really_cuts_the_model():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        h = tf.nn.relu(x * 2.0, name="h")
        y = tf.reduce_sum(tf.tanh(h) + h, axis=1, name="y")
    (cut, *_) = (p.tensor for p in ge.find_cut_points(g, [x], [y]))
    xv = np.arange(8, dtype=np.float32).reshape(2, 4) - 3
    with tf.compat.v1.Session(graph=g) as sess:
        mid, ref = sess.run([cut, y], {x: xv})
        tail = sess.run(y, {cut: mid})  # feeding the cut tensor alone is enough
    np.testing.assert_allclose(tail, ref)


def test_validate_accepts_v1_while_loops():
    tf.compat.v1.disable_control_flow_v2()
    try:
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
            _, out = tf.compat.v1.while_loop(
                lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0), [0, x])
    finally:
        tf.compat.v1.enable_control_flow_v2()
    assert "NextIteration" in {op.type for op in g.get_operations()}
    assert ge.validate(g) == []  # the loop's back edge is not a cycle problem
    with tf.compat.v1.Session(graph=g) as sess:
        np.testing.assert_allclose(sess.run(out, {x: [1.0, 2.0]}), [8.0, 16.0])


def test_cut_points_of_functions_ignore_captured_tensors():
    v = tf.Variable([1.0, 2.0, 3.0])
    c = tf.constant([5.0, 5.0, 5.0])

    @tf.function
    def fn(t):
        return tf.nn.relu(t * v + c, name="r") * 2.0

    cf = fn.get_concrete_function(tf.TensorSpec([3], tf.float32))
    assert len(cf.graph.internal_captures) == 2  # the variable handle and the constant
    # the captured constant enters at `add`, but it is not an input: `mul` is a cut point
    assert ge.find_cut_points(cf)[:3] == ["mul:0", "add:0", "r:0"]


def test_validate_a_concrete_function():
    @tf.function
    def fn(x):
        return tf.cond(x[0] > 0, lambda: x * 2.0, lambda: x - 1.0)

    cf = fn.get_concrete_function(tf.TensorSpec([2], tf.float32))
    assert ge.validate(cf) == []
    assert ge.validate(cf.graph) == []


def test_validate_and_find_cut_points_take_a_keras_model():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu",
                                                                      name="fc1"),
                              keras.layers.Dense(2, name="fc2")])
    assert ge.validate(model) == []
    cuts = ge.find_cut_points(model)
    assert any("fc1" in name and "Relu" in name for name in cuts)
