"""graph_editor.saved_model: load a signature, edit, save, reload; cut one SavedModel in two."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.stateless_normal([4, 3], [1, 2]), name="w")
        self.b = tf.Variable(tf.ones([3]), name="b")
        self.v = tf.Variable(tf.random.stateless_normal([3, 2], [3, 4]), name="v")

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def __call__(self, x):
        mid = tf.nn.relu(tf.matmul(x, self.w) + self.b, name="mid")
        y = tf.matmul(mid, self.v) + tf.reduce_sum(x, axis=1, keepdims=True)  # skip from x
        return {"y": y, "z": tf.reduce_sum(mid, axis=1)}


@pytest.fixture
def net():
    return Net()


@pytest.fixture
def saved(tmp_path, net):
    path = str(tmp_path / "net")
    tf.saved_model.save(net, path)
    return path


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def serve(path, key="serving_default"):
    return tf.saved_model.load(path).signatures[key]


def test_load_exposes_inlined_graph_and_names(saved, net, x):
    sm = ge.saved_model.load(saved)
    assert list(sm.inputs) == ["x"] and sorted(sm.outputs) == ["y", "z"]
    assert sm.inputs["x"].graph is sm.graph and sm.outputs["y"].graph is sm.graph
    types = {op.type for op in sm.graph.get_operations()}
    assert "StatefulPartitionedCall" not in types and "MatMul" in types
    assert ge.functions.resolve_tensor(sm.graph, "mid").name == "StatefulPartitionedCall/mid:0"
    out = sm.function()(x=x)
    close(out["y"], net(x)["y"])
    close(out["z"], net(x)["z"])


def test_roundtrip_save_serves_same_names_and_variables(saved, net, x, tmp_path):
    sm = ge.saved_model.load(saved)
    out_path = str(tmp_path / "copy")
    ge.saved_model.save(sm, out_path)
    sig = serve(out_path)
    assert list(sig.structured_input_signature[1]) == ["x"]
    assert sorted(sig.structured_outputs) == ["y", "z"]
    close(sig(x=tf.constant(x))["y"], net(x)["y"])
    names = {name for name, _ in tf.train.list_variables(out_path + "/variables/variables")}
    assert sum("VARIABLE_VALUE" in n for n in names) == 3  # w, b, v kept as variables
    reloaded = tf.saved_model.load(out_path)
    assert len(reloaded.kept_variables) == 3
    for v in reloaded.kept_variables:  # still variables: assigning changes the served result
        v.assign(tf.zeros_like(v))
    np.testing.assert_allclose(
        reloaded.signatures["serving_default"](x=tf.constant(x))["z"], np.zeros(3)
    )


def test_edit_then_save_serves_the_edit(saved, net, x, tmp_path):
    sm = ge.saved_model.load(saved)
    mid = ge.functions.resolve_tensor(sm.graph, "mid")
    consumers = [(c, i) for c in mid.consumers() for i, t in enumerate(c.inputs) if t is mid]
    with sm.graph.as_default():
        doubled = mid * 2.0
    for c, i in consumers:
        c._update_input(i, doubled)
    sm.outputs["mid"] = mid  # expose an intermediate tensor
    out_path = str(tmp_path / "edited")
    ge.saved_model.save(sm, out_path)
    sig = serve(out_path)
    out = sig(x=tf.constant(x))
    ref_mid = tf.nn.relu(x @ net.w + net.b).numpy()
    close(out["mid"], ref_mid)
    close(out["z"], (2 * ref_mid).sum(axis=1))
    close(out["y"], (2 * ref_mid) @ net.v.numpy() + x.sum(axis=1, keepdims=True))
    close(serve(saved)(x=tf.constant(x))["z"], ref_mid.sum(axis=1))  # the source is untouched


def test_split_saved_model(saved, net, x, tmp_path):
    head_path, tail_path = str(tmp_path / "head"), str(tmp_path / "tail")
    keys = ge.saved_model.split(saved, "mid", head_path, tail_path)
    assert keys == ["StatefulPartitionedCall_mid", "x"]  # x crosses: the skip connection
    head, tail = serve(head_path), serve(tail_path)
    assert sorted(head.structured_outputs) == sorted(keys)
    assert sorted(tail.structured_input_signature[1]) == sorted(keys)
    mid = head(x=tf.constant(x))
    out = tail(**mid)
    close(out["y"], net(x)["y"])
    close(out["z"], net(x)["z"])
    tail_vars = {n for n, _ in tf.train.list_variables(tail_path + "/variables/variables")
                 if "VARIABLE_VALUE" in n}
    assert len(tail_vars) == 1  # only v is read after the cut


def test_keras_export_roundtrip(tmp_path):
    keras.utils.set_random_seed(7)
    inp = keras.Input((6,), name="features")
    stem = keras.layers.Dense(5, activation="relu", name="stem")(inp)
    b1 = keras.layers.Dense(5, activation="relu", name="b1")(stem)
    out = keras.layers.Dense(2, name="head")(keras.layers.Add()([b1, stem]))
    model = keras.Model(inp, out)
    path = str(tmp_path / "keras")
    model.export(path, format="tf_saved_model", verbose=False)
    x = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    sm = ge.saved_model.load(path)
    (in_name,) = sm.inputs
    (out_name,) = sm.outputs
    copy = str(tmp_path / "keras_copy")
    ge.saved_model.save(sm, copy)
    close(serve(copy)(**{in_name: tf.constant(x)})[out_name], model(x))
    relu = [op.name for op in sm.graph.get_operations() if op.name.endswith("b1_1/Relu")
            or op.name.endswith("b1/Relu")]
    assert len(relu) == 1
    head_path, tail_path = str(tmp_path / "h"), str(tmp_path / "t")
    keys = ge.saved_model.split(path, relu[0], head_path, tail_path)
    assert len(keys) == 2  # b1 and the stem skip
    mid = serve(head_path)(**{in_name: tf.constant(x)})
    close(serve(tail_path)(**mid)[out_name], model(x))


def test_errors(saved, tmp_path, x):
    with pytest.raises(ge.GraphEditKeyError, match="serving_default"):
        ge.saved_model.load(saved, signature_key="nope")
    with pytest.raises(ge.GraphEditValueError):
        ge.saved_model.load(str(tmp_path / "missing"))
    with pytest.raises(ge.GraphEditTypeError):
        ge.saved_model.save("not loaded", str(tmp_path / "o"))
    with pytest.raises(ge.GraphEditKeyError, match="Closest"):
        ge.saved_model.split(saved, "midd", str(tmp_path / "h"), str(tmp_path / "t"))
    sm = ge.saved_model.load(saved)
    sm.outputs["bad"] = tf.constant(1.0)
    with pytest.raises(ge.GraphEditTypeError, match="bad"):
        ge.saved_model.save(sm, str(tmp_path / "o2"))
    assert ge.saved_model.signature_names(saved) == ["serving_default"]
    close(serve(saved)(x=tf.constant(x))["z"], serve(saved)(x=tf.constant(x))["z"])


def test_lookup_table_and_new_variable_are_saved(tmp_path):
    class Table(tf.Module):
        def __init__(self):
            super().__init__()
            init = tf.lookup.KeyValueTensorInitializer(
                tf.constant([1, 2], tf.int64), tf.constant([10.0, 20.0])
            )
            self.table = tf.lookup.StaticHashTable(init, -1.0)
            self.w = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, name="k")])
        def __call__(self, k):
            return {"y": self.table.lookup(k) * self.w}

    path = str(tmp_path / "table")
    tf.saved_model.save(Table(), path)
    sm = ge.saved_model.load(path)
    offset = tf.Variable(0.5)  # a new variable read by the edit
    with sm.graph.as_default():
        sm.outputs["y"] = sm.outputs["y"] + offset
    out_path = str(tmp_path / "table_edited")
    ge.saved_model.save(sm, out_path)
    del offset
    reloaded = tf.saved_model.load(out_path)
    k = tf.constant([1, 2, 3], tf.int64)
    np.testing.assert_allclose(reloaded.signatures["serving_default"](k=k)["y"],
                               [20.5, 40.5, -1.5])
    assert sorted(v.numpy() for v in reloaded.kept_variables) == [0.5, 2.0]
    assert len(reloaded.kept_resources) == 1


def test_untracked_resource_cannot_be_saved(saved, tmp_path, x):
    sm = ge.saved_model.load(saved)
    init = tf.lookup.KeyValueTensorInitializer(tf.constant([0], tf.int64), tf.constant([5.0]))
    table = tf.lookup.StaticHashTable(init, 0.0)  # not part of the SavedModel
    with sm.graph.as_default():
        sm.outputs["z"] = sm.outputs["z"] + table.lookup(tf.constant(0, tf.int64))
    close(sm.function()(x=x)["z"], serve(saved)(x=tf.constant(x))["z"].numpy() + 5.0)
    with pytest.raises(ge.CaptureError, match="neither variables nor resources"):
        ge.saved_model.save(sm, str(tmp_path / "bad"))


def test_split_two_inputs(tmp_path):
    class Two(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[1.0, -1.0], [0.5, 2.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="a"),
                                      tf.TensorSpec([None, 2], tf.float32, name="b")])
        def __call__(self, a, b):
            h = tf.tanh(tf.matmul(a, self.w), name="h")
            return {"out": h * b, "a_sum": tf.reduce_sum(a, axis=1)}

    path = str(tmp_path / "two")
    two = Two()
    tf.saved_model.save(two, path)
    sm = ge.saved_model.load(path)
    assert sorted(sm.inputs) == ["a", "b"]
    keys = ge.saved_model.split(path, "h", str(tmp_path / "h"), str(tmp_path / "t"))
    assert keys[0] == "StatefulPartitionedCall_h" and set(keys[1:]) == {"a", "b"}
    a = tf.constant([[1.0, 2.0], [3.0, -1.0]])
    b = tf.constant([[0.5, 1.0], [2.0, 3.0]])
    mid = serve(str(tmp_path / "h"))(a=a, b=b)
    out = serve(str(tmp_path / "t"))(**mid)
    ref = two(a, b)
    close(out["out"], ref["out"])
    close(out["a_sum"], ref["a_sum"])
