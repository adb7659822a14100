"""graph_editor.saved_model: load a signature, edit, save, reload; cut one SavedModel in two."""

from __future__ import annotations

from pathlib import Path

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
    assert not hasattr(reloaded, "kept_variables")  # the source's attributes hold them
    for v in (reloaded.w, reloaded.b, reloaded.v):  # still variables: assigning them
        v.assign(tf.zeros_like(v))                  # changes the served result
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
    # the source's table and w stay where they were; the edit's new variable is kept apart
    assert [v.numpy() for v in reloaded.kept_variables] == [0.5]
    assert float(reloaded.w.numpy()) == 2.0
    assert not hasattr(reloaded, "kept_resources")
    # kept under its name (TF re-saves a restored table as a plain resource, as
    # tf.saved_model.save(tf.saved_model.load(path)) does: .lookup is not restored)
    assert hasattr(reloaded, "table")
    np.testing.assert_allclose(reloaded(k)["y"], [20.5, 40.5, -1.5])  # __call__ serves the edit


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


# --------------------------------------------------------------------------------------------
# The re-saved SavedModel keeps its API; custom gradients (Keras's swish) survive
# --------------------------------------------------------------------------------------------


def api(loaded):
    """What a caller sees: signatures (inputs, outputs), root functions (each concrete
    function's arguments and outputs) and root attribute names."""
    children = tf.train.TrackableView(loaded).children(loaded)
    signatures = {k: (repr(f.structured_input_signature), repr(f.structured_outputs))
                  for k, f in loaded.signatures.items()}
    functions = {name: sorted((repr(cf.structured_input_signature),
                               repr(cf.structured_outputs)) for cf in child.concrete_functions)
                 for name, child in children.items() if hasattr(child, "concrete_functions")}
    return signatures, functions, sorted(children)


@pytest.fixture
def swish_model():
    keras.utils.set_random_seed(3)
    inp = keras.Input((6,))
    h = keras.layers.Dense(5, activation="swish", name="h")(inp)
    out = keras.layers.Dense(2, activation="swish", name="out")(h)
    return keras.Model(inp, out)


def tape_grads(fn, x, variables):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        loss = tf.reduce_sum(y * tf.constant([1.0, -3.0]))
    return tape.gradient(loss, [x, *variables])


def loaded_variable(loaded, like):
    """The variable of the loaded model that ``serve`` reads in place of ``like`` (Keras
    exports its variables twice: the first load already holds two of each name)."""
    (v,) = [v for v in loaded.serve.concrete_functions[0].variables
            if v.name == like.path + ":0"]
    return v


def test_keras_export_roundtrip_keeps_the_api_and_gradients(swish_model, tmp_path):
    src, copy = str(tmp_path / "k"), str(tmp_path / "k2")
    swish_model.export(src, verbose=False)
    ge.saved_model.save(ge.saved_model.load(src), copy)
    original, reloaded = tf.saved_model.load(src), tf.saved_model.load(copy)
    assert api(reloaded) == api(original)
    assert "serve" in api(reloaded)[1]  # the endpoint Keras exports, not only the signature
    x = np.random.default_rng(2).normal(size=(4, 6)).astype(np.float32)
    y = reloaded.serve(x)
    assert isinstance(y, tf.Tensor)  # a tensor, as model.export's serve returns
    close(y, swish_model(x))
    sig = reloaded.signatures["serving_default"]
    (name,) = sig.structured_input_signature[1]
    close(sig(**{name: tf.constant(x)})["output_0"], y)
    kernel = swish_model.get_layer("h").kernel
    ref = tape_grads(lambda t: swish_model(t, training=False), x, [kernel])
    got = tape_grads(reloaded.serve, x, [loaded_variable(reloaded, kernel)])
    for g, r in zip(got, ref):
        close(g, r)


def test_roundtrip_keeps_every_signature_and_function(tmp_path, x):
    class Multi(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.random.stateless_normal([4, 3], [5, 6]))

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def __call__(self, x):
            return {"y": tf.nn.relu(x @ self.w), "z": tf.reduce_sum(x, axis=1)}

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def pair(self, x):
            return x @ self.w, tf.reduce_sum(x)

        @tf.function
        def scale(self, x, double=False):
            return x * 2.0 if double else x

    m = Multi()
    m.scale.get_concrete_function(tf.TensorSpec([None], tf.float32), double=True)
    m.scale.get_concrete_function(tf.TensorSpec([None], tf.float32))
    src = str(tmp_path / "multi")
    tf.saved_model.save(m, src, signatures={"serving_default": m.__call__.get_concrete_function(),
                                            "pair": m.pair.get_concrete_function()})
    original = tf.saved_model.load(src)
    v = tf.constant([1.0, -2.0])
    for key in ("serving_default", "pair"):
        out = str(tmp_path / key)
        ge.saved_model.save(ge.saved_model.load(src, key), out)
        reloaded = tf.saved_model.load(out)
        assert api(reloaded) == api(original)
        tf.nest.map_structure(close, reloaded(x), m(x))
        tf.nest.map_structure(close, reloaded.pair(x), m.pair(x))
        close(reloaded.scale(v, double=True), [2.0, -4.0])
        close(reloaded.scale(v), v)
        tf.nest.map_structure(close, reloaded.signatures["pair"](x=tf.constant(x)),
                              original.signatures["pair"](x=tf.constant(x)))


