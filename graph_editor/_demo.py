"""``graph-editor demo``: the classic network surgeries on a small MLP, each checked.

The model is a ``tf.compat.v1`` MLP ``x[?,4] -> 8 (relu) -> 8 (relu) -> 3`` in an explicit
``tf.Graph`` with resource variables initialised from fixed NumPy weights, so every
result can be compared with a NumPy computation. The surgeries:

1. noise insertion: add Gaussian noise to the first hidden layer (``ge.reroute_ts``);
2. cut: split the model in two at a tensor found by ``ge.find_cut_points``, with
   ``ge.strip_unused`` (head: up to the cut tensor; tail: from it, made a placeholder),
   in the model frozen by the library (``ge.strip_unused`` to ``y``, then ``ge.rewrite``
   of each variable read into a constant);
3. clone: copy the second layer with independent variables
   (``ge.copy_with_input_replacements``, i.e. ``ge.copy`` wired to the same input);
4. op replacement: Relu -> Relu6 with ``ge.replace_op_type``;
5. Keras pruning: half the channels of a small residual Keras model (``surgeon.prune``),
   checked against the model with its consumers' input slices zeroed.

Each step prints PASS / FAIL with its numeric check, and before/after pictures are
written (SVG with Graphviz, else ``.dot``), plus ``*_diff.html`` pages (``ge.diff_view``)
that mark the ops each edit added, removed and rewired.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["run_demo"]

_LAYERS = (("layer1", 4, 8, True), ("layer2", 8, 8, True), ("out", 8, 3, False))


class _Model:
    """The demo MLP: graph, named tensors and NumPy weights."""

    def __init__(self) -> None:
        import tensorflow as tf

        rng = np.random.default_rng(7)
        self.weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, n_in, n_out, _ in _LAYERS:
            w = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_out)).astype(np.float32)
            b = rng.normal(0.0, 0.1, (n_out,)).astype(np.float32)
            self.weights[name] = (w, b)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
            h = self.x
            with tf.compat.v1.variable_scope("mlp"):
                for name, _, _, relu in _LAYERS:
                    with tf.compat.v1.variable_scope(name):
                        w, b = self.weights[name]
                        wv = tf.compat.v1.get_variable("w", initializer=w)
                        bv = tf.compat.v1.get_variable("b", initializer=b)
                        h = tf.add(tf.matmul(h, wv), bv, name="preact")
                        if relu:
                            h = tf.nn.relu(h, name="relu")
            self.y = tf.identity(h, name="y")
            self.init = tf.compat.v1.global_variables_initializer()
        self.h1 = self.graph.get_tensor_by_name("mlp/layer1/relu:0")
        self.h2 = self.graph.get_tensor_by_name("mlp/layer2/relu:0")

    def numpy_from(self, layer_index: int, h: np.ndarray, act: Any = None) -> np.ndarray:
        """NumPy forward pass from the input of layer ``layer_index``."""
        act = act or (lambda v: np.maximum(v, 0.0))
        for name, _, _, relu in _LAYERS[layer_index:]:
            w, b = self.weights[name]
            h = h @ w + b
            if relu:
                h = act(h)
        return h

    def run(self, fetches: Any, feed: dict) -> Any:
        import tensorflow as tf

        with tf.compat.v1.Session(graph=self.graph) as sess:
            sess.run(self.init)
            return sess.run(fetches, feed)

    def frozen_graph(self) -> Any:
        """The path x -> y, each variable read replaced by a constant (its initial value).

        ``ge.strip_unused`` keeps what ``y`` needs (no initialisers); ``ge.rewrite`` swaps
        every ``ReadVariableOp`` for a ``Const`` and, with ``prune=True``, drops the
        variable handles left unused.
        """
        import tensorflow as tf

        import graph_editor as ge
        from graph_editor.rewrite import rewrite

        def to_const(m: Any) -> Any:
            _, layer, var = m.root.inputs[0].op.name.split("/")  # the handle: mlp/<layer>/<w|b>
            return tf.constant(self.weights[layer][0 if var == "w" else 1], name=f"{var}_value")

        path = ge.strip_unused(self.graph, [], ["y"])
        reads = ge.OpMatcher(ge.op_type("ReadVariableOp"))
        return rewrite(path, reads, to_const, prune=True).graph


def _run_graph(g: Any, fetch: str, feed: dict) -> np.ndarray:
    import tensorflow as tf

    with tf.compat.v1.Session(graph=g) as sess:
        return sess.run(fetch, feed)


def _maxdiff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(what)


class _Pictures:
    """Writes the before/after pictures: SVG with Graphviz, else DOT."""

    def __init__(self, out: Path) -> None:
        from graph_editor import visualize

        self.out = out
        self.ext = "svg" if visualize.has_graphviz() else "dot"
        self.written: list[Path] = []

    def draw(self, obj: Any, name: str, title: str, **kwargs: Any) -> str:
        from graph_editor import visualize
        from graph_editor.errors import GraphvizNotFoundError

        path = self.out / f"{name}.{self.ext}"
        try:
            visualize.render(obj, path, title=title, **kwargs)
        except GraphvizNotFoundError:  # the graphviz package without the dot program
            self.ext = "dot"
            path = self.out / f"{name}.dot"
            visualize.render(obj, path, title=title, **kwargs)
        self.written.append(path)
        return str(path)

    def diff(self, before: Any, after: Any, name: str, title: str) -> str:
        """A before/after page (``ge.diff_view``): added, removed and rewired ops marked."""
        from graph_editor import viewer

        path = self.out / f"{name}.html"
        viewer.diff_view(before, after, path, title=title, expand="all")
        self.written.append(path)
        return str(path)


# --------------------------------------------------------------------------------------------
# The surgeries
# --------------------------------------------------------------------------------------------


def _noise(pics: _Pictures, x: np.ndarray) -> str:
    import tensorflow as tf

    import graph_editor as ge

    reroute_ts = ge.reroute_ts
    m = _Model()
    before = m.run(m.y, {m.x: x})
    snapshot = m.graph.as_graph_def()  # the edit is in place: keep the graph before it
    with m.graph.as_default(), tf.name_scope("noise"):
        noise = tf.random.normal(tf.shape(m.h1), stddev=0.5, seed=3, name="sample")
        noisy = tf.add(m.h1, noise, name="noisy")
    new_ops = [op for op in m.graph.get_operations() if op.name.startswith("noise/")]
    reroute_ts(noisy, m.h1, cannot_modify=new_ops)
    consumers = [op.name for op in m.h1.consumers()]
    _check(sorted(consumers) == sorted(op.name for op in new_ops if m.h1 in list(op.inputs)),
           f"after the reroute, {m.h1.name} is still read by {consumers}")
    problems = [p for p in ge.validate(m.graph) if p.severity == "error"]
    _check(not problems, f"validate found {problems}")
    y, n, h1 = m.run([m.y, noise, m.h1], {m.x: x})
    expected = m.numpy_from(1, h1 + n)
    err = _maxdiff(y, expected)
    _check(err < 1e-4, f"edited output differs from NumPy by {err:.2e}")
    moved = _maxdiff(y, before)
    _check(moved > 1e-3, "the noise did not change the output")
    y0 = m.run(m.y, {m.x: x, noise: np.zeros_like(n)})
    err0 = _maxdiff(y0, before)
    _check(err0 < 1e-5, f"with zero noise the output differs from the original by {err0:.2e}")
    path = pics.draw(m.graph, "1_noise_after", "after: noise added at mlp/layer1/relu",
                     highlight=new_ops)
    diff = pics.diff(snapshot, m.graph, "1_noise_diff", "noise added at mlp/layer1/relu")
    return (f"max|y - numpy(h1+noise)| = {err:.1e}; output moved by {moved:.2f}; "
            f"zero noise = original ({err0:.0e}); {path}, {diff}")


def _cut(pics: _Pictures, x: np.ndarray) -> str:
    import graph_editor as ge

    m = _Model()
    cut_points = [t.name for t in ge.find_cut_points(m.graph, [m.x], [m.y])]
    cut = m.h1.name
    _check(cut in cut_points, f"{cut} is not among the cut points {cut_points}")
    frozen = m.frozen_graph()
    head = ge.strip_unused(frozen, [], [cut])  # x -> the cut tensor
    tail = ge.strip_unused(frozen, [cut], ["y"])  # the cut tensor, now a placeholder -> y
    head_gd, tail_gd = head.as_graph_def(), tail.as_graph_def()
    mid = _run_graph(head, cut, {"x:0": x})
    y_cut = _run_graph(tail, "y:0", {cut: mid})
    y_ref = m.run(m.y, {m.x: x})
    err = _maxdiff(y_cut, y_ref)
    _check(err < 1e-5, f"tail(head(x)) differs from model(x) by {err:.2e}")
    err_np = _maxdiff(y_cut, m.numpy_from(0, x))
    _check(err_np < 1e-4, f"tail(head(x)) differs from NumPy by {err_np:.2e}")
    _check("x" not in {n.name for n in tail_gd.node}, "the tail still contains the input x")
    p1 = pics.draw(head, "2_cut_head", f"head: x -> {cut}")
    p2 = pics.draw(tail, "2_cut_tail", f"tail: {cut} -> y")
    return (f"cut points {cut_points}; cut at {cut}: head {len(head_gd.node)} ops, tail "
            f"{len(tail_gd.node)} ops; max|tail(head(x)) - model(x)| = {err:.1e}; {p1}, {p2}")


def _clone(pics: _Pictures, x: np.ndarray) -> str:
    import tensorflow as tf

    import graph_editor as ge

    copy = ge.copy_with_input_replacements
    m = _Model()
    snapshot = m.graph.as_graph_def()
    block = ge.sgv_scope("mlp/layer2", graph=m.graph)
    h2_pos = block.output_index(m.h2)
    # Like ge.copy, but the copy reads the original's input h1 instead of a placeholder.
    clone, _ = copy(block, {m.h1: m.h1}, dst_graph=m.graph, dst_scope="clone")
    h2_clone = clone.outputs[h2_pos]
    _check(h2_clone is not m.h2, "the copy returned the original tensor")
    by_name = {op.name: op for op in clone.ops}
    init_ops = [op for op in clone.ops if op.type in ("AssignVariableOp", "Assign")]
    handle = by_name.get("clone/mlp/layer2/w")
    if handle is None:
        raise AssertionError(f"no clone/mlp/layer2/w among the copied ops {sorted(by_name)}")
    with m.graph.as_default():
        zero_w = tf.raw_ops.AssignVariableOp(
            resource=handle.outputs[0], value=tf.zeros([8, 8]), name="zero_clone_w")
    with tf.compat.v1.Session(graph=m.graph) as sess:
        sess.run(m.init)
        sess.run(init_ops)
        h1, h2, h2c = sess.run([m.h1, m.h2, h2_clone], {m.x: x})
        err_same = _maxdiff(h2c, h2)
        _check(err_same < 1e-6, f"the clone computes {err_same:.2e} away from the original")
        sess.run(zero_w)
        h2_after, h2c_after = sess.run([m.h2, h2_clone], {m.x: x})
    b2 = m.weights["layer2"][1]
    err_orig = _maxdiff(h2_after, np.maximum(h1 @ m.weights["layer2"][0] + b2, 0))
    _check(err_orig < 1e-4, "zeroing the clone's weights changed the original layer "
           f"(off by {err_orig:.2e}): the variables are shared, not independent")
    err_clone = _maxdiff(h2c_after, np.broadcast_to(np.maximum(b2, 0), h2c_after.shape))
    _check(err_clone < 1e-6, f"the clone ignores its own zeroed weights ({err_clone:.2e})")
    problems = [p for p in ge.validate(m.graph) if p.severity == "error"]
    _check(not problems, f"validate found {problems}")
    path = pics.draw(m.graph, "3_clone_after", "after: mlp/layer2 cloned into clone/",
                     highlight=list(clone.ops))
    diff = pics.diff(snapshot, m.graph, "3_clone_diff", "mlp/layer2 cloned into clone/")
    return (f"{len(clone.ops)} ops copied; clone == original ({err_same:.0e}); after zeroing "
            f"the clone's w the original is unchanged ({err_orig:.0e}) and the clone gives "
            f"relu(b) ({err_clone:.0e}); {path}, {diff}")


def _relu6(pics: _Pictures, x: np.ndarray) -> str:
    import graph_editor as ge

    m = _Model()
    relus = [op.name for op in ge.filter_ops(m.graph, lambda op: op.type == "Relu")]
    g6 = m.frozen_graph()
    report = ge.replace_op_type(g6, "Relu", "Relu6")
    n_edited = report.matches
    _check(n_edited == len(relus) == 2, f"expected 2 Relu ops, edited {n_edited}")
    g6 = ge.strip_unused(g6, [], ["y"])  # drop the replaced Relu ops
    new_relu6 = [op for op in g6.get_operations() if op.type == "Relu6"]
    _check(len(new_relu6) == 2 and not any(op.type == "Relu" for op in g6.get_operations()),
           "the edited graph lacks the Relu6 ops")
    small, big = x * 0.1, x * 50.0
    y_small = _run_graph(g6, "y:0", {"x:0": small})
    y_big = _run_graph(g6, "y:0", {"x:0": big})
    ref_small = m.run(m.y, {m.x: small})
    ref_big = m.run(m.y, {m.x: big})
    err_small = _maxdiff(y_small, ref_small)
    _check(err_small < 1e-5, f"small inputs: Relu6 model differs by {err_small:.2e}")
    moved = _maxdiff(y_big, ref_big)
    _check(moved > 1e-2, "large inputs: Relu6 changed nothing")
    err6 = _maxdiff(y_big, m.numpy_from(0, big, act=lambda v: np.clip(v, 0.0, 6.0)))
    _check(err6 < 1e-3, f"large inputs: Relu6 model differs from NumPy by {err6:.2e}")
    path = pics.draw(g6, "4_relu6_after", "after: Relu -> Relu6", highlight=new_relu6)
    diff = pics.diff(m.frozen_graph(), g6, "4_relu6_diff", "Relu -> Relu6")
    return (f"{n_edited} Relu -> Relu6; small inputs unchanged ({err_small:.0e}); large "
            f"inputs clipped as NumPy says ({err6:.0e}, moved {moved:.1f}); {path}, {diff}")


def _keras_prune(pics: _Pictures, x: np.ndarray) -> str:
    import keras

    from graph_editor import surgeon

    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="fc1")(inp)
    r = keras.layers.Dense(8, name="fc2")(keras.layers.Dense(8, activation="relu", name="b")(h))
    y = keras.layers.Dense(3, name="head")(keras.layers.Add(name="add")([h, r]))
    model = keras.Model(inp, y, name="residual_mlp")
    groups = surgeon.channel_groups(model)
    coupled = [[p.name for p in g.producers] for g in groups if len(g.producers) > 1]
    _check(coupled == [["fc1", "fc2"]], f"expected the residual group fc1+fc2, got {coupled}")
    pruned = surgeon.prune(model, 0.5, exclude=["b"])  # only the residual group
    gone = [c for c in range(8) if c not in _kept_rows(model, pruned)]
    # Reference: the source with the consumers' input slices for those channels zeroed.
    w = {layer.name: [v.copy() for v in layer.get_weights()] for layer in model.layers}
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    w["b"][0][gone, :] = 0.0
    w["head"][0][gone, :] = 0.0
    h_ref = relu(x @ w["fc1"][0] + w["fc1"][1])
    r_ref = relu(h_ref @ w["b"][0] + w["b"][1]) @ w["fc2"][0] + w["fc2"][1]
    ref = (h_ref + r_ref) @ w["head"][0] + w["head"][1]
    err = _maxdiff(np.asarray(pruned(x)), ref)
    _check(err < 1e-5, f"pruned model differs from the zeroed reference by {err:.2e}")
    _check(pruned.get_layer("fc2").units == 4, "fc2 was not pruned with fc1")
    return (f"groups {[[p.name for p in g.producers] for g in groups]}; params "
            f"{model.count_params()} -> {pruned.count_params()}; channels {gone} of the "
            f"residual group deleted from fc1 and fc2 together; max|pruned - zeroed "
            f"reference| = {err:.1e}")


def _kept_rows(model: Any, pruned: Any) -> list[int]:
    """Which of fc1's 8 channels survived: columns of the source kernel found in the new."""
    old, new = model.get_layer("fc1").kernel.numpy(), pruned.get_layer("fc1").kernel.numpy()
    return [c for c in range(old.shape[1]) if any(np.array_equal(old[:, c], new[:, k])
                                                  for k in range(new.shape[1]))]


