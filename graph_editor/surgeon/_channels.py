"""Channel flow analysis: the channel layout of every tensor, coupled groups, and the
weight slices a deletion implies.

One walk over the model (nested containers included, in topological order) gives every
tensor a :mod:`._layout` and records each layer call; a deletion ``{group: channels}`` then
turns into per-layer input/output index sets (:class:`Spec`) for :mod:`._slicing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph_editor.errors import GraphEditValueError
from graph_editor.surgeon import _keras as kx
from graph_editor.surgeon import _layout as lo
from graph_editor.surgeon._index import ModelIndex, is_container

__all__ = ["Flow", "Record", "Spec"]


def _kl():
    import keras

    return keras.layers


@dataclass
class Record:
    """One call of a layer: its role, the layout of the channel input and of its outputs."""

    layer: Any
    role: str  # producer | follower | consumer | reshape | merge | concat | other
    in_layout: tuple | None
    out_layout: tuple | None
    out_tensor: Any = None
    in_axis: int = -1


@dataclass(frozen=True)
class Spec:
    """What a deletion does to one layer: input and output channel indices removed."""

    in_del: tuple = ()
    out_del: tuple = ()
    in_n: int = 0
    out_n: int = 0
    in_axis: int = -1


class Flow:
    """The channel flow of a model (see the module docstring)."""

    def __init__(self, index: ModelIndex) -> None:
        self.index = index
        self.groups = lo.Groups()
        self.layouts: dict[int, tuple] = {}  # id(tensor) -> (layout, axis)
        self.records: list[Record] = []
        self.keys: dict[int, int] = {}  # id(producer layer) -> its group key
        self._read: dict[int, tuple] = {}  # id(layer) -> input layout at its first call
        self._container(index.model)
        for t in index.model.outputs:
            found = self.layouts.get(id(t))
            if found is not None:
                for key, _, _ in found[0]:
                    self.groups.group(key).outputs.append(_src(t))

    # ------------------------------------------------------------------------- walking
    def _container(self, container: Any) -> None:
        for layer, site in _topo_sites(self.index, container):
            if is_container(layer):
                for inner_t, outer_t in zip(layer.inputs, site.inputs):
                    if id(outer_t) in self.layouts:
                        self.layouts[id(inner_t)] = self.layouts[id(outer_t)]
                self._container(layer)
                for outer_t, inner_t in zip(site.outputs, layer.outputs):
                    if id(inner_t) in self.layouts:
                        self.layouts[id(outer_t)] = self.layouts[id(inner_t)]
            else:
                self._layer(layer, site)

    def _get(self, t: Any, axis: int | None = None) -> tuple:
        """(layout, axis) of ``t``; a fixed (unprunable) layout for tensors no producer
        made, on ``axis`` (default last)."""
        found = self.layouts.get(id(t))
        ndim = len(t.shape)
        if axis is None:
            axis = found[1] if found else ndim - 1
        axis %= ndim
        if found is not None and found[1] == axis:
            return found
        if found is not None:
            self.groups.block(found[0], f"'{_src(t)}' is read on axis {axis - ndim} but "
                              f"its channels are on axis {found[1] - ndim}")
        n = t.shape[axis]
        if n is None:
            return (), axis
        key = self.groups.new(n, blocked=f"channels shared with '{_src(t)}', which is not "
                              "a prunable layer")
        return ((key, n, 1),), axis

    def _set(self, t: Any, layout: tuple, axis: int) -> None:
        self.layouts[id(t)] = (layout, axis % len(t.shape))

    def _layer(self, layer: Any, site: Any) -> None:
        ins, outs = site.inputs, site.outputs
        count = len(self.records)
        self._dispatch(layer, ins, outs)
        rec = self.records[-1] if len(self.records) > count else None
        if rec is None or not rec.in_layout:
            return
        first = self._read.setdefault(id(layer), rec.in_layout)
        if first is rec.in_layout:
            return
        # One layer, one set of weights: every call site must lose the same input channels.
        if lo.same_form(first, rec.in_layout):
            for a, b in zip(first, rec.in_layout):
                self.groups.union(a[0], b[0])
        else:
            reason = (f"'{layer.name}' is shared by call sites whose inputs come from "
                      "differently sized groups")
            self.groups.block(first, reason)
            self.groups.block(rec.in_layout, reason)

    def _dispatch(self, layer: Any, ins: list, outs: list) -> None:
        role = _role(layer)
        if role == "producer":
            self._producer(layer, ins, outs)
        elif role in ("follower", "depthwise", "global", "flatten", "reshape"):
            self._follower(layer, role, ins[0], outs[0])
        elif role == "merge" or (role == "concat" and not self._on_channels(layer, ins)):
            self._merge(layer, ins, outs)
        elif role == "concat":
            self._concat(layer, ins, outs[0])
        else:
            self._other(layer, ins, _why_not(layer))

    def _producer(self, layer: Any, ins: list, outs: list) -> None:
        axis = _channel_axis(layer, len(outs[0].shape))
        assert axis is not None, "a producer (conv, dense, ...) always has a channel axis"
        in_layout = None
        if not isinstance(layer, _kl().Embedding):
            in_layout, _ = self._get(ins[0], _channel_axis(layer, len(ins[0].shape)))
            if _kind(layer) == "conv" and getattr(layer, "groups", 1) != 1:
                self.groups.block(in_layout, f"'{layer.name}' is a grouped convolution "
                                  f"(groups={layer.groups})")
        n = outs[0].shape[axis]
        key = self.keys.get(id(layer))
        if key is None:
            key = self.keys[id(layer)] = self.groups.new(n, producer=layer)
            if _kind(layer) == "conv" and getattr(layer, "groups", 1) != 1:
                self.groups.block(((key, n, 1),), f"'{layer.name}' is a grouped convolution")
        out_layout = ((key, n, 1),)
        self._set(outs[0], out_layout, axis)
        for t in outs[1:]:  # recurrent states
            if len(t.shape) and t.shape[-1] == n:
                self._set(t, out_layout, -1)
        self.records.append(Record(layer, "producer", in_layout, out_layout, outs[0]))

    def _follower(self, layer: Any, role: str, x: Any, y: Any) -> None:
        need = None if role == "flatten" else _channel_axis(layer, len(x.shape))
        layout, axis = self._get(x, need)
        out_axis = axis
        out = layout
        if role == "depthwise":
            out = lo.expand(layout, layer.depth_multiplier)
        elif role == "global":
            out_axis = -1 if not getattr(layer, "keepdims", False) else axis
        elif role == "flatten":
            out, out_axis = self._flatten(layer, x, layout, axis), -1
        elif role == "reshape":
            if axis != len(x.shape) - 1 or y.shape[-1] != x.shape[-1]:
                self.groups.block(layout, f"'{layer.name}' (Reshape) moves or splits the "
                                  "channel axis")
                self.records.append(Record(layer, "other", layout, None, y))
                return
            out_axis = -1
        if layout and not out:
            return
        self._set(y, out, out_axis)
        self.records.append(Record(layer, role if role == "reshape" else "follower",
                                   layout, out, y, axis))

    def _flatten(self, layer: Any, x: Any, layout: tuple, axis: int) -> tuple:
        dims = list(x.shape[1:])
        c = axis - 1
        if getattr(layer, "data_format", "channels_last") == "channels_first" and len(dims) > 1:
            dims = dims[1:] + dims[:1]
            c = len(dims) - 1 if c == 0 else c - 1
        if any(d is None for d in dims):
            self.groups.block(layout, f"'{layer.name}' (Flatten) has an unknown input shape")
            return ()
        outer = inner = 1
        for d in dims[:c]:
            outer *= d
        for d in dims[c + 1:]:
            inner *= d
        return lo.tile(layout, outer, inner)

    def _merge(self, layer: Any, ins: list, outs: list) -> None:
        axis = len(outs[0].shape) - 1
        layouts = [self._get(t)[0] for t in ins]
        first = layouts[0]
        for other in layouts[1:]:
            if lo.same_form(first, other):
                for a, b in zip(first, other):
                    self.groups.union(a[0], b[0])
            else:
                for lay in layouts:
                    self.groups.block(lay, f"'{layer.name}' merges tensors whose channels "
                                      "come from differently sized groups")
        axis = self.layouts.get(id(ins[0]), (None, axis))[1]
        self._set(outs[0], first, axis)
        self.records.append(Record(layer, "merge", first, first, outs[0]))

    def _on_channels(self, layer: Any, ins: list) -> bool:
        """A Concatenate along its inputs' channel axis (else it couples them, like Add)."""
        ndim = len(ins[0].shape)
        axes = {self.layouts[id(t)][1] for t in ins if id(t) in self.layouts}
        return not axes or axes == {layer.axis % ndim}

    def _concat(self, layer: Any, ins: list, y: Any) -> None:
        ndim = len(y.shape)
        cat_axis = layer.axis % ndim
        layouts = [self._get(t, cat_axis)[0] for t in ins]
        out = tuple(seg for lay in layouts for seg in lay)
        self._set(y, out, cat_axis)
        self.records.append(Record(layer, "concat", None, out, y))

    def _other(self, layer: Any, ins: list, reason: str) -> None:
        for t in ins:
            found = self.layouts.get(id(t))
            if found is not None:
                self.groups.block(found[0], reason)
        self.records.append(Record(layer, "other", None, None))

    # ------------------------------------------------------------------------- applying
    def specs(self, deleted: dict) -> dict[int, tuple]:
        """``{id(layer): (layer, Spec)}`` for every layer a deletion touches.

        ``deleted`` maps group roots to sorted channel lists. Raises when a layer called at
        several sites would need different slices.
        """
        find = self.groups.find
        out: dict[int, tuple] = {}
        for rec in self.records:
            if rec.role not in ("producer", "follower", "reshape") or _kind(rec.layer) in (
                None, "free"):
                continue
            in_del = tuple(lo.deleted_indices(rec.in_layout, deleted, find)) \
                if rec.in_layout else ()
            out_del = tuple(lo.deleted_indices(rec.out_layout, deleted, find)) \
                if rec.out_layout and rec.role == "producer" else ()
            if not in_del and not out_del and id(rec.layer) not in out:
                continue
            spec = Spec(in_del, out_del, lo.size(rec.in_layout or ()),
                        lo.size(rec.out_layout or ()), rec.in_axis)
            prev = out.get(id(rec.layer))
            if prev is not None and prev[1] != spec:
                raise GraphEditValueError(
                    f"Layer '{rec.layer.name}' is called at several places whose channels "
                    "would be deleted differently; a shared layer keeps one set of weights. "
                    "Delete the same channels at every call site."
                )
            out[id(rec.layer)] = (rec.layer, spec)
        return out


