"""Channel importance and whole-model pruning, on top of :mod:`.channels`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graph_editor import util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError
from graph_editor.surgeon._channels import Flow, _kind
from graph_editor.surgeon._index import ModelIndex, check_model
from graph_editor.surgeon.channels import ChannelGroup, _group_of, _prunable, target_deletion

__all__ = ["importance", "prune", "CRITERIA"]

CRITERIA = ("l1", "l2", "bn_scale", "apoz")


def _out_slices(layer: Any) -> np.ndarray:
    """The weights of each output channel of a producer, as rows ``(channels, -1)``."""
    w = {v.name: v.numpy() for v in layer.weights}
    kind = _kind(layer)
    if kind == "dense":
        return w["kernel"].T
    if kind == "conv":
        k = w["kernel"]
        return np.moveaxis(k, -1, 0).reshape(k.shape[-1], -1)
    if kind == "convT":
        k = w["kernel"]
        return np.moveaxis(k, -2, 0).reshape(k.shape[-2], -1)
    if kind == "sep":
        k = w["pointwise_kernel"]
        return np.moveaxis(k, -1, 0).reshape(k.shape[-1], -1)
    if kind == "embedding":
        return w["embeddings"].T
    if kind == "rnn":
        u = layer.units
        blocks = [w["kernel"], w["recurrent_kernel"]]
        cols = [b.reshape(b.shape[0], -1, u) for b in blocks]  # (rows, gates, units)
        return np.concatenate([np.moveaxis(c, -1, 0).reshape(u, -1) for c in cols], axis=1)
    raise GraphEditValueError(f"'{layer.name}' has no output-channel weights to score.")


def _magnitude(group: ChannelGroup, p: int) -> np.ndarray:
    total = np.zeros(group.num_channels)
    for layer in group.producers:
        rows = np.abs(_out_slices(layer).astype(np.float64))
        total += rows.sum(axis=1) if p == 1 else np.sqrt((rows**2).sum(axis=1))
    return total


def _bn_scale(group: ChannelGroup) -> np.ndarray:
    bns = [f for f in group.followers if _kind(f) == "bn" and f.scale
           and f.gamma.shape[0] == group.num_channels]
    if not bns:
        raise GraphEditValueError(
            f"Criterion 'bn_scale' needs a BatchNormalization (with scale=True) after "
            f"{[p.name for p in group.producers]}; there is none. Use 'l1' or 'l2'."
        )
    return sum(np.abs(bn.gamma.numpy().astype(np.float64)) for bn in bns)


def _activation_tensor(flow: Flow, group: ChannelGroup, model: Any) -> Any:
    """The first post-activation tensor of the group that a model output can be cut at."""
    keras = __import__("keras")
    producers = {id(p) for p in group.producers}
    top = {id(layer) for layer in model.layers}
    for rec in flow.records:
        layout = rec.out_layout or ()
        keys = {flow.groups.find(k) for k, _, _ in layout}
        if group._root not in keys or len(layout) != 1 or layout[0][2] != 1:
            continue
        if id(rec.layer) not in top or rec.out_tensor is None:
            continue
        act = getattr(rec.layer, "activation", None)
        relu_like = isinstance(rec.layer, (keras.layers.ReLU, keras.layers.Activation))
        own = id(rec.layer) in producers and getattr(act, "__name__", "") in ("relu", "relu6")
        if (relu_like and rec.role == "follower") or own:
            if isinstance(rec.layer, keras.layers.Activation) and getattr(
                    act, "__name__", "") not in ("relu", "relu6"):
                continue
            return rec.out_tensor
    raise GraphEditValueError(
        f"Criterion 'apoz' needs a ReLU after {[p.name for p in group.producers]} (in the "
        "top-level model) to count zeros on; there is none, so APoZ would measure another "
        "layer's channels. Use 'l1', 'l2' or 'bn_scale'."
    )


def _apoz(flow: Flow, group: ChannelGroup, model: Any, data: Any) -> np.ndarray:
    keras = __import__("keras")
    if data is None:
        raise GraphEditValueError("Criterion 'apoz' needs data=<a batch of model inputs>.")
    t = _activation_tensor(flow, group, model)
    probe = keras.Model(model.inputs, t)
    acts = np.asarray(probe.predict(data, verbose=0))
    axis = flow.layouts[id(t)][1]
    acts = np.moveaxis(acts, axis, -1).reshape(-1, acts.shape[axis])
    return (acts == 0).mean(axis=0)


def _score(flow: Flow, group: ChannelGroup, model: Any, criterion: str, data: Any) -> np.ndarray:
    if criterion == "l1":
        return _magnitude(group, 1)
    if criterion == "l2":
        return _magnitude(group, 2)
    if criterion == "bn_scale":
        return _bn_scale(group)
    # APoZ: a high share of zeros means an unimportant channel; lower scores prune first.
    return 1.0 - _apoz(flow, group, model, data)


def _check_criterion(criterion: Any) -> str:
    if criterion not in CRITERIA:
        raise GraphEditValueError(
            f"Unknown importance criterion {criterion!r}; expected one of {list(CRITERIA)}."
        )
    return criterion


def importance(model: Any, layer: Any, criterion: str = "l1", data: Any = None) -> np.ndarray:
    """One importance score per channel of ``layer``'s channel group (higher = keep).

    Criteria: ``"l1"`` / ``"l2"``: norms of each producer's output-channel weights, summed
    over the group; ``"bn_scale"``: ``|gamma|`` of the BatchNormalizations after the
    producers; ``"apoz"``: the *average percentage of zeros* of the post-ReLU tensor over
    ``data``, returned as ``1 - APoZ`` so that, as for the others, low scores go first.

    Args:
        model: a built Sequential or functional Keras 3 model.
        layer: a producer of the group (object, name or path).
        criterion: ``"l1"``, ``"l2"``, ``"bn_scale"`` or ``"apoz"``.
        data: model inputs for ``"apoz"``.

    Returns:
        ``np.ndarray`` of shape ``(num_channels,)``.

    Example:
        >>> x = keras.Input((8, 8, 3))
        >>> h = keras.layers.Conv2D(8, 3, padding="same", name="conv1")(x)
        >>> y = keras.layers.Add()([keras.layers.Conv2D(4, 3, padding="same", name="conv2")(h),
        ...                         keras.layers.Conv2D(4, 1, name="shortcut")(x)])
        >>> model = keras.Model(x, y)
        >>> scores = importance(model, "conv1", "l1")
        >>> weakest = np.argsort(scores)[:4]
        >>> scores.shape
        (8,)
    """
    check_model(model, "importance")
    criterion = _check_criterion(criterion)
    index = ModelIndex(model)
    info = index.resolve(layer)
    flow = Flow(index)
    roots = list(target_deletion(flow, info.layer, [0]))
    recs = [r for r in flow.records if r.layer is info.layer and r.out_layout]
    if len({flow.groups.find(k) for k, _, _ in recs[0].out_layout or ()}) > 1:
        raise GraphEditValueError(
            f"The channels of '{info.path}' come from several groups (a concatenation); "
            "score each producer instead."
        )
    group = _group_of(flow, roots[0])
    if flow.groups.group(roots[0]).blocked:
        raise GraphEditValueError(
            f"'{info.path}' is in a group that cannot be pruned exactly: "
            f"{'; '.join(flow.groups.group(roots[0]).blocked[:3])}."
        )
    return _score(flow, group, model, criterion, data)


def prune(model: Any, ratio: float, *, criterion: str = "l1", data: Any = None,
          exclude: Any = (), round_to: int = 1, copy: bool = True) -> Any:
    """Delete the ``ratio`` least important channels of every prunable group, in one pass.

    Groups whose channels reach a model output keep them (output shapes never change), and
    so do the groups whose channels a layer in ``exclude`` outputs (as a producer or a
    per-channel follower; a layer that only reads a group does not hold it back). Each
    group keeps at least one channel; the number deleted is rounded down to a multiple of
    ``round_to``.

    Args:
        model: a built Sequential or functional Keras 3 model.
        ratio: the share of channels to delete in each group, in ``[0, 1)``.
        criterion: see :func:`importance`.
        data: model inputs for ``"apoz"``.
        exclude: layers (objects, names or paths) whose output channels are kept.
        round_to: delete a multiple of this many channels per group.
        copy: as in ``delete_channels``.

    Returns:
        A new, smaller Keras model.

    Example:
        >>> x = keras.Input((8, 8, 3))
        >>> h = keras.layers.Conv2D(8, 3, padding="same", name="conv1")(x)
        >>> y = keras.layers.Add()([keras.layers.Conv2D(4, 3, padding="same", name="conv2")(h),
        ...                         keras.layers.Conv2D(4, 1, name="shortcut")(x)])
        >>> model = keras.Model(x, y)
        >>> small = prune(model, 0.5, criterion="l1")
        >>> small.get_layer("conv1").filters
        4
    """
    from graph_editor.surgeon.surgeon import Surgeon

    check_model(model, "prune")
    criterion = _check_criterion(criterion)
    if not isinstance(ratio, (int, float)) or not 0 <= ratio < 1:
        raise GraphEditValueError(f"ratio must be a number in [0, 1), got {ratio!r}.")
    if not isinstance(round_to, int) or round_to < 1:
        raise GraphEditTypeError(f"round_to must be a positive int, got "
                                 f"{util._describe(round_to)}.")
    surgeon = Surgeon(model, copy=copy)
    index = surgeon._index
    skip = {id(index.resolve(e).layer) for e in _as_list(exclude)}
    flow = surgeon._flow = Flow(index)
    for group in _prunable(flow):
        members = group.producers + group.followers
        if group._outputs or any(id(m) in skip for m in members):
            continue
        n = group.num_channels
        k = int(math.floor(ratio * n / round_to)) * round_to
        k = min(k, n - 1)
        if k <= 0:
            continue
        scores = _score(flow, group, model, criterion, data)
        gone = np.argsort(scores, kind="stable")[:k]
        surgeon._deleted[group._root] = {int(c) for c in gone}
    return surgeon.operate()


def _as_list(items: Any) -> list:
    if items is None:
        return []
    if isinstance(items, (list, tuple, set)):
        return list(items)
    return [items]
