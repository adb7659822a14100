"""ge.fold_constants: constant subgraphs evaluated and replaced by Const ops."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import run

import graph_editor as ge

X = np.array([1.0, -2.0, 0.5, 4.0], np.float32)


def graph_with_constants():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [4], name="x")
        c = tf.sqrt(tf.constant([1.0, 4.0, 9.0, 16.0]) + 0.0, name="root")
        scale = tf.reduce_sum(c, name="total") / 10.0
        noise = tf.random.uniform([4], seed=1, name="noise")
        y = tf.multiply(x, c, name="xc") * scale
        tf.add(y, noise * 0.0, name="out")
        tf.identity(tf.shape(x), name="dyn_shape")
    return g


def test_folds_constant_subgraphs_and_keeps_values():
    g = graph_with_constants()
    ref = run(g, "out:0", {"x:0": X})
    report = ge.fold_constants(g)
    folded = {op.name for op in report.replaced_ops}
    assert "root" in folded and "truediv" in folded  # c and scale read by non-foldable ops
    assert all(op.type == "Const" for op in report.new_ops)
    assert report.matches == len(report.new_ops) == 2
    xc = g.get_operation_by_name("xc")
    assert xc.inputs[1].op.type == "Const"
    np.testing.assert_allclose(
        tf.make_ndarray(xc.inputs[1].op.get_attr("value")), [1.0, 2.0, 3.0, 4.0]
    )
    # the random op is stateful: not folded
    assert g.get_operation_by_name("mul_1").inputs[0].op.name.startswith("noise")
    np.testing.assert_allclose(run(g, "out:0", {"x:0": X}), ref, atol=1e-5)


def test_size_threshold_folds_the_smaller_inputs_instead():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1000], name="x")
        small = tf.exp(tf.constant([0.5]), name="small")
        big = tf.tile(small, [1000], name="big")  # 4000 bytes
        tf.add(x, big, name="out")
    ref = run(g, "out:0", {"x:0": np.ones(1000, np.float32)})
    report = ge.fold_constants(g, max_bytes=1000)
    assert [op.name for op in report.replaced_ops] == ["small"]
    assert g.get_operation_by_name("out").inputs[1].op.name == "big"
    assert g.get_operation_by_name("big").inputs[0].op.type == "Const"
    np.testing.assert_allclose(run(g, "out:0", {"x:0": np.ones(1000, np.float32)}), ref)
    report = ge.fold_constants(g, max_bytes=10_000)
    assert [op.name for op in report.replaced_ops] == ["big"]


def test_keep_and_control_inputs():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        k = tf.add(tf.constant(1.0), 2.0, name="kept")
        gate = tf.no_op(name="gate")
        with g.control_dependencies([gate]):
            gated = tf.multiply(tf.constant(2.0), 3.0, name="gated")
        free = tf.multiply(tf.constant(4.0), 2.0, name="free")
        tf.add_n([x, k, gated, free], name="out")
    report = ge.fold_constants(g, keep=["kept"])
    # 'kept' is kept; 'gated' waits for a NoOp (not foldable); only 'free' is folded
    assert [op.name for op in report.replaced_ops] == ["free"]
    out = g.get_operation_by_name("out")
    assert [t.op.name for t in out.inputs[:3]] == ["x", "kept", "gated"]
    assert out.inputs[3].op.type == "Const"
    gated_const = g.get_operation_by_name("gated").inputs[0].op
    assert [c.name for c in gated_const.control_inputs] == ["gate"]
    assert run(g, "out:0", {"x:0": 1.0}) == 18.0


def test_nothing_to_fold_and_errors(diamond):
    g, _ = diamond
    before = g.as_graph_def().SerializeToString(deterministic=True)
    assert ge.fold_constants(g).matches == 0
    assert g.as_graph_def().SerializeToString(deterministic=True) == before
    with pytest.raises(ge.GraphEditValueError, match="max_bytes"):
        ge.fold_constants(g, max_bytes=-1)
    with pytest.raises(ge.GraphEditKeyError):
        ge.fold_constants(g, keep=["zz"])


def test_control_edges_from_constants_are_dropped():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        acc = tf.compat.v1.Variable(0.0, name="acc")
        update = tf.compat.v1.assign_add(acc, 1.0)
        c = tf.constant(2.0, name="c")
        folded = tf.add(tf.constant(1.0), 3.0, name="folded")
        marker = tf.no_op(name="marker")
        y0 = x * 2.0
        with g.control_dependencies([c.op, folded.op, marker, update]):
            y = tf.identity(y0, name="y")
    report = ge.fold_constants(g, keep=["y"])
    assert report.dropped_control_edges == 2
    assert {op.name for op in y.op.control_inputs} == {"marker", update.name}
    assert bool(report) and "dropped_control_edges=2" in repr(report)
    small = ge.strip_unused(g, ["x:0"], ["y:0"])
    assert not {"c", "folded"} & {op.name for op in small.get_operations()}


def test_adding_zeros_and_multiplying_by_ones_are_bypassed():
    def build():
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
            a = tf.add(x, tf.zeros([4]), name="plus_zero")
            b = tf.multiply(tf.ones([1, 4]), a, name="times_one")
            c = tf.nn.bias_add(b, tf.zeros([4]), name="bias_zero")
            d = tf.math.divide(c, tf.ones([]), name="div_one")
            e = tf.add(d, tf.zeros([3, 4]), name="broadcast")  # [None, 4] -> [3, 4]: kept
            f = tf.subtract(tf.zeros([4]), e, name="zero_minus")  # 0 - e: kept
            tf.multiply(f, tf.constant([1.0, 1.0, 2.0, 1.0]), name="out")
        return g

    feed = {"x:0": np.arange(12, dtype=np.float32).reshape(3, 4)}
    g = build()
    ref = run(g, "out:0", feed)
    report = ge.fold_constants(g)
    assert {op.name for op in report.simplified_ops} == {
        "plus_zero", "times_one", "bias_zero", "div_one"}
    assert g.get_operation_by_name("broadcast").inputs[0].name == "x:0"
    np.testing.assert_array_equal(run(g, "out:0", feed), ref)
    g = build()
    assert ge.fold_constants(g, simplify=False).simplified_ops == []
    assert g.get_operation_by_name("broadcast").inputs[0].op.name == "div_one"


def test_equal_constants_are_merged():
    def build():
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.int32, [None], name="x")
            parts = [tf.reshape(x * (k + 2), tf.constant([-1, 1], name=f"shape{k}"))
                     for k in range(3)]
            other = tf.reshape(x, tf.constant([1, -1], name="other_shape"))
            tf.concat(parts + [tf.transpose(other)], axis=1, name="out")
        return g

    feed = {"x:0": [1, 2, 3]}
    g = build()
    ref = run(g, "out:0", feed)
    report = ge.fold_constants(g)
    assert sorted(op.name for op in report.merged_consts) == ["shape1", "shape2"]
    readers = [op for op in g.get_operations() if op.type == "Reshape"]
    assert sorted(op.inputs[1].op.name for op in readers) == [
        "other_shape", "shape0", "shape0", "shape0"]
    np.testing.assert_array_equal(run(g, "out:0", feed), ref)
    assert ge.fold_constants(build(), merge=False).merged_consts == []


def test_folded_values_are_tensorflow_s_to_the_last_bit():
    values = np.random.default_rng(0).uniform(1e-3, 10.0, 4096).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [4096], name="x")
        c = tf.reshape(tf.constant(values), [4096])
        k = tf.math.rsqrt(c + 1e-3) * tf.math.reciprocal(c) + tf.exp(c / 7.0)
        tf.multiply(x, k, name="out")
    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    with tf.compat.v1.Session(graph=g, config=config) as sess:
        expected = sess.run(k)
    report = ge.fold_constants(g)
    assert report.matches == 1
    folded = g.get_operation_by_name("out").inputs[1].op
    assert folded.type == "Const"
    np.testing.assert_array_equal(tf.make_ndarray(folded.get_attr("value")), expected)


def test_an_identity_of_a_resource_does_not_stop_other_identities_folding():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [], name="x")
        v = tf.Variable(1.0, name="v")
        tf.identity(v.handle, name="handle_copy")  # the first Identity: not constant
        tf.multiply(x, tf.identity(tf.constant(2.0)), name="out")
    report = ge.fold_constants(g)
    assert [op.type for op in report.replaced_ops] == ["Identity"]
    assert g.get_operation_by_name("out").inputs[1].op.type == "Const"
    assert run(g, "out:0", {"x:0": 3.0}) == 6.0


def test_a_noop_waiting_only_for_constants_orders_nothing():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        reads = [tf.identity(tf.constant(np.full([3], k, np.float32)), name=f"w{k}/read")
                 for k in range(3)]
        y = x * reads[0] + reads[1]
        with g.control_dependencies([r.op for r in reads]):
            done = tf.no_op(name="NoOp")  # what a frozen tf.function's outputs wait on
        with g.control_dependencies([done]):
            tf.identity(y, name="Identity")
    report = ge.fold_constants(g, keep=["Identity"])  # without remove_identity
    assert g.get_operation_by_name("Identity").control_inputs == []
    assert report.dropped_control_edges == 4  # ^NoOp, and the NoOp's three
    small = ge.strip_unused(g, ["x:0"], ["Identity:0"])
    assert not {"NoOp", "w2/read"} & {op.name for op in small.get_operations()}
    np.testing.assert_allclose(run(small, "Identity:0", {"x:0": [1.0, 2.0, 3.0]}), [1, 1, 1])
