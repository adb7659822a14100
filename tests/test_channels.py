"""surgeon channel surgery (delete_channels, channel_groups, importance, prune), checked
against ``zeroed_reference``: the source model with the consumers' input slices named BY HAND
in each test zeroed; kept weights must be bit-equal to ``np.delete`` of the source's, every
other layer bit-identical, and the source unchanged."""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge
from graph_editor import surgeon

L = keras.layers
TOL = dict(rtol=1e-5, atol=1e-6)
RNN = (L.LSTM, L.GRU, L.SimpleRNN)
CONVT = (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)


# ------------------------------------------------------------------------------ helpers
def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def predict(model, x):
    return np.asarray(model(x, training=False))


def all_layers(model, prefix=""):
    for layer in model.layers:
        yield prefix + layer.name, layer
        if isinstance(layer, keras.Model):
            yield from all_layers(layer, prefix + layer.name + "/")


def get(model, path):
    for part in path.split("/"):
        model = model.get_layer(part)
    return model


def randomize_bns(model, seed=0):
    """Non-trivial BatchNormalization statistics (positive variances)."""
    rng = np.random.default_rng(seed)
    for _, layer in all_layers(model):
        if isinstance(layer, L.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 2.0, n), rng.normal(size=n),
                               rng.normal(size=n), rng.uniform(0.3, 3.0, n)])
    return model


def functional(shape, *layers, dtype="float32"):
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape, dtype=dtype, name="x")
    y = inp
    for layer in layers:
        y = layer(y)
    return randomize_bns(keras.Model(inp, y))


def _zero(var, where):
    a = var.numpy()
    a[where] = 0
    var.assign(a)


def zeroed_reference(model, zeros, recurrent=None):
    """A copy of ``model`` whose consumers ``zeros`` ({name: input channels}) read zeros
    there; ``recurrent`` ({rnn producer: units}) also zeroes those recurrent rows."""
    ref = keras.models.clone_model(model)
    ref.set_weights(model.get_weights())
    for path, idx in zeros.items():
        layer, idx = get(ref, path), list(idx)
        w = {v.name: v for v in layer.weights}
        if "depthwise_kernel" in w:  # SeparableConv: depthwise slices and pointwise rows
            m = layer.depth_multiplier
            _zero(w["depthwise_kernel"], (..., idx, slice(None)))
            _zero(w["pointwise_kernel"],
                  (..., [c * m + j for c in idx for j in range(m)], slice(None)))
        elif isinstance(layer, CONVT):
            _zero(w["kernel"], (..., idx))
        elif isinstance(layer, (L.Conv1D, L.Conv2D, L.Conv3D)):
            _zero(w["kernel"], (..., idx, slice(None)))
        else:
            assert isinstance(layer, (L.Dense, *RNN)), path
            _zero(w["kernel"], (idx,))
    for path, idx in (recurrent or {}).items():
        _zero({v.name: v for v in get(ref, path).weights}["recurrent_kernel"], (list(idx),))
    return ref


