"""graph_editor.surgeon: delete, insert and replace layers of Keras 3 models.

Every edited model is checked against a reference computed by hand: the source model's own
layers called, in the edited order, on a numpy input (``training=False``).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import graph_editor as ge
from graph_editor import surgeon

L = keras.layers


# ------------------------------------------------------------------------------ helpers
def close(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            close(a[k], b[k])
        return
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def randomize_bn(bn, seed):
    rng = np.random.default_rng(seed)
    n = bn.gamma.shape[0]
    bn.set_weights([rng.uniform(0.5, 2.0, n), rng.normal(size=n), rng.normal(size=n),
                    rng.uniform(0.3, 3.0, n)])


def fwd(layer, t):
    return layer(t, training=False)


def clone_layer(layer, x_shape):
    new = type(layer).from_config(layer.get_config())
    new.build(x_shape)
    new.set_weights(layer.get_weights())
    return new


def predict(model, x):
    return keras.tree.map_structure(np.asarray, model(x, training=False))


def names(model):
    return [layer.name for layer in model.layers]


def snapshot(model, x):
    return names(model), [w.copy() for w in model.get_weights()], predict(model, x)


def assert_unchanged(model, snap, x):
    old_names, old_weights, old_out = snap
    assert names(model) == old_names
    new_weights = model.get_weights()
    assert len(new_weights) == len(old_weights)
    assert all(np.array_equal(a, b) for a, b in zip(new_weights, old_weights))
    close(predict(model, x), old_out)


# ------------------------------------------------------------------------------ models
def seq_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((6,), name="x"),
        L.Dense(8, name="fc1"),
        L.BatchNormalization(name="bn"),
        L.Activation("relu", name="act"),
        L.Dropout(0.5, name="drop"),
        L.Dense(8, activation="tanh", name="fc2"),
        L.Dense(3, name="out"),
    ], name="seq")
    randomize_bn(model.get_layer("bn"), 1)
    return model


SEQ = ["fc1", "bn", "act", "drop", "fc2", "out"]


def seq_ref(model, x, order=SEQ, **over):
    for n in order:
        x = over[n](x) if n in over else fwd(model.get_layer(n), x)
    return np.asarray(x)


def skip_model():
    keras.utils.set_random_seed(2)
    inp = keras.Input((6,), name="x")
    h1 = L.Dense(8, name="fc1")(inp)
    h = L.BatchNormalization(name="bn")(h1)
    h = L.Activation("relu", name="act")(h)
    h = L.Dropout(0.5, name="drop")(h)
    h = L.Dense(8, activation="tanh", name="fc2")(h)
    h = L.Add(name="add")([h, h1])
    model = keras.Model(inp, L.Dense(3, name="out")(h), name="skip")
    randomize_bn(model.get_layer("bn"), 2)
    return model


def skip_ref(model, x, **over):
    def f(n, t):
        return over[n](t) if n in over else fwd(model.get_layer(n), t)

    h1 = f("fc1", x)
    h = f("fc2", f("drop", f("act", f("bn", h1))))
    return np.asarray(f("out", f("add", [h, h1])))


def multi_model():
    keras.utils.set_random_seed(3)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    ha = L.Activation("tanh", name="act")(L.Dense(5, name="da")(a))
    hb = L.Dense(5, name="db")(b)
    y1 = L.Dense(2, name="y1")(L.Concatenate(name="cat")([ha, hb]))
    y2 = L.Dense(1, name="y2")(hb)
    return keras.Model({"a": a, "b": b}, {"y1": y1, "y2": y2}, name="multi")


def multi_ref(model, x, **over):
    def f(n, t):
        return over[n](t) if n in over else fwd(model.get_layer(n), t)

    ha = f("act", f("da", x["a"]))
    hb = f("db", x["b"])
    return {"y1": np.asarray(f("y1", f("cat", [ha, hb]))), "y2": np.asarray(f("y2", hb))}


def nested_model():
    keras.utils.set_random_seed(4)
    iseq = keras.Sequential([
        keras.Input((4,), name="sin"),
        L.Dense(4, activation="tanh", name="fc"),
        L.BatchNormalization(name="bn"),
        L.Dense(4, name="fc_b"),
    ], name="iseq")
    randomize_bn(iseq.get_layer("bn"), 4)
    fin = keras.Input((4,), name="fin")
    ifun = keras.Model(fin, L.Activation("relu", name="act")(L.Dense(4, name="fc")(fin)),
                       name="ifun")
    inp = keras.Input((4,), name="x")
    return keras.Model(inp, L.Dense(2, name="head")(ifun(iseq(inp))), name="outer")


def nested_ref(model, x, seq=("fc", "bn", "fc_b"), fun=("fc", "act"), **over):
    iseq, ifun = model.get_layer("iseq"), model.get_layer("ifun")
    for n in seq:
        x = over["iseq/" + n](x) if "iseq/" + n in over else fwd(iseq.get_layer(n), x)
    for n in fun:
        x = over["ifun/" + n](x) if "ifun/" + n in over else fwd(ifun.get_layer(n), x)
    return np.asarray(fwd(model.get_layer("head"), x))


def shared_model():
    keras.utils.set_random_seed(5)
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = L.Dense(3, name="shared")
    ya, yb = shared(a), shared(b)
    out = L.Dense(2, name="out")(L.Concatenate(name="cat")([ya, yb]))
    return keras.Model({"a": a, "b": b}, {"out": out, "ya": ya}, name="shm")


def shared_ref(model, x, f=None):
    sh, out = model.get_layer("shared"), model.get_layer("out")
    f = f or (lambda t: fwd(sh, t))
    ya, yb = f(x["a"]), f(x["b"])
    return {"out": np.asarray(out(np.concatenate([ya, yb], -1))), "ya": np.asarray(ya)}


X6 = rand(5, 6, seed=10)
X4 = rand(5, 4, seed=11)
XM = {"a": rand(5, 4, seed=12), "b": rand(5, 3, seed=13)}
XS = {"a": rand(5, 3, seed=14), "b": rand(5, 3, seed=15)}
KINDS = {
    "seq": (seq_model, seq_ref, X6),
    "skip": (skip_model, skip_ref, X6),
    "multi": (multi_model, multi_ref, XM),
}


def double(layer):
    return lambda t: 2.0 * np.asarray(fwd(layer, t))


# ------------------------------------------------------------------------------ delete
@pytest.mark.parametrize("kind", ["seq", "skip"])
def test_delete_dropout_activation_and_bn(kind):
    build, ref, x = KINDS[kind]
    model = build()
    snap = snapshot(model, x)
    new = surgeon.delete_layer(model, "drop")
    close(predict(new, x), predict(model, x))
    assert names(new) == [n for n in names(model) if n != "drop"]
    ident = lambda t: t  # noqa: E731
    for target in ("act", model.get_layer("bn")):
        name = getattr(target, "name", target)
        want = ref(model, x, **{name: ident})
        assert not np.allclose(want, snap[2])  # the edit shows in the numbers
        close(predict(surgeon.delete_layer(model, target), x), want)
    assert_unchanged(model, snap, x)


def test_delete_in_multi_io_and_shared():
    model = multi_model()
    new = surgeon.delete_layer(model, "act")
    out = new(XM)
    assert isinstance(out, dict) and sorted(out) == ["y1", "y2"]
    close(predict(new, XM), multi_ref(model, XM, act=lambda t: t))
    keras.utils.set_random_seed(6)
    a = keras.Input((3,), name="a")
    shared = L.Dense(3, name="shared")
    act = L.Activation("tanh", name="act")
    out = L.Add(name="add")([act(shared(a)), act(a)])  # act called at two sites
    model = keras.Model(a, out)
    new = surgeon.delete_layer(model, "act")
    x = XS["a"]
    close(predict(new, x), np.asarray(fwd(shared, x)) + x)


def test_delete_in_nested_models_by_path_object_and_whole():
    model = nested_model()
    snap = snapshot(model, X4)
    iseq, ifun = model.get_layer("iseq"), model.get_layer("ifun")
    new = surgeon.delete_layer(model, "ifun/act")
    close(predict(new, X4), nested_ref(model, X4, fun=("fc",)))
    new = surgeon.delete_layer(model, iseq.get_layer("bn"))
    close(predict(new, X4), nested_ref(model, X4, seq=("fc", "fc_b")))
    assert isinstance(new.get_layer("iseq"), keras.Sequential)
    assert names(new.get_layer("iseq")) == ["fc", "fc_b"]
    new = surgeon.delete_layer(model, "ifun")
    assert names(new) == ["x", "iseq", "head"]
    close(predict(new, X4), nested_ref(model, X4, fun=()))
    new = surgeon.delete_layer(model, iseq)
    close(predict(new, X4), np.asarray(fwd(model.get_layer("head"), fwd(ifun, X4))))
    assert_unchanged(model, snap, X4)


# ------------------------------------------------------------------------------ insert
@pytest.mark.parametrize("kind,target,after", [
    ("seq", "fc2", False), ("seq", "out", True), ("skip", "fc2", False), ("skip", "add", True),
    ("multi", "act", False), ("multi", "db", True), ("multi", "y2", True)])
@pytest.mark.parametrize("make", [lambda: L.Identity(), lambda: L.Lambda(lambda t: t)],
                         ids=["identity", "lambda"])
def test_insert_identity_or_lambda_keeps_outputs(kind, target, after, make):
    build, _, x = KINDS[kind]
    model = build()
    new = surgeon.insert_layer(model, target, make(), after=after)
    assert len(new.layers) == len(model.layers) + 1
    close(predict(new, x), predict(model, x))


@pytest.mark.parametrize("kind", ["seq", "skip"])
def test_insert_rescaling_after_and_before(kind):
    build, ref, x = KINDS[kind]
    model = build()
    snap = snapshot(model, x)
    fc2 = model.get_layer("fc2")
    new = surgeon.insert_layer(model, "fc2", L.Rescaling(2.0, name="x2"), after=True)
    close(predict(new, x), ref(model, x, fc2=double(fc2)))
    i = names(new).index("fc2")
    assert names(new)[i + 1] == "x2"
    # before (default): the new layer reads fc2's input, fc2 reads the new layer's output
    new = surgeon.insert_layer(model, fc2, L.Rescaling(2.0, name="x2"))
    close(predict(new, x), ref(model, x, fc2=lambda t: fwd(fc2, 2.0 * np.asarray(t))))
    assert names(new)[i: i + 2] == ["x2", "fc2"]
    assert_unchanged(model, snap, x)


def test_insert_after_output_layers():
    for build, ref, x in KINDS.values():
        model = build()
        out = "y2" if model.name == "multi" else "out"
        new = surgeon.insert_layer(model, out, L.Rescaling(2.0, name="x2"), after=True)
        close(predict(new, x), ref(model, x, **{out: double(model.get_layer(out))}))
        if isinstance(new, keras.Sequential):
            assert new.layers[-1] is new.get_layer("x2")
        else:
            outs = keras.tree.flatten(new.outputs)
            assert any(t is new.get_layer("x2").output for t in outs)


def test_insert_in_multi_io_before_act():
    model = multi_model()
    new = surgeon.insert_layer(model, "act", L.Rescaling(-1.0))
    act = model.get_layer("act")
    close(predict(new, XM), multi_ref(model, XM, act=lambda t: fwd(act, -np.asarray(t))))


def test_insert_at_shared_layer_edits_every_site():
    model = shared_model()
    snap = snapshot(model, XS)
    sh = model.get_layer("shared")
    new = surgeon.insert_layer(model, "shared", L.Rescaling(2.0, name="x2"), after=True)
    res = predict(new, XS)
    close(res, shared_ref(model, XS, double(sh)))
    close(res["ya"], 2.0 * snap[2]["ya"])
    new = surgeon.insert_layer(model, sh, L.Rescaling(2.0, name="x2"))
    close(predict(new, XS), shared_ref(model, XS, lambda t: fwd(sh, 2.0 * t)))
    twin = clone_layer(sh, (None, 3))
    twin.set_weights([2.0 * w for w in sh.get_weights()])
    new = surgeon.replace_layer(model, "shared", twin)
    close(predict(new, XS), shared_ref(model, XS, double(sh)))
    assert_unchanged(model, snap, XS)


def test_insert_in_nested_models():
    model = nested_model()
    snap = snapshot(model, X4)
    iseq, ifun = model.get_layer("iseq"), model.get_layer("ifun")
    new = surgeon.insert_layer(model, "iseq/fc_b", L.Rescaling(2.0), after=True)
    close(predict(new, X4), nested_ref(model, X4, **{"iseq/fc_b": double(iseq.get_layer("fc_b"))}))
    assert len(new.get_layer("iseq").layers) == 4
    fc = ifun.get_layer("fc")
    new = surgeon.insert_layer(model, fc, L.Rescaling(2.0))
    close(predict(new, X4), nested_ref(model, X4, **{"ifun/fc": lambda t: fwd(fc, 2.0 * t)}))
    new = surgeon.insert_layer(model, "ifun", L.Rescaling(2.0, name="x2"))
    assert names(new) == ["x", "iseq", "x2", "ifun", "head"]
    want = fwd(model.get_layer("head"), fwd(ifun, 2.0 * np.asarray(fwd(iseq, X4))))
    close(predict(new, X4), want)
    new = surgeon.insert_layer(model, iseq, L.Rescaling(2.0, name="x2"), after=True)
    assert names(new) == ["x", "iseq", "x2", "ifun", "head"]
    close(predict(new, X4), want)
    assert_unchanged(model, snap, X4)


# ------------------------------------------------------------------------------ replace
@pytest.mark.parametrize("kind,target,shape", [("seq", "fc2", (None, 8)),
                                               ("skip", "fc1", (None, 6)),
                                               ("multi", "db", (None, 3))])
def test_replace_dense_by_clone_keeps_outputs(kind, target, shape):
    build, _, x = KINDS[kind]
    model = build()
    snap = snapshot(model, x)
    twin = clone_layer(model.get_layer(target), shape)
    new = surgeon.replace_layer(model, target, twin)
    assert new.get_layer(target) is twin
    close(predict(new, x), predict(model, x))
    assert_unchanged(model, snap, x)


def test_replace_activation_by_relu_max_value():
    for build, ref, x in (KINDS["seq"], KINDS["skip"]):
        model = build()
        new = surgeon.replace_layer(model, "act", L.ReLU(max_value=0.5, name="act"))
        want = ref(model, x, act=lambda t: np.clip(np.asarray(t), 0.0, 0.5))
        close(predict(new, x), want)
        assert not np.allclose(want, predict(model, x))


def test_replace_in_nested_models():
    model = nested_model()
    snap = snapshot(model, X4)
    new = surgeon.replace_layer(model, "ifun/act", L.Activation("tanh"))
    close(predict(new, X4), nested_ref(model, X4, **{"ifun/act": np.tanh}))
    ifun = model.get_layer("ifun")
    twin = keras.models.clone_model(ifun)
    twin.set_weights(ifun.get_weights())
    for w in twin.weights:
        w.assign(2.0 * w)
    new = surgeon.replace_layer(model, ifun, twin)
    fc2 = clone_layer(ifun.get_layer("fc"), (None, 4))
    fc2.set_weights([2.0 * w for w in fc2.get_weights()])
    close(predict(new, X4), nested_ref(model, X4, **{"ifun/fc": lambda t: fwd(fc2, t)}))
    assert_unchanged(model, snap, X4)


@pytest.mark.parametrize("target", ["bn", "nested"])
def test_replace_layer_with_mask_argument_by_identity(target):
    if target == "bn":
        model = skip_model()
        new = surgeon.replace_layer(model, "bn", L.Identity())
        close(predict(new, X6), skip_ref(model, X6, bn=lambda t: t))
    else:
        model = nested_model()
        new = surgeon.replace_layer(model, "ifun", L.Identity())
        close(predict(new, X4), nested_ref(model, X4, fun=()))


# ------------------------------------------------------------------------------ Surgeon
def test_surgeon_jobs_in_one_operate_equal_one_after_another():
    model = skip_model()
    snap = snapshot(model, X6)
    s = surgeon.Surgeon(model)
    s.add_job("delete_layer", "drop")
    s.add_job("insert_layer", model, "fc2", new_layer=L.Rescaling(2.0, name="x2"), after=True)
    s.add_job("replace_layer", model.get_layer("act"), new_layer=L.ReLU(0.5, name="act"))
    s.add_job("insert_layer", "out", new_layer=L.Rescaling(-1.0, name="neg"))
    one = s.operate()
    step = surgeon.delete_layer(model, "drop")
    step = surgeon.insert_layer(step, "fc2", L.Rescaling(2.0, name="x2"), after=True)
    step = surgeon.replace_layer(step, "act", L.ReLU(0.5, name="act"))
    step = surgeon.insert_layer(step, "out", L.Rescaling(-1.0, name="neg"))
    out = model.get_layer("out")
    want = skip_ref(model, X6, drop=lambda t: t, fc2=double(model.get_layer("fc2")),
                    act=lambda t: np.clip(np.asarray(t), 0.0, 0.5),
                    out=lambda t: fwd(out, -np.asarray(t)))
    close(predict(one, X6), want)
    close(predict(step, X6), want)
    assert names(one) == names(step)
    assert_unchanged(model, snap, X6)
    seq = seq_model()
    s = surgeon.Surgeon(seq)
    s.add_job("delete_layer", seq, "bn")
    s.add_job("delete_layer", "drop")
    s.add_job("insert_layer", "fc2", new_layer=L.Rescaling(2.0), after=True)
    new = s.operate()
    assert isinstance(new, keras.Sequential)
    close(predict(new, X6), seq_ref(seq, X6, ["fc1", "act", "fc2", "out"],
                                    fc2=double(seq.get_layer("fc2"))))


def test_surgeon_two_inserts_after_one_layer_equal_one_after_another():
    """Inserts after one layer: the later job sits next to the layer (fc2 -> b -> a), as
    one insert_layer call after another gives."""
    model = skip_model()
    s = surgeon.Surgeon(model)
    s.add_job("insert_layer", "fc2", new_layer=L.Rescaling(2.0, name="a"), after=True)
    s.add_job("insert_layer", "fc2", new_layer=L.Rescaling(1.0, offset=1.0, name="b"),
              after=True)
    fc2 = model.get_layer("fc2")
    expected = skip_ref(model, X6, fc2=lambda t: 2.0 * (fwd(fc2, t) + 1))
    close(predict(s.operate(), X6), expected)
    step = surgeon.insert_layer(model, "fc2", L.Rescaling(2.0, name="a"), after=True)
    step = surgeon.insert_layer(step, "fc2", L.Rescaling(1.0, offset=1.0, name="b"), after=True)
    close(predict(step, X6), expected)
    seq = seq_model()
    s = surgeon.Surgeon(seq)
    s.add_job("insert_layer", "fc2", new_layer=L.Rescaling(2.0, name="a"), after=True)
    s.add_job("insert_layer", "fc2", new_layer=L.Rescaling(1.0, offset=1.0, name="b"),
              after=True)
    names = [layer.name for layer in s.operate().layers]
    assert names.index("fc2") + 1 == names.index("b") and names.index("b") + 1 == names.index("a")


def test_surgeon_refuses_bad_jobs():
    model = skip_model()
    snap = snapshot(model, X6)
    cases = [
        [("delete_layer", "act", {}), ("replace_layer", "act", {"new_layer": L.ReLU()})],
        [("replace_layer", "act", {"new_layer": L.ReLU()}), ("delete_layer", "act", {})],
        [("replace_layer", "act", {"new_layer": L.ReLU()}),
         ("replace_layer", "act", {"new_layer": L.ReLU()})],
        [("delete_layer", "act", {}), ("insert_layer", "act", {"new_layer": L.Identity()})],
        [("insert_layer", "act", {"new_layer": L.Identity()}), ("delete_layer", "act", {})],
    ]
    for (j1, n1, k1), (j2, n2, k2) in cases:
        s = surgeon.Surgeon(model)
        s.add_job(j1, n1, **k1)
        with pytest.raises(ge.GraphEditValueError, match="act"):
            s.add_job(j2, n2, **k2)
    s = surgeon.Surgeon(model)
    shared = L.Identity()
    s.add_job("insert_layer", "fc1", new_layer=shared, after=True)
    with pytest.raises(ge.GraphEditValueError, match="already used"):
        s.add_job("insert_layer", "fc2", new_layer=shared)
    with pytest.raises(ge.GraphEditValueError, match="Unknown job"):
        s.add_job("delete_layers", "fc2")
    with pytest.raises((NotImplementedError, ge.GraphEditValueError)):
        s.add_job("delete_channels", "fc2")  # no channels= (or not implemented yet)
    with pytest.raises(ge.GraphEditValueError, match="not this Surgeon's model"):
        s.add_job("delete_layer", skip_model(), "drop")
    with pytest.raises(ge.GraphEditTypeError):
        s.add_job(3, "drop")
    s.operate()
    with pytest.raises(ge.GraphEditValueError, match="already operated"):
        s.operate()
    with pytest.raises(ge.GraphEditValueError, match="already operated"):
        s.add_job("delete_layer", "drop")
    assert_unchanged(model, snap, X6)


# ------------------------------------------------------------------------------ contract
@pytest.mark.parametrize("copy", [True, False])
def test_untouched_weights_names_and_attributes_kept(copy):
    keras.utils.set_random_seed(7)
    inp = keras.Input((6,), name="x")
    h = L.Dense(8, name="frozen", trainable=False)(inp)
    h = L.Dense(8, name="mp", dtype="mixed_float16")(h)
    h = L.Dropout(0.2, name="drop")(h)
    bn = L.BatchNormalization(name="bn")
    model = keras.Model(inp, L.Dense(2, name="out")(bn(h)), name="attrs")
    randomize_bn(bn, 7)
    snap = snapshot(model, X6)
    new = surgeon.delete_layer(model, "drop", copy=copy)
    assert names(new) == ["x", "frozen", "mp", "bn", "out"]
    for n in names(new):
        a, b = model.get_layer(n), new.get_layer(n)
        assert (a is b) == (not copy and n != "x")  # the input layer is always new
        assert a.trainable == b.trainable
        assert a.dtype_policy.name == b.dtype_policy.name
        assert len(a.weights) == len(b.weights)
        assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
    assert new.get_layer("frozen").trainable_weights == []
    assert new.get_layer("mp").compute_dtype == "float16"
    assert new.output.dtype == model.output.dtype
    close(predict(new, X6), predict(model, X6))
    assert_unchanged(model, snap, X6)


def test_unnamed_input_layer_name_kept():
    keras.utils.set_random_seed(8)
    inp = keras.Input((3,))
    model = keras.Model(inp, L.Dense(2, name="d")(L.Dropout(0.1, name="drop")(inp)))
    new = surgeon.delete_layer(model, "drop")
    assert names(new) == [model.layers[0].name, "d"]


def test_copy_true_makes_new_layers_and_training_leaves_source():
    model = skip_model()
    snap = snapshot(model, X6)
    new = surgeon.delete_layer(model, "drop")
    source_layers = {id(layer) for layer in model.layers}
    assert not any(id(layer) in source_layers for layer in new.layers)
    source_vars = {id(v) for v in model.weights}
    assert not any(id(v) in source_vars for v in new.weights)
    new.compile(keras.optimizers.SGD(0.5), "mse")
    new.fit(X6, rand(5, 3, seed=20), epochs=3, verbose=0)
    assert not np.array_equal(new.get_layer("fc1").get_weights()[0],
                              model.get_layer("fc1").get_weights()[0])
    assert_unchanged(model, snap, X6)
    nested = nested_model()
    new = surgeon.delete_layer(nested, "ifun/act")
    assert new.get_layer("iseq") is not nested.get_layer("iseq")
    assert new.get_layer("iseq").get_layer("fc") is not nested.get_layer("iseq").get_layer("fc")


def test_copy_false_shares_untouched_layers():
    model = skip_model()
    snap = snapshot(model, X6)
    new = surgeon.insert_layer(model, "fc2", L.Rescaling(2.0), after=True, copy=False)
    for n in names(model):
        if n != "x":
            assert new.get_layer(n) is model.get_layer(n)
    close(predict(new, X6), skip_ref(model, X6, fc2=double(model.get_layer("fc2"))))
    assert_unchanged(model, snap, X6)
    seq = seq_model()
    new = surgeon.delete_layer(seq, "drop", copy=False)
    assert all(new.get_layer(n) is seq.get_layer(n) for n in SEQ if n != "drop")
    nested = nested_model()
    new = surgeon.delete_layer(nested, "iseq/bn", copy=False)
    assert new.get_layer("ifun") is nested.get_layer("ifun")  # untouched nested model
    assert new.get_layer("iseq") is not nested.get_layer("iseq")  # edited inside
    assert new.get_layer("iseq").get_layer("fc") is nested.get_layer("iseq").get_layer("fc")
    close(predict(new, X4), nested_ref(nested, X4, seq=("fc", "fc_b")))


@pytest.mark.parametrize("kind", ["seq", "skip"])
def test_result_compiles_fits_saves_and_reloads(kind, tmp_path):
    build, ref, x = KINDS[kind]
    model = build()
    new = surgeon.insert_layer(model, "fc2", L.Rescaling(2.0, name="x2"), after=True)
    new = surgeon.delete_layer(new, "drop")
    want = ref(model, x, drop=lambda t: t, fc2=double(model.get_layer("fc2")))
    close(predict(new, x), want)
    path = str(tmp_path / "edited.keras")
    new.save(path)
    back = keras.models.load_model(path)
    assert names(back) == names(new)
    close(predict(back, x), want)
    new.compile("adam", "mse")
    history = new.fit(x, rand(5, 3, seed=21), epochs=1, batch_size=5, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("kind", ["seq", "skip"])
def test_compiled_source_stays_compiled(kind):
    build, _, x = KINDS[kind]
    model = build()
    model.compile("sgd", "mse", metrics=["mae"])
    new = surgeon.delete_layer(model, "drop")
    assert new.compiled
    loss = new.evaluate(x, rand(5, 3, seed=22), verbose=0)
    assert np.all(np.isfinite(loss)) and len(loss) == 2


# ------------------------------------------------------------------------------ errors
def test_unknown_ambiguous_and_foreign_layers():
    model = nested_model()
    snap = snapshot(model, X4)
    with pytest.raises(ge.GraphEditKeyError, match="fc_b") as err:
        surgeon.delete_layer(model, "fc_c")
    assert isinstance(err.value, KeyError)
    with pytest.raises(ge.GraphEditKeyError, match="head"):
        surgeon.insert_layer(model, "haed", L.Identity())
    with pytest.raises(ge.GraphEditKeyError) as err:
        surgeon.delete_layer(model, "fc")
    assert "iseq/fc" in str(err.value) and "ifun/fc" in str(err.value)
    with pytest.raises(ge.GraphEditKeyError, match="not a layer of model"):
        surgeon.delete_layer(model, L.Dense(4, name="stranger"))
    with pytest.raises(ge.GraphEditKeyError, match="not a layer of model"):
        surgeon.delete_layer(model, skip_model().get_layer("fc1"))
    with pytest.raises(ge.GraphEditTypeError):
        surgeon.delete_layer(model, 3)
    assert_unchanged(model, snap, X4)


def test_models_the_surgeon_refuses():
    for bad in ("model", L.Dense(2), None):
        with pytest.raises(ge.GraphEditTypeError):
            surgeon.delete_layer(bad, "fc1")

    class Sub(keras.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.fc = L.Dense(2, name="fc")

        def call(self, x):
            return self.fc(x)

    sub = Sub()
    sub(X4)
    with pytest.raises(ge.GraphEditTypeError, match="subclassed"):
        surgeon.delete_layer(sub, "fc")
    with pytest.raises(ge.GraphEditTypeError, match="subclassed"):
        surgeon.Surgeon(sub)
    unbuilt = keras.Sequential([L.Dense(2, name="fc")])
    with pytest.raises(ge.GraphEditValueError, match="not built"):
        surgeon.delete_layer(unbuilt, "fc")
    assert not unbuilt.built


def test_jobs_that_do_not_fit_the_layer():
    model = skip_model()
    snap = snapshot(model, X6)
    with pytest.raises(ge.GraphEditValueError, match="'add'.*2 tensors"):
        surgeon.delete_layer(model, "add")
    with pytest.raises(ge.GraphEditValueError, match="'add'.*2 tensors"):
        surgeon.insert_layer(model, "add", L.Identity())
    with pytest.raises(ge.GraphEditValueError, match="input layer"):
        surgeon.delete_layer(model, "x")
    with pytest.raises(ge.GraphEditValueError, match="input layer"):
        surgeon.insert_layer(model, model.layers[0], L.Identity(), after=True)
    with pytest.raises(ge.GraphEditTypeError, match="keras.layers.Layer"):
        surgeon.replace_layer(model, "act", "relu")
    with pytest.raises(ge.GraphEditTypeError, match="keras.layers.Layer"):
        surgeon.insert_layer(model, "act", lambda t: t)
    with pytest.raises(ge.GraphEditValueError, match="already a layer of model"):
        surgeon.replace_layer(model, "act", model.get_layer("drop"))
    with pytest.raises(ge.GraphEditValueError, match="already a layer of model"):
        surgeon.insert_layer(model, "fc2", model.get_layer("fc1"), after=True)
    with pytest.raises(ge.GraphEditValueError, match="new_layer"):
        surgeon.Surgeon(model).add_job("replace_layer", "act")
    assert_unchanged(model, snap, X6)
    seq = seq_model()
    with pytest.raises(ge.GraphEditError, match="input layer|no layer named"):
        surgeon.delete_layer(seq, "x")


@pytest.mark.parametrize("copy", [True, False])
def test_shape_breaking_delete_names_layers_and_shapes(copy):
    keras.utils.set_random_seed(9)
    seq = keras.Sequential([keras.Input((2,), name="x"), L.Dense(8, name="f1"),
                            L.Dense(4, name="f2"), L.Dense(8, name="f3")], name="chain")
    x = rand(3, 2, seed=30)
    snap = snapshot(seq, x)
    with pytest.raises(ge.GraphEditValueError) as err:
        surgeon.delete_layer(seq, "f2", copy=copy)
    msg = str(err.value)
    assert isinstance(err.value, ValueError)
    assert "'f2'" in msg and "'f3'" in msg and "(None, 8)" in msg and "(None, 4)" in msg
    assert_unchanged(seq, snap, x)
    model = skip_model()
    snap = snapshot(model, X6)
    with pytest.raises(ValueError) as err:
        surgeon.insert_layer(model, "fc2", L.Dense(3, name="d3"), after=True, copy=copy)
    msg = str(err.value)
    assert isinstance(err.value, ge.GraphEditValueError)
    assert "'fc2'" in msg and "'add'" in msg and "(None, 3)" in msg and "(None, 8)" in msg
    assert_unchanged(model, snap, X6)
    with pytest.raises(ge.GraphEditValueError, match="'fc2'.*'add'"):
        surgeon.replace_layer(model, "fc2", L.Dense(5), copy=copy)
    assert_unchanged(model, snap, X6)