_STEPS = (
    ("noise insertion", _noise),
    ("cut in two", _cut),
    ("clone with independent variables", _clone),
    ("op replacement", _relu6),
    ("Keras pruning with a coupled group", _keras_prune),
)


def run_demo(out: Path) -> int:
    """Run the demo, writing pictures into ``out``; return the exit status (0 or 1)."""
    start = time.perf_counter()
    print("graph-editor demo: loading TensorFlow ...", flush=True)
    import graph_editor as ge

    out.mkdir(parents=True, exist_ok=True)
    pics = _Pictures(out)
    model = _Model()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    n_vars = len(model.graph.get_collection("variables"))
    print(f"model: MLP x[?,4] -> 8 -> 8 -> 3, {n_vars} variables, "
          f"{len(model.graph.get_operations())} ops")
    path_ops = ge.get_walks_intersection_ops([model.x], [model.y])
    print("the data path from x to y (ge.summary):")
    print(ge.summary(path_ops))
    problems = ge.validate(model.graph)
    print(f"validate: {problems if problems else 'ok'}")
    print(f"picture: {pics.draw(model.graph, '0_model_before', 'before: the MLP')}")
    if pics.ext == "dot":
        print("Graphviz not found: writing .dot files instead of .svg (to get SVG: "
              "pip install tf-graph-editor[viz] and apt-get install graphviz)")
    counts = {"PASS": 0, "FAIL": 0}
    for i, (title, step) in enumerate(_STEPS, 1):
        print(f"[{i}/{len(_STEPS)}] {title} ...", flush=True)
        t0 = time.perf_counter()
        try:
            detail = step(pics, x)
            status = "PASS"
        except Exception as e:  # noqa: BLE001 - report every failure, go on with the others
            status, detail = "FAIL", f"{type(e).__name__}: {e}"
        counts[status] += 1
        print(f"      {status} ({time.perf_counter() - t0:.1f} s) {detail}", flush=True)
    print(f"pictures ({pics.ext}) in {out}/: {', '.join(p.name for p in pics.written)}")
    print(f"demo summary: {counts['PASS']} of {len(_STEPS)} surgeries passed "
          f"({counts['FAIL']} failed) in {time.perf_counter() - start:.1f} s")
    return 1 if counts["FAIL"] else 0