def expected_weights(layer, inn, out):
    """The source ``layer``'s weights with input channels ``inn`` / outputs ``out`` gone."""
    w = {v.name: v.numpy() for v in layer.weights}

    def d(a, idx, axis):
        return a if idx is None else np.delete(a, list(idx), axis)

    def rows(idx, m):
        return None if idx is None else [c * m + j for c in idx for j in range(m)]

    if isinstance(layer, RNN):
        u = layer.units
        cols = None if out is None else [
            g * u + c for g in range(w["kernel"].shape[1] // u) for c in out]
        w["kernel"] = d(d(w["kernel"], inn, 0), cols, 1)
        w["recurrent_kernel"] = d(d(w["recurrent_kernel"], out, 0), cols, 1)
        if "bias" in w:
            w["bias"] = d(w["bias"], cols, -1)
    elif "depthwise_kernel" in w:
        w["depthwise_kernel"] = d(w["depthwise_kernel"], inn, -2)
        pw = d(w["pointwise_kernel"], rows(inn, layer.depth_multiplier), -2)
        w["pointwise_kernel"] = d(pw, out, -1)
    elif isinstance(layer, (L.DepthwiseConv1D, L.DepthwiseConv2D)):
        w["kernel"] = d(w["kernel"], inn, -2)
        if "bias" in w:
            w["bias"] = d(w["bias"], rows(inn, layer.depth_multiplier), 0)
        return w
    elif isinstance(layer, CONVT):
        w["kernel"] = d(d(w["kernel"], inn, -1), out, -2)
    elif isinstance(layer, (L.Dense, L.Conv1D, L.Conv2D, L.Conv3D)):
        w["kernel"] = d(d(w["kernel"], inn, -2), out, -1)
    elif isinstance(layer, L.Embedding):
        w["embeddings"] = d(w["embeddings"], out, 1)
    elif isinstance(layer, L.BatchNormalization):
        return {k: d(v, inn, 0) for k, v in w.items()}
    elif isinstance(layer, L.PReLU):
        a = w["alpha"]
        return {"alpha": d(a, inn, -1) if a.shape[-1] > 1 else a}
    else:
        assert inn is None and out is None, layer.name
    if "bias" in w and not isinstance(layer, RNN):
        w["bias"] = d(w["bias"], out, 0)
    return w


def check(src, pruned, x, zeros, out=None, follow=None, recurrent=None):
    """pruned == zeroed_reference(src, zeros) and every weight as expected."""
    ref = zeroed_reference(src, zeros, recurrent)
    np.testing.assert_allclose(predict(pruned, x), predict(ref, x), **TOL)
    out, follow = out or {}, follow or {}
    new = dict(all_layers(pruned))
    for path, layer in all_layers(src):
        if not layer.weights or isinstance(layer, keras.Model):
            continue
        inn = zeros.get(path, follow.get(path))
        exp = expected_weights(layer, inn, out.get(path))
        got = {v.name: v.numpy() for v in new[path].weights}
        assert list(got) == list(exp), path
        for k, v in exp.items():
            assert np.array_equal(got[k], v), f"{path}.{k}"


@contextlib.contextmanager
def Unchanged(model, x):  # noqa: N802
    """The source model's weights and outputs are the same afterwards."""
    w, y = [w.copy() for w in model.get_weights()], predict(model, x)
    yield
    now = model.get_weights()
    assert len(now) == len(w) and all(np.array_equal(a, b) for a, b in zip(now, w))
    np.testing.assert_allclose(predict(model, x), y, **TOL)


def filters(model, path):
    layer = get(model, path)
    return next(getattr(layer, a) for a in ("filters", "units", "output_dim") if hasattr(layer, a))


# ----------------------------------------------------------------- 1. producer types
def fresh(layer, name=None):
    config = layer.get_config()
    return type(layer).from_config({**config, "name": name or config["name"]})


PRODUCERS = [  # id, input shape, producer "p", consumer "q", channels to delete
    ("dense", (6,), L.Dense(8), L.Dense(3), [1, -1]),
    ("conv1d", (7, 3), L.Conv1D(6, 3), L.Conv1D(2, 3), [0, 4]),
    ("conv2d", (6, 6, 3), L.Conv2D(6, 3, padding="same"), L.Conv2D(2, 3), [2, -1]),
    ("conv3d", (4, 4, 4, 2), L.Conv3D(4, 2), L.Conv3D(2, 2), [-2]),
    ("conv2dT-conv2d", (4, 4, 3), L.Conv2DTranspose(5, 3, strides=2), L.Conv2D(2, 3), [0, 3]),
    ("conv1dT-conv1dT", (5, 3), L.Conv1DTranspose(5, 3), L.Conv1DTranspose(2, 3), [1]),
    ("conv2d-conv2dT", (5, 5, 3), L.Conv2D(5, 3), L.Conv2DTranspose(2, 3), [4, 0]),
    ("sep2d-conv2d", (6, 6, 3), L.SeparableConv2D(6, 3, depth_multiplier=2), L.Conv2D(2, 1),
     [1, 5]),
    ("conv2d-sep2d", (6, 6, 3), L.Conv2D(5, 3), L.SeparableConv2D(2, 3, depth_multiplier=2),
     [0, 3]),
    ("sep1d-sep1d", (8, 3), L.SeparableConv1D(5, 3), L.SeparableConv1D(2, 3, depth_multiplier=3),
     [2]),
    ("embedding-lstm", (5,), L.Embedding(20, 6), L.LSTM(4), [1, -1]),
    ("lstm-dense", (5, 3), L.LSTM(6), L.Dense(2), [0, 4]),
    ("gru-dense", (5, 3), L.GRU(6), L.Dense(2), [2, 3]),
    ("gru_v1-dense", (5, 3), L.GRU(6, reset_after=False), L.Dense(2), [-6, 5]),
    ("simplernn-dense", (5, 3), L.SimpleRNN(6), L.Dense(2), [1]),
    ("lstm_seq-gru", (5, 3), L.LSTM(6, return_sequences=True), L.GRU(3), [0, 5]),
]


@pytest.mark.parametrize("case,shape,p,q,channels", PRODUCERS, ids=[c[0] for c in PRODUCERS])
def test_producer_types(case, shape, p, q, channels):
    emb = isinstance(p, L.Embedding)
    model = functional(shape, fresh(p, "p"), fresh(q, "q"), dtype="int32" if emb else "float32")
    x = np.random.default_rng(1).integers(0, 20, (4, *shape)) if emb else rand(4, *shape)
    n = filters(model, "p")
    S = sorted({c % n for c in channels})
    with Unchanged(model, x):
        pruned = surgeon.delete_channels(model, "p", channels)
    assert filters(pruned, "p") == n - len(S)
    rec = {"p": S} if isinstance(p, RNN) else None
    check(model, pruned, x, {"q": S}, out={"p": S}, recurrent=rec)


def test_embedding_flatten_dense():
    model = functional((5,), L.Embedding(20, 4, name="p"), L.Flatten(name="fl"),
                       L.Dense(3, name="q"), dtype="int32")
    x = np.random.default_rng(1).integers(0, 20, (4, 5))
    pruned = surgeon.delete_channels(model, "p", [2])
    check(model, pruned, x, {"q": [r for r in range(20) if r % 4 == 2]}, out={"p": [2]})


# ------------------------------------------------------------------------ 2. followers
def followers_model():
    model = functional(
        (8, 8, 3), L.Conv2D(4, 3, padding="same", name="c1"),
        L.BatchNormalization(name="bn1"), L.PReLU(shared_axes=[1, 2], name="pr1"),
        L.Activation("tanh", name="act"), L.ReLU(name="relu"), L.Dropout(0.3, name="drop"),
        L.MaxPooling2D(name="mp"), L.ZeroPadding2D(1, name="pad"), L.UpSampling2D(name="up"),
        L.Cropping2D(1, name="crop"),
        L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw"),
        L.BatchNormalization(name="bn2"), L.PReLU(name="pr2"), L.Conv2D(3, 1, name="c2"),
        L.GlobalAveragePooling2D(name="gap"), L.Dense(2, name="head"))
    for layer in (model.get_layer("pr1"), model.get_layer("pr2")):
        layer.set_weights([rand(*layer.alpha.shape, seed=7)])
    return model


@pytest.mark.parametrize("target,channels", [
    ("c1", [1, 3]), ("bn1", [1, -1]), ("relu", [3, 1]), ("dw", [2, 3, 6, 7]),
])
def test_followers_and_depth_multiplier(target, channels):
    model = followers_model()
    x = rand(3, 8, 8, 3)
    with Unchanged(model, x):
        pruned = surgeon.delete_channels(model, target, channels)
    S, E = [1, 3], [2, 3, 6, 7]  # conv channel c -> depthwise outputs 2c, 2c+1
    assert pruned.get_layer("dw").output.shape[-1] == 4
    check(model, pruned, x, {"c2": E}, out={"c1": S},
          follow={"bn1": S, "pr1": S, "dw": S, "bn2": E, "pr2": E})


def test_global_pooling_to_dense_and_whole_depthwise_blocks():
    model = followers_model()
    x = rand(3, 8, 8, 3)
    pruned = surgeon.delete_channels(model, "c2", [0])
    check(model, pruned, x, {"head": [0]}, out={"c2": [0]})
    with pytest.raises(ge.GraphEditValueError, match="depth multiplier 2"):
        surgeon.delete_channels(model, "dw", [2])


@pytest.mark.parametrize("m", [0, 2])  # m: a DepthwiseConv2D with that multiplier before
def test_flatten_to_dense_channels_last(m):
    dw = [L.DepthwiseConv2D(1, depth_multiplier=m, name="dw")] if m else []
    model = functional((6, 6, 2), L.Conv2D(3, 3, name="p"), L.BatchNormalization(name="bn"),
                       L.MaxPooling2D(name="mp"), *dw, L.Flatten(name="fl"),
                       L.Dense(2, name="q"))
    x = rand(4, 6, 6, 2)
    pruned = surgeon.delete_channels(model, "p", [1])
    c = max(m, 1) * 3  # flattened (2, 2, c): row r holds conv channel (r % c) // max(m, 1)
    rows = [r for r in range(4 * c) if (r % c) // max(m, 1) == 1]
    follow = {"bn": [1], "dw": [1]} if m else {"bn": [1]}
    check(model, pruned, x, {"q": rows}, out={"p": [1]}, follow=follow)


def _nchw_conv_runs() -> bool:
    """TensorFlow runs NCHW Conv2D on the CPU only with oneDNN (CPUs with AVX-512 here)."""
    try:
        tf.nn.conv2d(tf.zeros([1, 1, 3, 3]), tf.zeros([1, 1, 1, 1]), 1, "SAME",
                     data_format="NCHW")
    except tf.errors.UnimplementedError:
        return False
    return True


needs_nchw = pytest.mark.skipif(
    not _nchw_conv_runs(), reason="this CPU's TensorFlow cannot run channels_first Conv2D "
    "(NCHW needs oneDNN); the surgery is built but the models cannot be run to check it")


def channels_first_model(width, flatten_format):
    return functional(
        (3, 6, width), L.Conv2D(4, 3, padding="same", data_format="channels_first", name="p"),
        L.BatchNormalization(axis=1, name="bn"), L.ReLU(name="relu"),
        L.MaxPooling2D(data_format="channels_first", name="mp"),
        L.Flatten(data_format=flatten_format, name="fl"), L.Dense(2, name="q"))


@pytest.mark.parametrize("width,fmt,rule", [
    (5, "channels_first", lambda r: r % 4 == 1),
    (4, "channels_first", lambda r: r % 4 == 1),  # W == C: the layout is found
    (4, None, lambda r: r // 6 == 1),  # default Flatten of (C, H, W): rows p // (H*W)
], ids=["cf-flatten-W5", "cf-flatten-W4", "default-flatten"])
@needs_nchw
def test_channels_first(width, fmt, rule):
    model = channels_first_model(width, fmt)
    x = rand(4, 3, 6, width)
    pruned = surgeon.delete_channels(model, "p", [1])
    # Flatten(data_format="channels_first") moves the channels last first: rows p % C.
    check(model, pruned, x, {"q": [r for r in range(24) if rule(r)]}, out={"p": [1]},
          follow={"bn": [1]})


# --------------------------------------------------------------------------- 3. groups
MERGES = {"add": L.Add, "subtract": L.Subtract, "multiply": L.Multiply,
          "average": L.Average, "maximum": L.Maximum, "minimum": L.Minimum}


def residual_model(merge="add"):
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 6, 3), name="x")
    a = L.BatchNormalization(name="bn1")(L.Conv2D(6, 3, padding="same", name="c1")(inp))
    b = L.BatchNormalization(name="bn2")(L.Conv2D(6, 3, padding="same", name="c2")(inp))
    y = L.ReLU(name="relu")(MERGES[merge](name="merge")([a, b]))
    y = L.Conv2D(3, 3, name="c3")(y)
    y = L.Dense(2, name="head")(L.GlobalAveragePooling2D(name="gap")(y))
    return randomize_bns(keras.Model(inp, y))


RES = dict(out={"c1": [1, 4], "c2": [1, 4]}, follow={"bn1": [1, 4], "bn2": [1, 4]})


@pytest.mark.parametrize("merge", list(MERGES))
def test_residual_expand(merge):
    model = residual_model(merge)
    x = rand(3, 6, 6, 3)
    with Unchanged(model, x):
        pruned = surgeon.delete_channels(model, "c1", [1, -2])
    check(model, pruned, x, {"c3": [1, 4]}, **RES)


def test_residual_expand_equals_surgeon_on_both_and_jobs_merge():
    model = residual_model()
    x = rand(3, 6, 6, 3)
    expanded = surgeon.delete_channels(model, "c1", [1, 4])
    s = surgeon.Surgeon(model)
    s.add_job("delete_channels", "c1", channels=[1, 4])
    s.add_job("delete_channels", "c2", channels=[1, 4], expand=True)
    both = s.operate()
    s = surgeon.Surgeon(model)  # jobs on one group merge: the union {1, 4}
    s.add_job("delete_channels", "c1", channels=[1])
    s.add_job("delete_channels", model, "bn2", channels=[4])
    union = s.operate()
    for m in (both, union):
        for a, b in zip(m.get_weights(), expanded.get_weights()):
            assert np.array_equal(a, b)
        check(model, m, x, {"c3": [1, 4]}, **RES)


def test_residual_expand_false_raises_group_error():
    model = residual_model()
    x = rand(2, 6, 6, 3)
    with Unchanged(model, x), pytest.raises(ge.ChannelGroupError) as err:
        surgeon.delete_channels(model, "c2", [0], expand=False)
    assert isinstance(err.value, ValueError)
    assert sorted(err.value.group) == ["c1", "c2"]
    # an uncoupled producer is fine with expand=False
    pruned = surgeon.delete_channels(model, "c3", [2], expand=False)
    check(model, pruned, x, {"head": [2]}, out={"c3": [2]})


def test_channel_groups_residual():
    groups = surgeon.channel_groups(residual_model())
    by = {tuple(p.name for p in g.producers): g for g in groups}
    assert set(by) == {("c1", "c2"), ("c3",), ("head",)}
    g = by[("c1", "c2")]
    assert g.num_channels == 6
    assert [c.name for c in g.consumers] == ["c3"]
    assert {"bn1", "bn2", "relu"} <= {f.name for f in g.followers}
    assert [c.name for c in by[("c3",)].consumers] == ["head"]
    assert "c1" in repr(g)


def concat_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((5, 5, 3), name="x")
    a = L.BatchNormalization(name="bna")(L.Conv2D(4, 3, padding="same", name="a")(inp))
    b = L.Conv2D(3, 1, name="b")(inp)
    y = L.Conv2D(2, 3, name="d")(L.Concatenate(name="cat")([a, b]))
    return randomize_bns(keras.Model(inp, y))


@pytest.mark.parametrize("jobs,zeros,out,follow", [
    ({"a": [1]}, [1], {"a": [1]}, {"bna": [1]}),
    ({"b": [0, -1]}, [4, 6], {"b": [0, 2]}, {}),
    ({"a": [0, 3], "b": [1]}, [0, 3, 5], {"a": [0, 3], "b": [1]}, {"bna": [0, 3]}),
], ids=["first", "second", "both"])
def test_concatenate_channel_axis(jobs, zeros, out, follow):
    model = concat_model()
    x = rand(3, 5, 5, 3)
    s = surgeon.Surgeon(model)
    for name, ch in jobs.items():
        s.add_job("delete_channels", name, channels=ch, expand=False)
    with Unchanged(model, x):
        pruned = s.operate()
    check(model, pruned, x, {"d": zeros}, out=out, follow=follow)


def test_concatenate_non_channel_axis_couples():
    keras.utils.set_random_seed(0)
    inp = keras.Input((5, 3), name="x")
    a, b = L.Conv1D(4, 1, name="a")(inp), L.Conv1D(4, 1, name="b")(inp)
    y = L.Conv1D(2, 1, name="d")(L.Concatenate(axis=1, name="cat")([a, b]))
    model = keras.Model(inp, y)
    with pytest.raises(ge.ChannelGroupError):
        surgeon.delete_channels(model, "a", [1], expand=False)
    pruned = surgeon.delete_channels(model, "a", [1])
    check(model, pruned, rand(2, 5, 3), {"d": [1]}, out={"a": [1], "b": [1]})


def test_squeeze_excitation_block():
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 6, 3), name="x")
    x = L.ReLU(name="relu")(L.BatchNormalization(name="bn")(
        L.Conv2D(6, 3, padding="same", name="c1")(inp)))
    se = L.Reshape((1, 1, 6), name="rs")(L.GlobalAveragePooling2D(name="sgap")(x))
    se = L.Conv2D(2, 1, activation="relu", name="sq")(se)
    se = L.Conv2D(6, 1, activation="sigmoid", name="ex")(se)
    y = L.Conv2D(3, 1, name="cout")(L.Multiply(name="mul")([x, se]))
    model = randomize_bns(keras.Model(inp, L.GlobalAveragePooling2D(name="gap")(y)))
    x, S = rand(3, 6, 6, 3), [1, 4]
    with Unchanged(model, x):
        pruned = surgeon.delete_channels(model, "c1", S)
    assert pruned.get_layer("rs").target_shape == (1, 1, 4)
    check(model, pruned, x, {"sq": S, "cout": S}, out={"c1": S, "ex": S}, follow={"bn": S})