def _src(t: Any) -> str:
    layer = kx.producer(t)
    return getattr(layer, "name", "?")


def _topo_sites(index: ModelIndex, container: Any) -> list:
    """(layer, site) pairs of ``container`` in an order where producers come first."""
    items = [(index.by_id[id(layer)].layer, site) for layer in container.layers
             for site in (index.by_id[id(layer)].sites
                          if index.by_id[id(layer)].container is container else [])]
    made = {id(t): i for i, (_, site) in enumerate(items) for t in site.outputs}
    order, state = [], [0] * len(items)
    for start in range(len(items)):
        stack = [(start, False)]
        while stack:
            i, done = stack.pop()
            if done:
                state[i] = 2
                order.append(items[i])
                continue
            if state[i]:
                continue
            state[i] = 1
            stack.append((i, True))
            for t in items[i][1].inputs:
                j = made.get(id(t))
                if j is not None and not state[j]:
                    stack.append((j, False))
    return order


# ---------------------------------------------------------------------------- layer roles
_FREE = (
    "Activation", "ReLU", "LeakyReLU", "ELU", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "ActivityRegularization", "Identity", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
    "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
)
_GLOBAL = (
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
)
_MERGE = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
_CONV = ("Conv1D", "Conv2D", "Conv3D")
_CONVT = ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
_SEP = ("SeparableConv1D", "SeparableConv2D")
_RNN = ("LSTM", "GRU", "SimpleRNN")


