"""ge.rewrite / ge.find_matches: tracing, matching, replacing, validation, pruning."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import build_dag, run, seeded_dag_spec

import graph_editor as ge
from graph_editor import _tf

X = np.array([[-1.0, 0.5, 2.0], [3.0, -4.0, 0.25]], np.float32)


def snapshot(graph: tf.Graph) -> dict:
    """Serialized NodeDef of every op, by name."""
    return {n.name: n.SerializeToString(deterministic=True) for n in graph.as_graph_def().node}


def same_nodes(graph: tf.Graph, before: dict) -> bool:
    now = snapshot(graph)
    return all(now[name] == node for name, node in before.items())


def relu_chain(n: int):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 3], name="x")
        h = x
        for i in range(n):
            h = tf.nn.relu(h - 0.5, name=f"r{i}") if i % 2 else tf.nn.relu(h, name=f"r{i}")
        tf.tanh(h, name="out")
    return g


def chain(n: int, op=tf.nn.relu):
    g = tf.Graph()
    with g.as_default():
        h = tf.compat.v1.placeholder(tf.float32, [2, 3], name="x")
        for i in range(n):
            h = op(h, name=f"r{i}")
        tf.tanh(h, name="out")
    return g


def test_last_op_id_is_newest_id():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
        tf.graph_util.import_graph_def(chain(3).as_graph_def(), name="imp")
        c = tf.constant(2.0)
    assert _tf.last_op_id(g) == _tf.op_id(c.op)
    assert max(_tf.op_id(o) for o in g.get_operations()) == _tf.last_op_id(g)


def test_function_pattern_replaces_and_keeps_values():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 3], name="x")
        w = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4) / 10, name="w")
        h = tf.nn.relu(tf.matmul(x, w, name="mm"), name="act")
        tf.tanh(h, name="out")
    ref = run(g, "out:0", {"x:0": X})
    report = ge.rewrite(
        g,
        lambda a, b: tf.nn.relu(tf.matmul(a, b)),
        lambda m: tf.maximum(tf.matmul(m.inputs[0], m.inputs[1]), 0.0),
        pattern_dtypes=[tf.TensorSpec([None, None]), tf.TensorSpec([None, None])],
    )
    assert report.matches == 1 and report.iterations == 2
    assert {o.name for o in report.replaced_ops} == {"act", "mm"}
    out = g.get_operation_by_name("out")
    assert out.inputs[0].op.type == "Maximum"
    assert out.inputs[0].op.name.startswith("act_rewrite/")
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, atol=1e-5)


def test_match_object_fields():
    g = chain(2)
    (m,) = ge.find_matches(g, lambda a: tf.nn.relu(tf.nn.relu(a, name="inner"), name="outer"))
    assert m.root.name == "r1" and m.graph is g
    assert [o.name for o in m.ops] == ["r1", "r0"]
    assert m.ops["outer"].name == "r1" and m.ops["inner"].name == "r0" and m.ops[1].name == "r0"
    assert [t.name for t in m.inputs] == ["x:0"]
    assert [t.name for t in m.outputs] == ["r1:0"]
    with pytest.raises(ge.GraphEditValueError, match="nope"):
        m.ops["nope"]


def test_opmatcher_pattern_and_ops_by_type():
    g = chain(3)
    pattern = ge.OpMatcher(ge.op_type("Relu")).input_ops(ge.OpMatcher(ge.op_type("Relu")))
    ms = ge.find_matches(g, pattern)
    assert [m.root.name for m in ms] == ["r2"]  # r1 is claimed by the first match
    assert ms[0].ops["Relu"].name == "r2" and ms[0].ops[1].name == "r1"
    assert [t.name for t in ms[0].inputs] == ["r0:0"]


def test_no_match_is_a_noop():
    g = chain(2)
    before = snapshot(g)
    n_ops = len(g.get_operations())
    report = ge.rewrite(g, lambda a: tf.sigmoid(a), lambda m: tf.tanh(m.inputs[0]))
    assert report.matches == 0 and not report and report.replaced_ops == []
    assert report.iterations == 1
    assert snapshot(g) == before and len(g.get_operations()) == n_ops


def test_iterates_to_fixed_point_without_overlap():
    g = chain(4)
    ref = run(g, "out:0", {"x:0": X})
    pattern = lambda a: tf.nn.relu(tf.nn.relu(a))  # noqa: E731
    report = ge.rewrite(g, pattern, lambda m: tf.nn.relu(m.inputs[0]))
    # round 1: {r3, r2} and {r1, r0}; round 2: the two new relus; round 3: nothing
    assert report.matches == 3 and report.iterations == 3
    assert len(report.replaced_ops) == 6
    out_in = g.get_operation_by_name("out").inputs[0].op
    assert out_in.type == "Relu" and out_in.inputs[0].name == "x:0"
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, atol=1e-5)


def relus_before_out(g: tf.Graph) -> list[str]:
    """Names of the Relu ops on the path from 'out' back to the first non-Relu."""
    names = []
    t = g.get_operation_by_name("out").inputs[0]
    while t.op.type == "Relu":
        names.append(t.op.name)
        t = t.op.inputs[0]
    return names


@pytest.mark.parametrize("matcher", [False, True], ids=["function", "OpMatcher"])
def test_fixed_point_when_the_replacement_keeps_the_inner_op(matcher):
    # Relu(Relu(x)) -> Relu(x) written as "keep the inner Relu": the inner op stays and must
    # be matchable again, else the chain stops at two Relus.
    g = chain(4)
    ref = run(g, "out:0", {"x:0": X})
    pattern = (ge.OpMatcher(ge.op_type("Relu")).input_ops(ge.OpMatcher(ge.op_type("Relu")))
               if matcher else (lambda a: tf.nn.relu(tf.nn.relu(a))))
    report = ge.rewrite(g, pattern, lambda m: m.ops[1].outputs[0])
    assert relus_before_out(g) == ["r0"]
    assert g.get_operation_by_name("r0").inputs[0].name == "x:0"
    # round 1: {r3, r2} -> r2 and {r1, r0} -> r0; round 2: {r2, r0} -> r0; round 3: none
    assert report.matches == 3 and report.iterations == 3 and report.new_ops == []
    assert sorted(o.name for o in report.replaced_ops) == ["r1", "r2", "r3"]
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, atol=1e-6)
    assert ge.validate(g) == []


def test_fixed_point_in_a_view():
    # the replacements' new ops join the view: four Relus of a view become one
    g = chain(4)
    ref = run(g, "out:0", {"x:0": X})
    view = ge.sgv([g.get_operation_by_name(f"r{i}") for i in range(4)])
    report = ge.rewrite(view, lambda a: tf.nn.relu(tf.nn.relu(a)),
                        lambda m: tf.nn.relu(m.inputs[0]))
    assert report.matches == 3 and report.iterations == 3
    (last,) = relus_before_out(g)
    assert g.get_operation_by_name(last).inputs[0].name == "x:0"
    assert len(view.ops) == 4  # the caller's view is not changed
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, atol=1e-6)
    # ops outside the view are never matched: r0, r1 stay, r2..r5 become one Relu
    g = chain(6)
    view = ge.sgv([g.get_operation_by_name(f"r{i}") for i in range(2, 6)])
    report = ge.rewrite(view, lambda a: tf.nn.relu(tf.nn.relu(a)),
                        lambda m: tf.nn.relu(m.inputs[0]))
    assert report.matches == 3
    names = relus_before_out(g)
    assert len(names) == 3 and names[1:] == ["r1", "r0"]
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), np.tanh(np.maximum(X, 0)),
                               atol=1e-6)


def test_root_kept_by_its_replacement_is_not_matched_again():
    # a replacement that reads the root (insert after it) runs once per original op
    g = chain(2)
    report = ge.rewrite(g, lambda a: tf.nn.relu(a), lambda m: m.outputs[0] * 2.0,
                        filter=lambda m: m.root.name in ("r0", "r1"))
    assert report.matches == 2 and report.iterations == 2
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}),
                               np.tanh(4 * np.maximum(X, 0)), atol=1e-6)


def test_max_iterations_limits_rounds():
    g = chain(4)
    report = ge.rewrite(
        g, lambda a: tf.nn.relu(tf.nn.relu(a)), lambda m: tf.nn.relu(m.inputs[0]), max_iterations=1
    )
    assert report.matches == 2 and report.iterations == 1
    with pytest.raises(ge.GraphEditValueError, match="max_iterations"):
        ge.rewrite(g, lambda a: tf.nn.relu(a), lambda m: m.inputs[0], max_iterations=0)


def test_interior_op_with_outside_consumer_is_not_matched():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        inner = tf.nn.relu(x, name="inner")
        tf.nn.relu(inner, name="outer")
        tf.negative(inner, name="other")
    assert ge.find_matches(g, lambda a: tf.nn.relu(tf.nn.relu(a))) == []
    # the same through a control edge
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        inner = tf.nn.relu(x, name="inner")
        tf.nn.relu(inner, name="outer")
        with g2.control_dependencies([inner]):
            tf.negative(x, name="other")
    assert ge.find_matches(g2, lambda a: tf.nn.relu(tf.nn.relu(a))) == []


def test_repeated_argument_means_same_tensor():
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [2], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [2], name="b")
        tf.multiply(a, a, name="sq")
        tf.multiply(a, b, name="ab")
    ms = ge.find_matches(g, lambda x: x * x)
    assert [m.root.name for m in ms] == ["sq"]
    assert len(ge.find_matches(g, lambda x, y: x * y)) == 2


def test_const_matches_any_const_unless_values_asked():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        tf.multiply(x, tf.constant(3.0), name="m3")
        tf.multiply(x, tf.constant(2.0), name="m2")
    assert {m.root.name for m in ge.find_matches(g, lambda a: a * 2.0)} == {"m2", "m3"}
    exact = ge.find_matches(g, lambda a: a * 2.0, match_const_values=True)
    assert [m.root.name for m in exact] == ["m2"]


def test_shared_const_is_not_replaced_and_does_not_block():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        two = tf.constant(2.0, name="two")
        tf.multiply(x, two, name="m1")
        tf.multiply(tf.tanh(x), two, name="m2")
    report = ge.rewrite(g, lambda a: a * 2.0, lambda m: m.inputs[0] + m.inputs[0])
    assert report.matches == 2
    assert "two" not in {o.name for o in report.replaced_ops}


def test_unknown_rank_matmul_traces_to_batch_matmul():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 3], name="x")
        tf.matmul(x, tf.ones([3, 4]), name="mm")
    assert ge.find_matches(g, lambda a, b: tf.matmul(a, b)) == []
    spec = tf.TensorSpec([None, None], tf.float32)
    assert len(ge.find_matches(g, lambda a, b: tf.matmul(a, b), pattern_dtypes=spec)) == 1


def test_pattern_dtypes():
    g = tf.Graph()
    with g.as_default():
        i = tf.compat.v1.placeholder(tf.int32, [2], name="i")
        tf.cast(i, tf.float32, name="c")
    with pytest.raises(ge.GraphEditValueError, match="own argument"):  # float32: no Cast op
        ge.find_matches(g, lambda a: tf.cast(a, tf.float32))
    ms = ge.find_matches(g, lambda a: tf.cast(a, tf.float32), pattern_dtypes=tf.int32)
    assert [m.root.name for m in ms] == ["c"]
    with pytest.raises(ge.GraphEditValueError, match="pattern_dtypes"):
        ge.find_matches(g, lambda a: a + 1, pattern_dtypes=[tf.int32, tf.int32])


def test_filter_rejects_matches():
    g = chain(3)
    report = ge.rewrite(
        g,
        lambda a: tf.nn.relu(a),
        lambda m: tf.nn.relu6(m.inputs[0]),
        filter=lambda m: m.root.name != "r1",
    )
    assert report.matches == 2
    assert g.get_operation_by_name("r2").inputs[0].name == "r1:0"
    assert g.get_operation_by_name("r1").inputs[0].op.type == "Relu6"


def test_view_restricts_matching():
    g = chain(3)
    view = ge.sgv([g.get_operation_by_name("r1"), g.get_operation_by_name("r2")])
    report = ge.rewrite(view, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]))
    assert report.matches == 2
    assert {o.name for o in report.replaced_ops} == {"r1", "r2"}
    assert g.get_operation_by_name("r1").inputs[0].name == "r0:0"  # r0 untouched
    assert g.get_operation_by_name("r0").inputs[0].name == "x:0"


def test_insert_after_every_op_of_a_type():
    g = chain(2)
    ref = run(g, "r1:0", {"x:0": X})
    report = ge.rewrite(g, ge.OpMatcher(ge.op_type("Relu")), lambda m: m.outputs[0] * 2.0)
    assert report.matches == 2 and report.replaced_ops == []  # the relus are still read
    np.testing.assert_allclose(
        run(g, "out:0", {"x:0": X}), np.tanh(2 * np.maximum(2 * np.maximum(X, 0), 0)), atol=1e-5
    )
    np.testing.assert_allclose(run(g, "r1:0", {"x:0": X}), 2 * ref, atol=1e-5)


def test_control_dependencies_are_carried_over():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        side = tf.no_op(name="side")
        with g.control_dependencies([side]):
            r = tf.nn.relu(x, name="r")
        with g.control_dependencies([r.op]):
            after = tf.tanh(x, name="after")
        tf.negative(r, name="out")
    report = ge.rewrite(g, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]))
    assert report.matches == 1
    new = g.get_operation_by_name("out").inputs[0].op
    assert new.type == "Relu6"
    assert [c.name for c in new.control_inputs] == ["side"]
    assert [c.name for c in after.op.control_inputs] == [new.name]


def test_control_inputs_go_to_consumers_when_no_op_is_created():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        side = tf.no_op(name="side")
        with g.control_dependencies([side]):
            i = tf.identity(x, name="i")
        tf.negative(i, name="out")
    ge.rewrite(g, ge.OpMatcher(ge.op_type("Identity")), lambda m: m.inputs[0])
    out = g.get_operation_by_name("out")
    assert out.inputs[0].name == "x:0"
    assert [c.name for c in out.control_inputs] == ["side"]


@pytest.mark.parametrize(
    "bad, error",
    [
        (lambda m: [m.inputs[0], m.inputs[0]], "returned 2 tensor"),
        (lambda m: tf.cast(m.inputs[0], tf.float64), "dtype float64"),
        (lambda m: tf.zeros([5]), "shape"),
        (lambda m: 3.0, "must be a tf.Tensor"),
    ],
)
def test_bad_replacement_changes_no_pre_existing_node(bad, error):
    g = chain(3)
    before = snapshot(g)
    calls = []

    def replacement(m):
        calls.append(m.root.name)
        if len(calls) < 3:  # the first matches are fine, the last one is not
            return tf.nn.relu6(m.inputs[0])
        return bad(m)

    with pytest.raises(ge.GraphEditError, match=error):
        ge.rewrite(g, lambda a: tf.nn.relu(a), replacement)
    assert len(calls) == 3
    assert same_nodes(g, before)
    np.testing.assert_allclose(
        run(g, "out:0", {"x:0": X}), np.tanh(np.maximum(X, 0)), atol=1e-6
    )


def test_failure_in_a_later_round_undoes_earlier_rounds():
    g = chain(4)
    before = snapshot(g)
    rounds = []

    def replacement(m):
        rounds.append(m)
        if len(rounds) > 2:
            raise RuntimeError("boom")
        return tf.nn.relu(m.inputs[0])

    with pytest.raises(RuntimeError, match="boom"):
        ge.rewrite(g, lambda a: tf.nn.relu(tf.nn.relu(a)), replacement)
    assert same_nodes(g, before)


def test_replacement_from_another_graph():
    g = chain(1)
    other = tf.Graph()
    with other.as_default():
        foreign = tf.zeros([2, 3])
    with pytest.raises(ge.GraphMismatchError, match="another graph"):
        ge.rewrite(g, lambda a: tf.nn.relu(a), lambda m: foreign)


def test_bad_arguments():
    g = chain(1)
    with pytest.raises(ge.GraphEditTypeError, match="OpMatcher or a function"):
        ge.rewrite(g, 42, lambda m: m.inputs[0])
    with pytest.raises(ge.GraphEditTypeError, match="replacement must be callable"):
        ge.rewrite(g, lambda a: tf.nn.relu(a), None)
    with pytest.raises(ge.GraphEditTypeError, match="tf.Graph or a SubGraphView"):
        ge.rewrite("graph", lambda a: tf.nn.relu(a), lambda m: m.inputs[0])
    with pytest.raises(ge.GraphEditValueError, match="returns its own argument"):
        ge.rewrite(g, lambda a: a, lambda m: m.inputs[0])
    with pytest.raises(ge.GraphEditValueError, match="not used"):
        ge.rewrite(g, lambda a, b: tf.nn.relu(a), lambda m: m.inputs[0])
    with pytest.raises(TypeError):  # also a builtin TypeError
        ge.rewrite(g, lambda a: "nope", lambda m: m.inputs[0])


def test_prune_returns_new_graph_and_leaves_input_untouched():
    g = chain(3)
    before = snapshot(g)
    report = ge.rewrite(
        g, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]), prune=True
    )
    assert report.matches == 3
    assert snapshot(g) == before
    new = report.graph
    assert new is not g
    types = [op.type for op in new.get_operations()]
    assert "Relu" not in types and types.count("Relu6") == 3
    assert {op.name for op in new.get_operations()} >= {"x", "out"}
    np.testing.assert_allclose(
        run(new, "out:0", {"x:0": X}), np.tanh(np.minimum(np.maximum(X, 0), 6)), atol=1e-6
    )


def test_prune_keeps_replaced_output_sink():
    g = chain(2)
    with g.as_default():
        pass
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 3], name="x")
        tf.nn.relu(tf.tanh(x, name="t"), name="final")
    report = ge.rewrite(g2, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]),
                        prune=True)
    names = {op.name for op in report.graph.get_operations()}
    assert "final" not in names and "t" in names
    (sink,) = [op for op in report.graph.get_operations() if op.type == "Relu6"]
    np.testing.assert_allclose(
        run(report.graph, sink.outputs[0], {"x:0": X}), np.maximum(np.tanh(X), 0), atol=1e-6
    )


def test_works_under_eager_and_inside_other_scopes():
    assert tf.executing_eagerly()
    g = chain(2)
    other = tf.Graph()
    with other.as_default(), tf.name_scope("elsewhere"):
        report = ge.rewrite(g, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]))
    assert report.matches == 2
    assert not other.get_operations()
    assert all(not o.name.startswith("elsewhere") for o in report.new_ops)


def test_function_graph():
    @tf.function
    def f(x):
        return tf.nn.relu(x * 2.0) + 1.0

    fg = f.get_concrete_function(tf.TensorSpec([3], tf.float32)).graph
    (m,) = ge.find_matches(fg, lambda a: tf.nn.relu(a * 2.0))
    assert [o.type for o in m.ops] == ["Relu", "Mul", "Const"]
    g = ge.graph_from_function(f, tf.TensorSpec([3], tf.float32))
    report = ge.rewrite(g, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0] * 4.0))
    assert report.matches == 1
    fn = ge.function_from_graph(g)
    np.testing.assert_allclose(fn(tf.constant([-1.0, 0.5, 5.0])).numpy(), [1.0, 5.0, 7.0])


def test_finalized_graph_in_place_refused_prune_works():
    g = chain(2)
    g.finalize()
    with pytest.raises(ge.GraphFinalizedError, match="finalized"):
        ge.rewrite(g, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]))
    report = ge.rewrite(
        g, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]), prune=True
    )
    assert report.matches == 2 and report.graph is not g


def test_prune_with_a_view():
    g = chain(3)
    view = ge.sgv([g.get_operation_by_name("r2")])
    report = ge.rewrite(view, lambda a: tf.nn.relu(a), lambda m: tf.nn.relu6(m.inputs[0]),
                        prune=True)
    assert report.matches == 1
    types = sorted(op.type for op in report.graph.get_operations())
    assert types.count("Relu") == 2 and types.count("Relu6") == 1
    assert report.graph.get_operation_by_name("out").inputs[0].op.type == "Relu6"


def _pattern(a, b, name):
    """The pattern; its AddV2 is a tensor of the DAG too, so later nodes may read it."""
    s = tf.add(a, b, name=f"{name}_sum")
    return [s, tf.multiply(a, tf.tanh(s), name=name)]


_KINDS = {
    "tanh": (1, tf.tanh),
    "add": (2, lambda a, b, name: tf.add(a, b, name=name) * 0.5),
    "mul": (2, lambda a, b, name: tf.multiply(a, tf.tanh(b), name=name)),
    "pattern": (2, _pattern, 2),
}


def random_dag(seed: int, n: int = 300) -> tf.Graph:
    """``n`` random nodes on 3 inputs, each node's first input among the last 6 tensors."""
    spec = seeded_dag_spec(seed, _KINDS, n_inputs=3, n_ops=n, recent=6)
    g, ts = build_dag(spec, _KINDS, shape=[4])
    with g.as_default():
        for j, t in enumerate([t for t in ts if not t.consumers()]):
            tf.identity(t, name=f"out{j}")  # named outputs, never matched
    return g