def test_nested_sequential_producer_inside_consumer_outside():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential([keras.Input((6, 6, 3)), L.Conv2D(5, 3, name="p"),
                              L.BatchNormalization(name="ibn"), L.ReLU(name="irelu")],
                             name="inner")
    inp = keras.Input((6, 6, 3), name="x")
    model = randomize_bns(keras.Model(inp, L.Conv2D(2, 3, name="q")(inner(inp))))
    x = rand(3, 6, 6, 3)
    for target in ("inner/p", "p"):
        with Unchanged(model, x):
            pruned = surgeon.delete_channels(model, target, [0, -3])
        assert get(pruned, "inner/p").filters == 3
        check(model, pruned, x, {"q": [0, 2]}, out={"inner/p": [0, 2]},
              follow={"inner/ibn": [0, 2]})


def test_shared_dense_producer_at_two_sites_and_lstm_states():
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,), name="x")
    s = L.Dense(5, name="s")
    h1, h2 = L.Dense(2, name="h1")(s(inp)), L.Dense(2, name="h2")(s(L.ReLU()(inp)))
    model = keras.Model(inp, L.Add(name="add")([h1, h2]))
    pruned = surgeon.delete_channels(model, "s", [1, 3])
    check(model, pruned, rand(4, 6), {"h1": [1, 3], "h2": [1, 3]}, out={"s": [1, 3]})
    inp = keras.Input((5, 3), name="x")  # an LSTM's sequence and both states are read
    seq, h, c = L.LSTM(6, return_sequences=True, return_state=True, name="p")(inp)
    y = L.Dense(2, name="q")(L.Concatenate(name="cat")([h, c, L.GlobalMaxPooling1D()(seq)]))
    model = keras.Model(inp, y)
    pruned = surgeon.delete_channels(model, "p", [1, 4])
    check(model, pruned, rand(4, 5, 3), {"q": [1, 4, 7, 10, 13, 16]}, out={"p": [1, 4]},
          recurrent={"p": [1, 4]})


