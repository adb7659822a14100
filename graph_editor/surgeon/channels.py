"""Structured pruning on Keras 3: delete channels, with coupled groups found automatically.

A *channel group* is a set of producer layers (Dense, ConvND, ConvNDTranspose,
SeparableConv, Embedding, LSTM/GRU/SimpleRNN) whose output channels must be deleted
together because they meet in an element-wise merge (``Add``, ``Multiply``...), with the
per-channel layers after them (*followers*: BatchNormalization, PReLU, depthwise
convolutions, activations, dropout, pooling, padding...) and the channel-mixing layers that
read them (*consumers*, whose input slices go).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph_editor import util
from graph_editor.errors import ChannelGroupError, GraphEditTypeError, GraphEditValueError
from graph_editor.surgeon._channels import Flow
from graph_editor.surgeon._index import ModelIndex, check_model

__all__ = ["ChannelGroup", "channel_groups", "delete_channels"]

log = logging.getLogger("graph_editor.surgeon")


@dataclass
class ChannelGroup:
    """A prunable set of coupled channels.

    Attributes:
        producers: the layers whose output channels are deleted together.
        followers: per-channel layers sliced along (BatchNormalization, activations...).
        consumers: the first channel-mixing layers, whose input slices are removed.
        num_channels: the number of channels of the group.
    """

    producers: list
    followers: list
    consumers: list
    num_channels: int
    _root: int = -1
    _outputs: tuple = ()

    def __repr__(self) -> str:
        names = lambda layers: [layer.name for layer in layers]  # noqa: E731
        return (f"ChannelGroup(producers={names(self.producers)}, num_channels="
                f"{self.num_channels}, followers={names(self.followers)}, "
                f"consumers={names(self.consumers)})")


def _group_of(flow: Flow, root: int) -> ChannelGroup:
    g = flow.groups.group(root)
    followers, consumers, seen_f, seen_c = [], [], set(), set()
    for rec in flow.records:
        keys = {flow.groups.find(k) for k, _, _ in (rec.in_layout or ())}
        if root not in keys:
            continue
        if rec.role in ("follower", "reshape") and id(rec.layer) not in seen_f:
            seen_f.add(id(rec.layer))
            followers.append(rec.layer)
        elif rec.role == "producer" and id(rec.layer) not in seen_c:
            seen_c.add(id(rec.layer))
            consumers.append(rec.layer)
    return ChannelGroup(list(g.producers), followers, consumers, g.n, root, tuple(g.outputs))


def channel_groups(model: Any) -> list[ChannelGroup]:
    """Every prunable channel group of ``model``, in model order.

    Groups that cannot be pruned exactly (they reach a layer that mixes channels, a
    Reshape that moves the channel axis, a model input through a merge...) are left out.

    Args:
        model: a built Sequential or functional Keras 3 model.

    Returns:
        The groups, each with ``producers``, ``followers``, ``consumers``, ``num_channels``.

    Example:
        >>> x = keras.Input((8, 8, 3))
        >>> h = keras.layers.Conv2D(8, 3, padding="same", name="conv1")(x)
        >>> y = keras.layers.Add()([keras.layers.Conv2D(4, 3, padding="same", name="conv2")(h),
        ...                         keras.layers.Conv2D(4, 1, name="shortcut")(x)])
        >>> model = keras.Model(x, y)
        >>> [[p.name for p in g.producers] for g in channel_groups(model)]
        [['conv1'], ['conv2', 'shortcut']]
    """
    check_model(model, "channel_groups")
    flow = Flow(ModelIndex(model))
    return _prunable(flow)


def _prunable(flow: Flow) -> list[ChannelGroup]:
    roots: list[int] = []
    seen: set[int] = set()
    for rec in flow.records:
        if rec.role != "producer":
            continue
        root = flow.groups.find(flow.keys[id(rec.layer)])
        if root in seen:
            continue
        seen.add(root)
        g = flow.groups.group(root)
        if not g.blocked and g.n > 1:
            roots.append(root)
    return [_group_of(flow, r) for r in roots]


def _channels_arg(channels: Any, n: int, layer_name: str) -> list[int]:
    try:
        array = np.asarray(list(channels) if isinstance(channels, range) else channels)
    except (TypeError, ValueError):
        array = np.asarray([None])
    if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind == "f"):
        raise GraphEditTypeError(
            f"channels must be a list of integer indices, got {util._describe(channels)}."
        )
    items = [int(c) for c in array.reshape(-1)]
    out = set()
    for c in items:
        if not -n <= c < n:
            raise GraphEditValueError(
                f"Channel {c} is out of range for '{layer_name}', which has {n} channels "
                f"(valid: {-n}..{n - 1})."
            )
        out.add(c % n)
    if not out:
        raise GraphEditValueError(f"No channels given to delete from '{layer_name}'.")
    return sorted(out)


def target_deletion(flow: Flow, layer: Any, channels: Any) -> dict[int, set]:
    """``{group root: channels}`` that deleting ``channels`` of ``layer``'s output means."""
    recs = [r for r in flow.records if r.layer is layer and r.out_layout]
    if not recs:
        raise GraphEditValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) does not produce channels the "
            "channel surgery can follow. Target a layer that makes channels: Dense, ConvND, "
            "ConvNDTranspose, SeparableConv, DepthwiseConv, Embedding, LSTM, GRU, SimpleRNN "
            "(or a per-channel layer after one)."
        )
    layout: tuple = recs[0].out_layout or ()  # non-empty: recs keep records with a layout
    n = sum(k * m for _, k, m in layout)
    roots = [flow.groups.find(key) for key, _, _ in layout]
    if len(set(roots)) < len(roots):
        raise GraphEditValueError(
            f"The output of '{layer.name}' ({type(layer).__name__}) repeats channels of the "
            "layers before it (after a Flatten, or a tensor concatenated with itself): one "
            "of its features is not one channel. Delete channels of the producer before it."
        )
    wanted = set(_channels_arg(channels, n, layer.name))
    if len(wanted) >= n:
        raise GraphEditValueError(
            f"Deleting all {n} channels of '{layer.name}' would leave a zero-width tensor. "
            "Keep at least one channel (or delete the layer's branch with delete_layer)."
        )
    deletion: dict[int, set] = {}
    offset = 0
    for key, k, mult in layout:
        for c in range(k):
            block = set(range(offset + c * mult, offset + (c + 1) * mult))
            hit = block & wanted
            if hit and hit != block:
                raise GraphEditValueError(
                    f"Channels {sorted(block)} of '{layer.name}' come from one channel of the "
                    f"layer before it (depth multiplier {mult}); delete all {mult} of them "
                    "or none."
                )
            if hit:
                deletion.setdefault(flow.groups.find(key), set()).add(c)
        offset += k * mult
    return deletion