@pytest.mark.parametrize("seed", range(4))
def test_random_graphs_keep_every_value(seed):
    g = random_dag(seed)
    sinks = [op.outputs[0] for op in g.get_operations()
             if op.outputs and not op.outputs[0].consumers()]
    feed = {f"in{i}:0": np.linspace(-1, 1, 4).astype(np.float32) * (i + 1) for i in range(3)}
    names = [t.name for t in sinks]
    ref = run(g, names, feed)

    def pattern(a, b, c):
        return a * tf.tanh(b + c)

    def replacement(m):
        a, b, c = m.inputs
        s = b + c
        return a * (2.0 * tf.sigmoid(2.0 * s) - 1.0)

    before = len(ge.find_matches(g, pattern))
    report = ge.rewrite(g, pattern, replacement)
    assert report.matches == before > 0
    live = ge.strip_unused(g, [], names)  # replaced ops are dead: gone from the live part
    assert ge.find_matches(live, pattern) == []
    assert len(ge.find_matches(g, pattern)) == before  # dead ops still match, in place
    for got, want in zip(run(g, names, feed), ref):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_undo_restores_exact_slots_and_control_order():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        c1 = tf.no_op(name="c1")
        c2 = tf.no_op(name="c2")
        with g.control_dependencies([c1]):
            i = tf.identity(x, name="i")
        with g.control_dependencies([i.op, c2]):
            tf.add(i, x, name="both")  # reads the identity and its input
        tf.nn.relu(tf.nn.relu(x, name="q1"), name="q2")
    before = snapshot(g)
    rounds = []

    def replacement(m):
        rounds.append(m.root.name)
        if m.root.type == "Relu":
            return tf.zeros([3])  # wrong shape: refused before anything is rewired
        return m.inputs[0]

    pattern = ge.OpMatcher(ge.op_type(["Identity", "Relu"]))
    with pytest.raises(ge.GraphEditValueError, match="shape"):
        ge.rewrite(g, pattern, replacement)
    assert same_nodes(g, before)

    # a failure in round 2 after round 1 rewired 'both' (one of two slots) and 'waiter'
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        c1 = tf.no_op(name="c1")
        c2 = tf.no_op(name="c2")
        with g2.control_dependencies([c1]):
            i = tf.identity(x, name="i")
        tf.add(i, x, name="both")  # reads the identity and its input
        with g2.control_dependencies([i.op, c2]):
            tf.no_op(name="waiter")
    before2 = snapshot(g2)
    calls = []

    def flaky(m):
        calls.append(m.root.name)
        if len(calls) > 1:
            raise RuntimeError("round 2 fails")
        tf.identity(m.inputs[0], name="extra")  # an Identity for round 2 to match
        return m.inputs[0]

    with pytest.raises(RuntimeError, match="round 2"):
        ge.rewrite(g2, ge.OpMatcher(ge.op_type("Identity")), flaky)
    assert calls == ["i", "i_rewrite/extra"]
    assert same_nodes(g2, before2)
    both = g2.get_operation_by_name("both")
    assert [t.name for t in both.inputs] == ["i:0", "x:0"]
    waiter = g2.get_operation_by_name("waiter")
    assert [c.name for c in waiter.control_inputs] == ["i", "c2"]