def shared_consumer_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,), name="x")
    p, q, s = L.Dense(6, name="p")(inp), L.Dense(6, name="q")(inp), L.Dense(3, name="s")
    return keras.Model(inp, L.Add(name="add")([s(p), s(q)]))


def test_shared_dense_consumer():
    """A layer shared by two call sites has one set of weights: the groups it reads at
    each site are coupled, so deleting from p also deletes from q (the same channels)."""
    model = shared_consumer_model()
    x = rand(4, 6)
    groups = [[p.name for p in g.producers] for g in surgeon.channel_groups(model)]
    assert ["p", "q"] in groups
    with Unchanged(model, x), pytest.raises(ge.ChannelGroupError, match="'q'"):
        surgeon.delete_channels(model, "p", [1], expand=False)
    pruned = surgeon.delete_channels(model, "p", [1, 5])
    check(model, pruned, x, {"s": [1, 5]}, out={"p": [1, 5], "q": [1, 5]})
    s = surgeon.Surgeon(model)  # two jobs on one group merge
    s.add_job("delete_channels", "p", channels=[1])
    s.add_job("delete_channels", "q", channels=[5])
    check(model, s.operate(), x, {"s": [1, 5]}, out={"p": [1, 5], "q": [1, 5]})


def test_prune_with_shared_consumer():
    model = shared_consumer_model()
    x = rand(4, 6)
    pruned = surgeon.prune(model, 0.5)
    assert pruned.output.shape == model.output.shape
    assert pruned.get_layer("p").units == pruned.get_layer("q").units == 3
    np.testing.assert_array_equal(pruned.get_layer("s").kernel.shape, (3, 3))
    assert np.isfinite(np.asarray(pruned(x))).all()


