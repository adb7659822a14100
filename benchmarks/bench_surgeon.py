"""Benchmark: Keras layer surgery and pruning on keras.applications models.

Models are built with ``weights=None`` at 96x96 with non-trivial BatchNormalization
statistics. The floor is Keras' own rebuild of the same model with its layers shared,
``keras.models.clone_model(model, clone_function=lambda layer: layer)``; ``clone copy`` is
``clone_model`` with new layers plus ``set_weights`` (what a copy costs through Keras).

Targets (seconds, this 2-core machine):

- MobileNetV2: one delete_layer / insert_layer / replace_layer <= 0.15 s; a Surgeon with 10
  jobs <= 0.3 s; one delete_channels incl. the group analysis <= 0.3 s; channel_groups
  <= 0.5 s; prune(model, 0.5) <= 1.5 s.
- ResNet50: channel_groups <= 1 s; prune(model, 0.5) <= 3 s.

Layer edits are timed with ``copy=False`` (the result shares untouched layers) and
``copy=True`` (every layer new); the targets apply to the faster path, and the table shows
both. Every pruned model is checked against the source with the consumers' input slices
zeroed (the exactness rule of docs/surgeon.md); DenseNet121 and EfficientNetB0 are pruned
too and their parameter counts printed.

Run: ``.venv/bin/python benchmarks/bench_surgeon.py [MobileNetV2 ResNet50 ...]``.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _harness import median_time  # noqa: E402

from graph_editor import surgeon  # noqa: E402
from graph_editor.surgeon._channels import Flow  # noqa: E402
from graph_editor.surgeon._index import ModelIndex  # noqa: E402
from graph_editor.surgeon.channels import _prunable  # noqa: E402
from graph_editor.surgeon.pruning import _score  # noqa: E402

TARGETS = {
    "MobileNetV2": {"edit": 0.15, "surgeon10": 0.3, "delete_channels": 0.3,
                    "channel_groups": 0.5, "prune": 1.5},
    "ResNet50": {"channel_groups": 1.0, "prune": 3.0},
}
DEFAULT = ("MobileNetV2", "ResNet50", "EfficientNetB0", "DenseNet121")


def build(name: str):
    model = getattr(keras.applications, name)(weights=None, input_shape=(96, 96, 3))
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            values = []
            for i, w in enumerate(layer.get_weights()):
                if i in (0, 3):  # gamma, moving_variance
                    values.append(rng.uniform(0.5, 1.5, w.shape).astype("float32"))
                else:
                    values.append((0.1 * rng.normal(size=w.shape)).astype("float32"))
            layer.set_weights(values)
    return model


def zeroed_reference(model, deleted: dict, flow: Flow):
    """The source with every consumer's input slices for ``deleted`` set to zero."""
    ref = keras.models.clone_model(model)
    ref.set_weights(model.get_weights())
    for layer, spec in flow.specs(deleted).values():
        if not spec.in_del or not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            continue
        target = ref.get_layer(layer.name)
        weights = target.get_weights()
        weights[0][..., list(spec.in_del), :] = 0
        target.set_weights(weights)
    return ref


def prune_plan(model, ratio: float) -> tuple[Flow, dict]:
    """What ``prune(model, ratio)`` deletes, recomputed here for the reference."""
    flow = Flow(ModelIndex(model))
    deleted = {}
    for group in _prunable(flow):
        if group._outputs:
            continue
        k = min(int(ratio * group.num_channels), group.num_channels - 1)
        if k > 0:
            scores = _score(flow, group, model, "l1", None)
            deleted[group._root] = sorted(int(c) for c in np.argsort(scores, kind="stable")[:k])
    return flow, deleted


def max_error(a, b, x) -> float:
    ya, yb = np.asarray(a(x, training=False)), np.asarray(b(x, training=False))
    return float(np.abs(ya - yb).max() / max(np.abs(yb).max(), 1e-12))


def ten_jobs(model, copy: bool):
    s = surgeon.Surgeon(model, copy=copy)
    for i in (13, 14, 15, 16):
        s.add_job("delete_layer", f"block_{i}_project_BN")
    for i in (1, 2, 3):
        s.add_job("insert_layer", f"block_{i}_project", new_layer=keras.layers.Identity(),
                  after=True)
    for i in (4, 5, 6):
        s.add_job("replace_layer", f"block_{i}_expand_relu", new_layer=keras.layers.ReLU(6.0))
    return s.operate()