# --------------------------------------------------------------------------------------------
# v1 control flow: plumbing is matched only when the pattern names it
# --------------------------------------------------------------------------------------------


def _v1_cond_and_loop_graph():
    tf.compat.v1.disable_control_flow_v2()
    try:
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [], name="x")
            c = tf.compat.v1.cond(x > 0, lambda: tf.identity(x * 2.0), lambda: x - 1.0,
                                  name="cond")
            _, r = tf.compat.v1.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v + c),
                                           [tf.constant(0), c], name="loop")
            tf.identity(r, name="out")
    finally:
        tf.compat.v1.enable_control_flow_v2()
    return g


def test_rewrite_leaves_v1_cond_pivots_and_loop_plumbing_alone():
    g = _v1_cond_and_loop_graph()
    report = ge.rewrite(g, lambda t: tf.identity(t), lambda m: m.inputs[0])
    used = {t.op.name for op in g.get_operations() for t in op.inputs}
    used |= {c.name for op in g.get_operations() for c in op.control_inputs}
    # The cond's pivots (switch_t / switch_f) and the loop's body inputs still feed the graph
    assert {"cond/switch_t", "cond/switch_f", "loop/Identity", "loop/Identity_1"} <= used
    # ... while the branch's own identity and the output identity were bypassed.
    assert {o.name for o in report.replaced_ops} >= {"cond/Identity"}
    assert "cond/Identity" not in used
    assert ge.validate(g) == []
    with tf.compat.v1.Session(graph=g) as s:
        assert s.run("out:0", {"x:0": 1.5}) == 12.0
        assert s.run("out:0", {"x:0": -1.0}) == -8.0