def test_copy_false_shares_untouched_layers():
    model = residual_model()
    pruned = surgeon.delete_channels(model, "c3", [0], copy=False)
    assert pruned.get_layer("c1") is model.get_layer("c1")
    assert pruned.get_layer("c3") is not model.get_layer("c3")
    assert pruned.get_layer("head") is not model.get_layer("head")
    check(model, pruned, rand(2, 6, 6, 3), {"head": [0]}, out={"c3": [0]})


# ------------------------------------------------------------------------- 4. refusals
def dense3():
    return functional((6,), L.Dense(3, name="p"), L.Dense(2))


def _f(shape, *layers):  # fresh copies of the layers at each call
    return lambda: functional(shape, *map(fresh, layers))


REFUSALS = [  # id, model builder, target, channels, the layer the message names
    ("layernorm", _f((6,), L.Dense(4, name="p"), L.LayerNormalization(name="ln"),
                     L.Dense(2)), "p", [1], "ln"),
    ("softmax", _f((6,), L.Dense(4, name="p"), L.Activation("softmax", name="sm"),
                   L.Dense(2)), "p", [1], "sm"),
    ("reshape_split", _f((6,), L.Dense(8, name="p"), L.Reshape((2, 4), name="rs"),
                         L.Flatten(), L.Dense(2)), "p", [1], "rs"),
    ("grouped_consumer", _f((5, 5, 4), L.Conv2D(4, 1, name="p"),
                            L.Conv2D(4, 1, groups=2, name="g"), L.GlobalAveragePooling2D(),
                            L.Dense(2)), "p", [0], "g"),
    ("every_channel", dense3, "p", [0, 1, -1], "p"),
    ("out_of_range", dense3, "p", [3], "p"),
    ("negative_out_of_range", dense3, "p", [-4], "p"),
    ("empty", dense3, "p", [], "p"),
    ("input_layer", dense3, "x", [0], "x"),
    ("flatten_target", _f((3, 3, 2), L.Conv2D(4, 1, name="p"), L.Flatten(name="fl"),
                          L.Dense(2)), "fl", [3], "fl"),
]