def _is(layer: Any, names: tuple) -> bool:
    kl = _kl()
    return isinstance(layer, tuple(getattr(kl, n) for n in names if hasattr(kl, n)))


def _kind(layer: Any) -> str | None:
    """The slicing rule of a layer: dense, conv, convT, sep, depthwise, embedding, rnn,
    bn, prelu, reshape, free (no weights) or None (unknown)."""
    kl = _kl()
    names: tuple[str, ...]
    for kind, names in (("convT", _CONVT), ("sep", _SEP), ("conv", _CONV), ("rnn", _RNN)):
        if _is(layer, names):
            return kind
    table = (("depthwise", ("DepthwiseConv1D", "DepthwiseConv2D")), ("dense", ("Dense",)),
             ("embedding", ("Embedding",)), ("bn", ("BatchNormalization",)),
             ("prelu", ("PReLU",)), ("reshape", ("Reshape",)))
    for kind, names in table:
        if _is(layer, names):
            return kind
    if _is(layer, _FREE + _GLOBAL + _MERGE + ("Concatenate", "Flatten")):
        return "free"
    if isinstance(layer, kl.Rescaling) and _scalar(layer.scale) and _scalar(layer.offset):
        return "free"
    return None


def _scalar(v: Any) -> bool:
    import numpy as np

    return np.ndim(v) == 0