def test_a_pattern_naming_a_control_flow_type_may_match_it():
    g = _v1_cond_and_loop_graph()
    n_switch = sum(op.type == "Switch" for op in g.get_operations())
    assert len(ge.find_matches(g, ge.OpMatcher(ge.op_type("Switch")))) == n_switch
    merges = ge.find_matches(g, lambda a, b: tf.raw_ops.Merge(inputs=[a, b])[0])
    assert {m.root.type for m in merges} == {"Merge"} and merges
    # A pattern that does not name them never sees them, whatever its shape.
    assert not ge.find_matches(g, ge.OpMatcher(True).input_ops(True, True)
                               .output_ops(None, None))


def test_a_failed_rewrite_is_undone_and_names_the_ops_it_left():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        tf.identity(tf.nn.relu(x, name="r1"), name="y1")
        tf.identity(tf.nn.relu(x * 2.0, name="r2"), name="y2")
    calls = []

    def replacement(m):
        calls.append(m.root.name)
        if len(calls) == 2:
            raise RuntimeError("the replacement failed")
        return tf.nn.relu6(m.inputs[0], name="r6")

    before = {op.name: [t.name for t in op.inputs] for op in g.get_operations()}
    with pytest.raises(RuntimeError, match="the replacement failed") as info:
        ge.rewrite(g, lambda t: tf.nn.relu(t), replacement)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "the rewrite was undone" in notes and "r6" in notes
    after = {op.name: [t.name for t in op.inputs] for op in g.get_operations()
             if op.name in before}
    assert after == before  # every pre-existing edge as it was
    with tf.compat.v1.Session(graph=g) as s:
        np.testing.assert_allclose(s.run("y1:0", {"x:0": [-1.0, 2.0, 9.0]}), [0.0, 2.0, 9.0])


def test_the_passes_keep_a_v1_cond_and_loop_graph_running():
    g = _v1_cond_and_loop_graph()

    def run(graph, v):
        with tf.compat.v1.Session(graph=graph) as s:
            return s.run("out:0", {"x:0": v})

    expected = [run(g, 1.5), run(g, -1.0)]
    ge.remove_identity(g)
    ge.fold_constants(g)
    ge.fold_batch_norm(g)
    stripped = ge.strip_unused(g, [], ["out"])
    assert ge.validate(g) == [] and ge.validate(stripped) == []
    assert [run(g, 1.5), run(g, -1.0)] == expected == [run(stripped, 1.5), run(stripped, -1.0)]
