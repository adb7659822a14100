"""Slice one layer's config and weights for a channel deletion (:class:`._channels.Spec`).

Keras weight layouts (Keras 3): Dense ``kernel (in, units)``; ConvND ``kernel (k..., in,
filters)``; ConvNDTranspose ``kernel (k..., filters, in)``; SeparableConv
``depthwise_kernel (k..., in, m)``, ``pointwise_kernel (1..., in*m, filters)``;
DepthwiseConv ``kernel (k..., in, m)``, ``bias (in*m)``; Embedding ``embeddings (vocab,
dim)``; LSTM/GRU/SimpleRNN ``kernel (in, g*u)``, ``recurrent_kernel (u, g*u)``, ``bias (g*u)``
(GRU with ``reset_after``: ``(2, 3u)``); BatchNormalization 1-D parameters; PReLU ``alpha``
shaped like the input without the batch axis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graph_editor.errors import GraphEditValueError
from graph_editor.surgeon._channels import Spec, _kind

__all__ = ["sliced_layer"]

_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def _keep(n: int, deleted: tuple) -> np.ndarray:
    mask = np.ones(n, bool)
    mask[list(deleted)] = False
    return np.flatnonzero(mask)


def sliced_layer(layer: Any, spec: Spec) -> tuple[Any, list]:
    """A new layer like ``layer`` with ``spec``'s channels removed, and its weights."""
    kind = _kind(layer)
    config = layer.get_config()
    weights = {w.name: w.numpy() for w in layer.weights}
    names = [w.name for w in layer.weights]
    k_in = _keep(spec.in_n, spec.in_del) if spec.in_del else None
    k_out = _keep(spec.out_n, spec.out_del) if spec.out_del else None
    if kind == "reshape":
        target = list(config["target_shape"])
        target[-1] = target[-1] - len(spec.in_del)
        config["target_shape"] = tuple(target)
    else:
        assert kind is not None, "the flow gives specs only to layers with a slicing rule"
        rule = _RULES[kind]
        if kind == "prelu":
            rule(layer, config, weights, k_in, k_out, axis=spec.in_axis)
        else:
            rule(layer, config, weights, k_in, k_out)
    new = type(layer).from_config(config)
    return new, [weights[n] for n in names]


def _dense(layer, config, w, k_in, k_out):
    if k_in is not None:
        w["kernel"] = w["kernel"][k_in, :]
    if k_out is not None:
        w["kernel"] = w["kernel"][:, k_out]
        if "bias" in w:
            w["bias"] = w["bias"][k_out]
        config["units"] = len(k_out)


def _conv(layer, config, w, k_in, k_out):
    if k_in is not None:
        w["kernel"] = w["kernel"][..., k_in, :]
    if k_out is not None:
        w["kernel"] = w["kernel"][..., k_out]
        if "bias" in w:
            w["bias"] = w["bias"][k_out]
        config["filters"] = len(k_out)


def _conv_t(layer, config, w, k_in, k_out):
    if k_in is not None:
        w["kernel"] = w["kernel"][..., k_in]
    if k_out is not None:
        w["kernel"] = w["kernel"][..., k_out, :]
        if "bias" in w:
            w["bias"] = w["bias"][k_out]
        config["filters"] = len(k_out)


def _sep(layer, config, w, k_in, k_out):
    if k_in is not None:
        m = layer.depth_multiplier
        w["depthwise_kernel"] = w["depthwise_kernel"][..., k_in, :]
        rows = (k_in[:, None] * m + np.arange(m)[None, :]).ravel()
        w["pointwise_kernel"] = w["pointwise_kernel"][..., rows, :]
    if k_out is not None:
        w["pointwise_kernel"] = w["pointwise_kernel"][..., k_out]
        if "bias" in w:
            w["bias"] = w["bias"][k_out]
        config["filters"] = len(k_out)


def _depthwise(layer, config, w, k_in, k_out):
    if k_in is not None:
        m = layer.depth_multiplier
        w["kernel"] = w["kernel"][..., k_in, :]
        if "bias" in w:
            w["bias"] = w["bias"][(k_in[:, None] * m + np.arange(m)[None, :]).ravel()]


def _embedding(layer, config, w, k_in, k_out):
    if k_out is not None:
        w["embeddings"] = w["embeddings"][:, k_out]
        config["output_dim"] = len(k_out)


def _rnn(layer, config, w, k_in, k_out):
    if k_in is not None:
        w["kernel"] = w["kernel"][k_in, :]
    if k_out is not None:
        units = layer.units
        gates = _GATES[_rnn_name(layer)]
        cols = (np.arange(gates)[:, None] * units + k_out[None, :]).ravel()
        w["kernel"] = w["kernel"][:, cols]
        w["recurrent_kernel"] = w["recurrent_kernel"][k_out, :][:, cols]
        if "bias" in w:
            w["bias"] = w["bias"][..., cols]
        config["units"] = len(k_out)


def _rnn_name(layer: Any) -> str:
    import keras

    for name in _GATES:
        if isinstance(layer, getattr(keras.layers, name)):
            return name
    raise GraphEditValueError(f"'{layer.name}': unknown recurrent layer type.")


def _bn(layer, config, w, k_in, k_out):
    if k_in is not None:
        for name, value in w.items():
            w[name] = value[k_in]


def _prelu(layer, config, w, k_in, k_out, axis=None):
    if k_in is None:
        return
    alpha = w["alpha"]
    channel = axis - 1  # alpha has the input's shape without the batch axis
    if alpha.shape[channel] > 1:
        w["alpha"] = np.take(alpha, k_in, axis=channel)


_RULES: dict[str, Callable[..., None]] = {
    "dense": _dense,
    "conv": _conv,
    "convT": _conv_t,
    "sep": _sep,
    "depthwise": _depthwise,
    "embedding": _embedding,
    "rnn": _rnn,
    "bn": _bn,
    "prelu": _prelu,
}