def check_deletion(flow: Flow, deletion: dict, layer: Any, expand: bool) -> None:
    """Refuse blocked groups, whole-group deletions, and (``expand=False``) coupling."""
    for root, gone in deletion.items():
        g = flow.groups.group(root)
        if g.blocked:
            raise GraphEditValueError(
                f"Channels of '{layer.name}' cannot be deleted exactly: "
                f"{'; '.join(g.blocked[:3])}."
            )
        if not g.producers:
            raise GraphEditValueError(
                f"The channels of '{layer.name}' come from no prunable layer."
            )
        if len(gone) >= g.n:
            raise GraphEditValueError(
                f"Deleting all {g.n} channels of group {[p.name for p in g.producers]} would "
                "leave a zero-width tensor; keep at least one channel."
            )
        names = [p.name for p in g.producers]
        if len(names) > 1 and not expand:
            raise ChannelGroupError(
                f"'{layer.name}' is in a coupled channel group with {names}: their outputs "
                "meet in an element-wise merge, so all of them must lose the same channels. "
                "Pass expand=True to delete from the whole group.", names)
        if len(names) > 1:
            others = [n for n in names if n != layer.name]
            log.info("delete_channels(%s): expanded to the coupled group %s", layer.name,
                     others)


def delete_channels(model: Any, layer: Any, channels: Any, *, expand: bool = True,
                    copy: bool = True) -> Any:
    """A copy of ``model`` with output channels ``channels`` of ``layer`` deleted.

    Everything that reads them is adjusted: per-channel followers are sliced, consumers
    lose the matching input slices (through Flatten, global pooling, Concatenate...), and
    coupled producers (meeting ``layer`` in an Add/Multiply/...) lose the same channels.

    Args:
        model: a built Sequential or functional Keras 3 model.
        layer: the layer (object, name or ``"inner/layer"`` path).
        channels: indices of output channels (negative ones count from the end).
        expand: True: delete from the whole coupled group (logged on the
            ``graph_editor.surgeon`` logger); False: raise ``ChannelGroupError`` instead.
        copy: True: the result's layers are all new objects; False: untouched layers are
            shared with ``model`` (sliced layers are always new).

    Returns:
        A new Keras model; the source is unchanged.

    Raises:
        ChannelGroupError: ``expand=False`` and ``layer`` is coupled to other producers.
        GraphEditValueError: the channels cannot be deleted exactly (a layer that mixes
            channels, a Reshape moving the channel axis, a grouped convolution...), all
            channels would go, or an index is out of range.

    Example:
        >>> x = keras.Input((8, 8, 3))
        >>> h = keras.layers.Conv2D(8, 3, padding="same", name="conv1")(x)
        >>> y = keras.layers.Add()([keras.layers.Conv2D(4, 3, padding="same", name="conv2")(h),
        ...                         keras.layers.Conv2D(4, 1, name="shortcut")(x)])
        >>> model = keras.Model(x, y)
        >>> pruned = delete_channels(model, "conv1", [0, 3])
        >>> pruned.get_layer("conv1").filters, tuple(pruned.get_layer("conv2").kernel.shape)
        (6, (3, 3, 6, 4))
    """
    from graph_editor.surgeon.surgeon import Surgeon

    surgeon = Surgeon(model, copy=copy)
    surgeon.add_job("delete_channels", layer, channels=channels, expand=expand)
    return surgeon.operate()