def test_merge_target_deletes_its_group():
    """A per-channel layer (here the Add) as target: its channels are its group's."""
    model = residual_model()
    x = rand(3, 6, 6, 3)
    by_merge = surgeon.delete_channels(model, "merge", [1, 4])
    check(model, by_merge, x, {"c3": [1, 4]}, **RES)


@pytest.mark.parametrize("case,build,target,channels,name", REFUSALS,
                         ids=[getattr(r, "values", r)[0] for r in REFUSALS])
def test_refusals(case, build, target, channels, name):
    model = build()
    x = rand(2, *model.input.shape[1:])
    with Unchanged(model, x), pytest.raises(ge.GraphEditValueError, match=f"'{name}'"):
        surgeon.delete_channels(model, target, channels)


def test_input_merge_is_refused():
    keras.utils.set_random_seed(0)
    inp = keras.Input((5, 5, 3), name="x")
    y = L.Add(name="add")([inp, L.Conv2D(3, 1, name="p")(inp)])
    model = keras.Model(inp, L.Conv2D(2, 1, name="q")(y))
    with pytest.raises(ge.GraphEditValueError, match="'p'"):
        surgeon.delete_channels(model, "p", [0])
    assert [[p.name for p in g.producers] for g in surgeon.channel_groups(model)] == [["q"]]


@pytest.mark.parametrize("bad", ["abc", [None], [[0, "a"]], pytest.param(
    [1.5])], ids=["str", "none", "mixed", "float"])
def test_channels_argument_types(bad):
    model = dense3()
    with pytest.raises(ge.GraphEditTypeError):
        surgeon.delete_channels(model, "p", bad)
    with pytest.raises(ge.GraphEditValueError, match="channels="):
        surgeon.Surgeon(model).add_job("delete_channels", "p")


# ------------------------------------------------------------------------ 5. importance
def _l_norms(kernel_rows, p):
    a = np.abs(kernel_rows.astype(np.float64))
    return a.sum(axis=1) if p == 1 else np.sqrt((a ** 2).sum(axis=1))


def _conv_rows(layer):
    k = layer.kernel.numpy()
    return k.reshape(-1, k.shape[-1]).T


def close6(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("criterion,p", [("l1", 1), ("l2", 2)])
def test_importance_magnitude(criterion, p):
    model = residual_model()  # a coupled group: summed over its producers
    want = sum(_l_norms(_conv_rows(model.get_layer(n)), p) for n in ("c1", "c2"))
    for target in ("c1", "c2", "bn1", "relu"):
        close6(surgeon.importance(model, target, criterion), want)
    close6(surgeon.importance(model, "c3", criterion), _l_norms(_conv_rows(model.get_layer(
        "c3")), p))
    dense = functional((6,), L.Dense(5, name="p"), L.Dense(2))
    close6(surgeon.importance(dense, "p", criterion),
           _l_norms(dense.get_layer("p").kernel.numpy().T, p))
    convt = functional((4, 4, 3), L.Conv2DTranspose(5, 3, name="p"), L.Conv2D(2, 1))
    k = convt.get_layer("p").kernel.numpy()  # (kh, kw, filters, in)
    close6(surgeon.importance(convt, "p", criterion),
           _l_norms(np.moveaxis(k, 2, 0).reshape(5, -1), p))


def test_importance_bn_scale():
    model = residual_model()
    g1, g2 = (np.abs(model.get_layer(n).gamma.numpy()) for n in ("bn1", "bn2"))
    close6(surgeon.importance(model, "c1", "bn_scale"), g1 + g2)
    single = functional((6, 6, 3), L.Conv2D(4, 3, name="p"), L.BatchNormalization(name="bn"),
                        L.Conv2D(2, 1))
    close6(surgeon.importance(single, "p", "bn_scale"),
           np.abs(single.get_layer("bn").gamma.numpy()))
    with pytest.raises(ge.GraphEditValueError, match="BatchNormalization"):
        surgeon.importance(model, "c3", "bn_scale")


def apoz_model():
    return functional((6, 6, 2), L.Conv2D(5, 3, name="p"), L.BatchNormalization(name="bn"),
                      L.ReLU(name="relu"), L.GlobalAveragePooling2D(name="gap"),
                      L.Dense(3, name="head"))


def test_importance_apoz():
    model = apoz_model()
    data = rand(16, 6, 6, 2, seed=3)
    scores = surgeon.importance(model, "p", "apoz", data=data)
    acts = predict(keras.Model(model.input, model.get_layer("relu").output), data)
    assert scores.shape == (5,)  # one per filter, not per class
    np.testing.assert_allclose(scores, 1.0 - (acts == 0).mean(axis=(0, 1, 2)))
    assert scores.min() < scores.max()
    own = functional((6, 6, 2), L.Conv2D(4, 3, activation="relu", name="p"), L.Flatten(),
                     L.Dense(3))
    acts = predict(keras.Model(own.input, own.get_layer("p").output), data)
    np.testing.assert_allclose(surgeon.importance(own, "p", "apoz", data=data),
                               1.0 - (acts == 0).mean(axis=(0, 1, 2)))


def test_importance_errors():
    model = apoz_model()
    with pytest.raises(ge.GraphEditValueError, match="data"):
        surgeon.importance(model, "p", "apoz")
    no_relu = functional((6, 6, 2), L.Conv2D(5, 3, name="p"), L.BatchNormalization(),
                         L.Activation("tanh"), L.Flatten(), L.Dense(2))
    with pytest.raises(ge.GraphEditValueError, match="ReLU"):
        surgeon.importance(no_relu, "p", "apoz", data=rand(4, 6, 6, 2))
    with pytest.raises(ge.GraphEditValueError, match="criterion"):
        surgeon.importance(model, "p", "taylor")
    with pytest.raises(ge.GraphEditValueError, match="criterion"):
        surgeon.prune(model, 0.5, criterion="taylor")


@needs_nchw
def test_importance_apoz_channels_first():
    model = channels_first_model(4, "channels_first")  # W == C, so the layout is found
    data = rand(16, 3, 6, 4, seed=3)
    acts = predict(keras.Model(model.input, model.get_layer("relu").output), data)
    np.testing.assert_allclose(surgeon.importance(model, "p", "apoz", data=data),
                               1.0 - (acts == 0).mean(axis=(0, 2, 3)))


# ----------------------------------------------------------------------------- 6. prune
def resnet_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3), name="x")

    def cbr(y, n, name, k=3, relu=True):
        y = L.Conv2D(n, k, padding="same", name=name)(y)
        y = L.BatchNormalization(name=name + "_bn")(y)
        return L.ReLU(name=name + "_relu")(y) if relu else y

    s = cbr(inp, 8, "stem")
    y = cbr(cbr(s, 8, "b1c1"), 8, "b1c2", relu=False)
    r1 = L.ReLU(name="r1")(L.Add(name="add1")([s, y]))
    y = cbr(cbr(r1, 12, "b2c1"), 12, "b2c2", relu=False)
    short = cbr(r1, 12, "short", k=1, relu=False)
    r2 = L.ReLU(name="r2")(L.Add(name="add2")([short, y]))
    out = L.Dense(3, name="head")(L.GlobalAveragePooling2D(name="gap")(r2))
    return randomize_bns(keras.Model(inp, out))