def rows_for(name: str, model) -> list[tuple[str, float, float | None]]:
    rows = []
    big = "Conv_1" if name == "MobileNetV2" else None
    edits = {
        "MobileNetV2": ("block_16_project_BN", "Conv_1", "out_relu"),
        "ResNet50": ("conv5_block3_3_bn", "conv5_block3_3_conv", "conv5_block3_out"),
    }.get(name)
    t = TARGETS.get(name, {})
    if edits:
        bn, conv, act = edits
        for copy in (False, True):
            tag = "" if copy else " (copy=False)"
            target = None if copy else t.get("edit")
            rows.append((f"delete_layer{tag}", median_time(
                lambda c=copy: surgeon.delete_layer(model, bn, copy=c), 3), target))
            rows.append((f"insert_layer{tag}", median_time(
                lambda c=copy: surgeon.insert_layer(model, conv, keras.layers.Identity(),
                                                    after=True, copy=c), 3), target))
            rows.append((f"replace_layer{tag}", median_time(
                lambda c=copy: surgeon.replace_layer(model, act, keras.layers.ReLU(),
                                                     copy=c), 3), target))
    if name == "MobileNetV2":
        rows.append(("Surgeon, 10 jobs (copy=False)", median_time(
            lambda: ten_jobs(model, False), 3), t.get("surgeon10")))
        rows.append(("Surgeon, 10 jobs", median_time(lambda: ten_jobs(model, True), 3), None))
    rows.append(("channel_groups", median_time(lambda: surgeon.channel_groups(model), 3),
                 t.get("channel_groups")))
    if big:
        rows.append(("delete_channels(Conv_1, 128) (copy=False)", median_time(
            lambda: surgeon.delete_channels(model, big, range(128), copy=False), 3),
            t.get("delete_channels")))
        rows.append(("delete_channels(Conv_1, 128)", median_time(
            lambda: surgeon.delete_channels(model, big, range(128)), 3), None))
    rows.append(("prune(0.5) (copy=False)", median_time(
        lambda: surgeon.prune(model, 0.5, copy=False), 3), t.get("prune")))
    rows.append(("prune(0.5)", median_time(lambda: surgeon.prune(model, 0.5), 3), None))
    return rows


def main() -> int:
    names = [a for a in sys.argv[1:] if hasattr(keras.applications, a)] or list(DEFAULT)
    ok_all = True
    x = np.random.default_rng(0).random((2, 96, 96, 3)).astype("float32")
    for name in names:
        model = build(name)
        floor = median_time(lambda m=model: keras.models.clone_model(
            m, clone_function=lambda layer: layer), 3)
        copy_floor = median_time(lambda m=model: keras.models.clone_model(m).set_weights(
            m.get_weights()), 1)
        print(f"\n== {name}: {len(model.layers)} layers, {model.count_params():,} params; "
              f"floor (clone_model, shared layers) {floor:.3f} s, clone copy "
              f"{copy_floor:.3f} s")
        print(f"{'operation':<44}{'median s':>10}{'x floor':>9}{'target s':>10}  ok")
        for op, secs, target in rows_for(name, model):
            ok = target is None or secs <= target
            ok_all &= ok
            tgt = f"<= {target:g}" if target is not None else "-"
            print(f"{op:<44}{secs:>10.3f}{secs / floor:>9.1f}{tgt:>10}  {'yes' if ok else 'NO'}")
        flow, deleted = prune_plan(model, 0.5)
        pruned = surgeon.prune(model, 0.5)
        err = max_error(pruned, zeroed_reference(model, deleted, flow), x)
        exact = err <= 1e-5
        ok_all &= exact
        print(f"prune(0.5): params {model.count_params():,} -> {pruned.count_params():,}, "
              f"{len(deleted)} groups pruned; max error vs zeroed reference {err:.1e} "
              f"({'exact' if exact else 'NOT EXACT'})")
    print("\nall targets met" if ok_all else "\nsome targets NOT met")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
