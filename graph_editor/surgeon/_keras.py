"""The few private Keras 3 attributes the surgeon cannot avoid, in one place.

Keras 3 (3.15) has no public API for a layer's call sites (its inbound nodes), for telling a
functional model from a subclassed one, or for the name of a Sequential model's input layer.
Everything else in :mod:`graph_editor.surgeon` uses public APIs (``clone_model``,
``get_config``/``from_config``, ``get_weights``/``set_weights``, ``Sequential``).
A Keras upgrade that renames these touches this file only.
"""

from __future__ import annotations

from typing import Any

from graph_editor import _tf

__all__ = [
    "is_functional",
    "model_nodes",
    "node_inputs",
    "node_outputs",
    "producer",
    "input_layer_name",
    "first_input_shapes",
]


def _keras():
    import keras

    return keras


def is_functional(model: Any) -> bool:
    """True for a functional model (``keras.Model(inputs, outputs)`` and its subclasses that
    keep the functional constructor); False for Sequential and subclassed models."""
    from keras.src.models.functional import Functional  # no public alias in Keras 3

    return isinstance(model, Functional) and not isinstance(model, _keras().Sequential)


def model_nodes(model: Any) -> list:
    """The call sites (Keras ``Node``s) of ``model``'s own graph, outputs to inputs.

    Built from ``t._keras_history`` and ``layer._inbound_nodes`` (read through ``_tf``):
    a layer's node list also holds calls from other models, so the walk starts at this
    model's outputs and stops at its inputs.
    """
    from graph_editor.keras import _model_nodes

    return _model_nodes(list(model.outputs), {id(t) for t in model.inputs})


def node_inputs(node: Any) -> list:
    """The symbolic tensors a call site reads (flattened, in call order)."""
    return list(node.input_tensors)


def node_outputs(node: Any) -> list:
    """The symbolic tensors a call site produces (flattened)."""
    return list(node.outputs)


def producer(t: Any) -> Any:
    """The layer that produced symbolic tensor ``t`` (an ``InputLayer`` for an input)."""
    history = _tf.keras_history(t)
    return None if history is None else history[0]


def input_layer_name(t: Any) -> str | None:
    """The name of the ``InputLayer`` behind a model input tensor (None if unknown)."""
    layer = producer(t)
    return getattr(layer, "name", None)


def first_input_shapes(layer: Any) -> list | None:
    """Input shapes of the call that built ``layer`` (``layer._inbound_nodes[0]``), which
    fixed its weight shapes; None when the layer was never called."""
    nodes = _tf.keras_inbound_nodes(layer)
    if not nodes:
        return None
    return [tuple(t.shape) for t in nodes[0].input_tensors]