# group -> (producers, weighted followers, consumers), written by hand
RESNET = {"stem": (["stem", "b1c2"], ["stem_bn", "b1c2_bn"], ["b1c1", "b2c1", "short"]),
          "b1c1": (["b1c1"], ["b1c1_bn"], ["b1c2"]),
          "b2c1": (["b2c1"], ["b2c1_bn"], ["b2c2"]),
          "short": (["short", "b2c2"], ["short_bn", "b2c2_bn"], ["head"])}


def mobile_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3), name="x")
    s = L.ReLU(6.0, name="stem_relu")(L.BatchNormalization(name="stem_bn")(
        L.Conv2D(8, 3, padding="same", name="stem")(inp)))
    y = L.Conv2D(16, 1, name="expand")(s)
    y = L.ReLU(6.0, name="expand_relu")(L.BatchNormalization(name="expand_bn")(y))
    y = L.DepthwiseConv2D(3, padding="same", name="dw")(y)
    y = L.ReLU(name="dw_relu")(L.BatchNormalization(name="dw_bn")(y))
    y = L.BatchNormalization(name="project_bn")(L.Conv2D(8, 1, name="project")(y))
    y = L.GlobalAveragePooling2D(name="gap")(L.Add(name="add")([s, y]))
    return randomize_bns(keras.Model(inp, L.Dense(3, name="head")(y)))


MOBILE = {"stem": (["stem", "project"], ["stem_bn", "project_bn"], ["expand", "head"]),
          "expand": (["expand"], ["expand_bn", "dw", "dw_bn"], ["project"])}


def _planned(model, table, ratio, criterion, data=None, skip=()):
    """{group: channels prune should delete}, from channel_groups + importance."""
    groups = {frozenset(p.name for p in g.producers): g
              for g in surgeon.channel_groups(model)}
    assert set(groups) == {frozenset(v[0]) for v in table.values()} | {frozenset(["head"])}
    plan = {}
    for key, (producers, _, _) in table.items():
        if key in skip:
            continue
        n = groups[frozenset(producers)].num_channels
        scores = surgeon.importance(model, key, criterion, data=data)
        plan[key] = sorted(np.argsort(scores, kind="stable")[:int(ratio * n)].tolist())
    return plan


def _check_plan(model, pruned, x, table, plan):
    zeros, out, follow = {}, {}, {}
    for key, S in plan.items():
        producers, followers, consumers = table[key]
        out.update(dict.fromkeys(producers, S))
        follow.update(dict.fromkeys(followers, S))
        zeros.update(dict.fromkeys(consumers, S))
    check(model, pruned, x, zeros, out=out, follow=follow)


@pytest.mark.parametrize("build,table,criterion", [
    (resnet_model, RESNET, "l1"), (mobile_model, MOBILE, "bn_scale"),
    (mobile_model, MOBILE, "apoz")], ids=["resnet-l1", "mobile-bn_scale", "mobile-apoz"])
def test_prune_exact(build, table, criterion):
    model = build()
    x, data = rand(3, 8, 8, 3), rand(8, 8, 8, 3, seed=5)
    plan = _planned(model, table, 0.5, criterion, data)
    with Unchanged(model, x):
        pruned = surgeon.prune(model, 0.5, criterion=criterion, data=data)
    assert pruned.output.shape == model.output.shape
    assert pruned.count_params() < model.count_params()
    for producers, _, _ in table.values():
        assert filters(pruned, producers[0]) == filters(model, producers[0]) // 2
    _check_plan(model, pruned, x, table, plan)