def test_edited_endpoint_keeps_its_structure_where_the_names_do(swish_model, tmp_path):
    src = str(tmp_path / "k")
    swish_model.export(src, verbose=False)
    x = np.random.default_rng(4).normal(size=(3, 6)).astype(np.float32)
    sm = ge.saved_model.load(src)
    with sm.graph.as_default():
        sm.outputs["output_0"] = sm.outputs["output_0"] * 2.0  # same names: same structure
    ge.saved_model.save(sm, str(tmp_path / "x2"))
    doubled = tf.saved_model.load(str(tmp_path / "x2"))
    assert isinstance(doubled.serve(x), tf.Tensor)
    close(doubled.serve(x), 2.0 * swish_model(x).numpy())
    for key in ("serving_default", "serve"):  # Keras's two signatures wrap one function
        sig = doubled.signatures[key]
        (name,) = sig.structured_input_signature[1]
        close(sig(**{name: tf.constant(x)})["output_0"], 2.0 * swish_model(x).numpy())
    sm = ge.saved_model.load(src)
    (h,) = [op.outputs[0] for op in sm.graph.get_operations()
            if op.type == "IdentityN" and "/h_1/" in op.name]
    sm.outputs["h"] = h  # a new output: the endpoint returns the signature's dict
    ge.saved_model.save(sm, str(tmp_path / "h"))
    more = tf.saved_model.load(str(tmp_path / "h"))
    out = more.serve(x)
    assert sorted(out) == ["h", "output_0"]
    close(out["output_0"], swish_model(x))
    for key in ("serving_default", "serve"):
        assert sorted(more.signatures[key].structured_outputs) == ["h", "output_0"]


def test_split_keras_export_halves_serve_and_differentiate(swish_model, tmp_path):
    src = str(tmp_path / "k")
    swish_model.export(src, verbose=False)
    sm = ge.saved_model.load(src)
    (h,) = [op.outputs[0] for op in sm.graph.get_operations()
            if op.type == "IdentityN" and "/h_1/" in op.name]
    head_path, tail_path = str(tmp_path / "head"), str(tmp_path / "tail")
    (key,) = ge.saved_model.split(src, h.name, head_path, tail_path)
    head, tail = tf.saved_model.load(head_path), tf.saved_model.load(tail_path)
    x = np.random.default_rng(5).normal(size=(3, 6)).astype(np.float32)
    mid = head.serve(x)  # the original arguments; the crossing tensors by name
    assert sorted(mid) == [key]
    y = tail.serve(**mid)  # the crossing tensors as keywords; the original output structure
    assert isinstance(y, tf.Tensor)
    close(y, swish_model(x))
    k_h, k_out = swish_model.get_layer("h").kernel, swish_model.get_layer("out").kernel
    ref = tape_grads(lambda t: swish_model(t, training=False), x, [k_h, k_out])
    got = tape_grads(lambda t: tail.serve(**head.serve(t)), x,
                     [loaded_variable(head, k_h), loaded_variable(tail, k_out)])
    for g, r in zip(got, ref):
        close(g, r)


def test_save_refuses_a_non_empty_directory_unless_overwrite(saved, net, x, tmp_path):
    sm = ge.saved_model.load(saved)
    before = sorted(p.name for p in Path(saved).iterdir())
    with pytest.raises(ge.GraphEditValueError, match="already holds a SavedModel"):
        ge.saved_model.save(sm, saved)  # the source's own directory
    assert sorted(p.name for p in Path(saved).iterdir()) == before
    ge.saved_model.save(sm, saved, overwrite=True)  # replaces it, in place
    close(serve(saved)(x=tf.constant(x))["y"], net(x)["y"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
    (tmp_path / "file").write_text("x")
    with pytest.raises(ge.GraphEditValueError, match="is a file"):
        ge.saved_model.save(sm, tmp_path / "file")


def test_a_failed_split_writes_neither_half(saved, tmp_path, monkeypatch):
    from graph_editor import saved_model as sm_module

    calls = []
    original = sm_module._write

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full while writing the tail")
        return original(*args, **kwargs)

    monkeypatch.setattr(sm_module, "_write", failing)
    head, tail = tmp_path / "head", tmp_path / "tail"
    with pytest.raises(OSError, match="disk full"):
        ge.saved_model.split(saved, "mid", str(head), str(tail))
    assert not head.exists() and not tail.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net"]  # no temporary left


def test_load_of_truncated_variable_data_is_a_ge_error(saved):
    data = next(Path(saved, "variables").glob("variables.data-*"))
    data.write_bytes(data.read_bytes()[:8])  # a half-written checkpoint
    with pytest.raises(ge.GraphEditValueError, match="Cannot load a SavedModel"):
        ge.saved_model.load(saved)