def _role(layer: Any) -> str:
    kind = _kind(layer)
    if kind in ("dense", "conv", "convT", "sep", "embedding", "rnn"):
        return "producer"
    if kind == "depthwise":
        return "depthwise"
    if kind in ("bn", "prelu"):
        return "follower"
    if kind == "reshape":
        return "reshape"
    if _is(layer, _GLOBAL):
        return "global"
    if _is(layer, ("Flatten",)):
        return "flatten"
    if _is(layer, _MERGE):
        return "merge"
    if _is(layer, ("Concatenate",)):
        return "concat"
    if kind == "free":
        if _mixes_channels(layer):
            return "other"
        return "follower"
    return "other"


def _mixes_channels(layer: Any) -> bool:
    kl = _kl()
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", str(act))
    return isinstance(layer, kl.Activation) and name in ("softmax", "log_softmax")


def _why_not(layer: Any) -> str:
    kl = _kl()
    norm = tuple(getattr(kl, n) for n in ("LayerNormalization", "GroupNormalization",
                                          "UnitNormalization", "RMSNormalization",
                                          "Softmax") if hasattr(kl, n))
    if isinstance(layer, norm) or _mixes_channels(layer):
        return (f"'{layer.name}' ({type(layer).__name__}) normalises across channels, so no "
                "channel can be removed exactly")
    if isinstance(layer, (kl.Permute,)):
        return f"'{layer.name}' (Permute) moves the channel axis"
    return (f"'{layer.name}' ({type(layer).__name__}) is not a layer the channel surgery "
            "knows how to slice")


def _channel_axis(layer: Any, ndim: int) -> int | None:
    """The axis ``layer`` treats as channels, for an input of rank ``ndim``; None for an
    element-wise layer (any axis)."""
    if _kind(layer) == "bn":
        axis = layer.axis
        return (axis[0] if isinstance(axis, (list, tuple)) else axis) % ndim
    fmt = getattr(layer, "data_format", None)
    if fmt is None and _kind(layer) in ("free", "prelu"):
        return None
    if fmt == "channels_first" and ndim > 2:
        return 1
    return ndim - 1