def test_prune_exclude_and_round_to():
    model = resnet_model()
    x = rand(2, 8, 8, 3)
    # b1c1 keeps its output channels; the stem group it reads is still pruned
    pruned = surgeon.prune(model, 0.5, exclude=["b1c1"])
    assert [filters(pruned, n) for n in ("stem", "b1c1", "b2c1", "short")] == [4, 8, 6, 6]
    plan = _planned(model, RESNET, 0.5, "l1", skip=["b1c1"])
    _check_plan(model, pruned, x, RESNET, plan)
    pruned = surgeon.prune(model, 0.5, exclude=["b2c1_bn"])  # a follower
    assert [filters(pruned, n) for n in ("stem", "b1c1", "b2c1", "short")] == [4, 4, 12, 6]
    pruned = surgeon.prune(model, 0.5, exclude=[model.get_layer("head")])  # only reads
    assert filters(pruned, "short") == 6 and filters(pruned, "b2c1") == 6
    pruned = surgeon.prune(model, 0.45, round_to=4)  # 8 -> floor(3.6/4)*4 = 0; 12 -> 4
    assert [filters(pruned, n) for n in ("stem", "b1c1", "b2c1", "short")] == [8, 8, 8, 8]
    plan = _planned(model, RESNET, 0.34, "l1", skip=["stem", "b1c1"])  # 4 of 12
    _check_plan(model, pruned, x, RESNET, plan)
    same = surgeon.prune(model, 0.0)
    assert same.count_params() == model.count_params()


def test_prune_bad_arguments():
    model = residual_model()
    for ratio in (1.0, 1.5, -0.1, "0.5"):
        with pytest.raises(ge.GraphEditValueError, match="ratio"):
            surgeon.prune(model, ratio)
    with pytest.raises(ge.GraphEditTypeError, match="round_to"):
        surgeon.prune(model, 0.5, round_to=0)


# ------------------------------------------------------------------------- 7. round trip
def test_pruned_model_trains_saves_and_reloads(tmp_path):
    model = resnet_model()
    pruned = surgeon.prune(model, 0.5)
    data = rand(16, 8, 8, 3, seed=2)
    labels = np.random.default_rng(3).integers(0, 3, size=(16,))
    pruned.compile(optimizer="adam",
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(data, labels, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "pruned.keras"
    pruned.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(predict(reloaded, data[:4]), predict(pruned, data[:4]), **TOL)


def test_surgeon_mixes_channel_and_layer_jobs():
    model = residual_model()
    x = rand(3, 6, 6, 3)
    s = surgeon.Surgeon(model)
    s.add_job("delete_channels", "c1", channels=[1, 4])
    s.add_job("replace_layer", "relu", new_layer=L.Activation("relu", name="act"))
    s.add_job("insert_layer", "c3", new_layer=L.Dropout(0.5, name="ins"))
    s.add_job("insert_layer", "head", new_layer=L.Identity(name="ident"), after=True)
    with Unchanged(model, x):
        pruned = s.operate()
    names = [layer.name for layer in pruned.layers]
    assert "relu" not in names and {"act", "ins", "ident"} <= set(names)
    assert pruned.get_layer("c2").filters == 4
    check(model, pruned, x, {"c3": [1, 4]}, **RES)


def test_surgeon_conflicting_channel_and_layer_jobs():
    model = functional((6,), L.Dense(8, name="p"), L.BatchNormalization(name="bn"),
                       L.Dense(8, name="q"), L.Dense(2, name="r"))
    s = surgeon.Surgeon(model)
    s.add_job("delete_layer", "q")
    with pytest.raises(ge.GraphEditValueError, match="'q'"):
        s.add_job("delete_channels", "q", channels=[1])
    with pytest.raises(ge.GraphEditValueError, match="'q'"):
        s = surgeon.Surgeon(model)
        s.add_job("delete_channels", "q", channels=[1])
        s.add_job("delete_layer", "q")
        s.operate()
    with pytest.raises(ge.GraphEditValueError, match="'bn'"):  # a follower to slice
        s = surgeon.Surgeon(model)
        s.add_job("delete_channels", "p", channels=[1])
        s.add_job("replace_layer", "bn", new_layer=L.BatchNormalization())
        s.operate()


def test_prune_a_surgeon_result_keeps_output_groups():
    """A model the surgeon made (a Sequential, nested in a functional model) is analysed
    from its own graph: the group feeding the model output keeps its channels."""
    keras.utils.set_random_seed(0)
    seq = keras.Sequential([keras.Input((6,)), L.Dense(8, name="a"), L.Dropout(0.1, name="d"),
                            L.Dense(8, name="b"), L.Dense(3, name="c")], name="s")
    edited = surgeon.delete_layer(seq, "d")
    assert surgeon.prune(edited, 0.5).outputs[0].shape == edited.outputs[0].shape
    inp = keras.Input((6,), name="x")
    outer = keras.Model(inp, L.Dense(2, name="o")(edited(inp)))
    pruned = surgeon.prune(outer, 0.5)
    assert pruned.outputs[0].shape == outer.outputs[0].shape
    assert [layer.units for layer in pruned.get_layer("s").layers] == [4, 4, 2]
