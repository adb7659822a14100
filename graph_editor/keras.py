"""Keras 3 bridges: the graph of a model, and cutting a model in two at a layer.

:func:`split_keras_model` works on Keras' own functional graph (Sequential models built with
an ``Input`` and functional models, skip connections included) and returns two Keras models
that *share the original layers*: the same weight objects, so training or assigning one
changes the others, and ``model_b(model_a(x))`` equals ``model(x)``.

:func:`graph_from_keras` gives the TF graph of a model's forward pass, editable with any
``ge`` verb and compiled back with ``ge.function_from_graph``; the weights stay the model's
variables.

Example::

    model_a, model_b = ge.split_keras_model(model, "fc2")
    y = model_b(model_a(x))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tensorflow as tf

from graph_editor import _names, _tf, functions, util
from graph_editor.errors import (
    CutError,
    GraphEditKeyError,
    GraphEditTypeError,
    GraphEditValueError,
    _renamed_argument,
)

if TYPE_CHECKING:
    import keras

__all__ = ["graph_from_keras", "split_keras_model", "keras_crossing_tensors"]


def _keras():
    import keras

    return keras


def _check_model(model: Any, caller: str) -> None:
    keras = _keras()
    if not isinstance(model, keras.Model):
        raise GraphEditTypeError(f"{caller} expects a keras.Model, got {util._describe(model)}.")


def _model_io(model: Any, caller: str) -> tuple[list, list]:
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError) as e:
        raise GraphEditValueError(
            f"{caller}: model '{model.name}' has no functional graph (inputs/outputs): build "
            "it with keras.Input (Sequential([keras.Input(shape), ...]) or the functional "
            "API); subclassed models are not supported."
        ) from e
    if not inputs or not outputs:
        raise GraphEditValueError(f"{caller}: model '{model.name}' has no inputs or outputs.")
    return inputs, outputs


def graph_from_keras(model: Any, input_specs: Any = None) -> tf.Graph:
    """An editable graph of ``model``'s inference pass (``training=False``).

    Args:
        model: a built Keras 3 model.
        input_specs: ``tf.TensorSpec``(s) of the inputs; default: from ``model.inputs``.

    Returns:
        The graph of :func:`graph_editor.graph_from_function`; its captures are the model's
        variables. Compile it back with ``ge.function_from_graph``. In this graph a layer's
        name (``"fc2"``) names the layer's output tensor wherever ge takes tensor names.

    Example:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="fc1"),
        ...                           keras.layers.Dense(2, name="fc2")])
        >>> g = ge.graph_from_keras(model)
        >>> f = ge.function_from_graph(g)
        >>> f(np.ones([3, 4], np.float32)).shape
        TensorShape([3, 2])
    """
    _check_model(model, "graph_from_keras")
    if input_specs is None:
        inputs, _ = _model_io(model, "graph_from_keras")
        input_specs = [tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in inputs]
    elif isinstance(input_specs, tf.TensorSpec):
        input_specs = [input_specs]
    input_specs = list(input_specs)

    forward: Callable[..., Any]
    if len(input_specs) == 1:

        def forward(x):
            return model(x, training=False)
    else:

        def forward(*xs):
            return model(list(xs), training=False)

    graph = functions.graph_from_function(tf.function(forward), *input_specs)
    _names.note_keras_layers(graph, [layer.name for layer in model.layers])
    return graph


# --------------------------------------------------------------------------------------------
# Keras' functional graph (its internals are read through graph_editor._tf)
# --------------------------------------------------------------------------------------------


def _node_of(t: Any) -> Any:
    """The Keras ``Node`` that produced the symbolic tensor ``t`` (None for an Input)."""
    history = _tf.keras_history(t)
    if history is None:
        return None
    operation, node_index, _ = history
    node = _tf.keras_inbound_node(operation, node_index)
    return None if node.is_input else node


def _model_nodes(outputs: list, stop: set[int] | None = None) -> list:
    """The model's own nodes, reached backwards from its outputs (each once), not going
    past the tensors whose ids are in ``stop`` (a model's inputs)."""
    stop = stop or set()
    seen: set[int] = set()
    order = []
    stack = [n for n in (_node_of(t) for t in outputs if id(t) not in stop) if n is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        for t in node.input_tensors:
            parent = None if id(t) in stop else _node_of(t)
            if parent is not None and id(parent) not in seen:
                stack.append(parent)
    return order


def _cut_tensors(model: Any, layer_names: list[str], nodes: list) -> list:
    cut: list = []
    for name in layer_names:
        found = [n for n in nodes if getattr(n.operation, "name", None) == name]
        if not found:
            names = [n.operation.name for n in reversed(nodes)]
            import difflib

            close = difflib.get_close_matches(name, names, n=5, cutoff=0.4)
            raise GraphEditKeyError(
                f"Model '{model.name}' has no layer named '{name}' in its graph. "
                f"Closest names: {close or names[:8]}."
            )
        if len(found) > 1:
            raise GraphEditValueError(
                f"Layer '{name}' is called {len(found)} times in model '{model.name}': its "
                "output is ambiguous. Cut at a layer that is called once."
            )
        for t in found[0].output_tensors:
            if all(id(t) != id(c) for c in cut):
                cut.append(t)
    return cut


def keras_crossing_tensors(model: Any, at: str | list[str] | None = None, *,
                           layer_name: str | list[str] | None = None) -> list[keras.KerasTensor]:
    """Symbolic Keras tensors crossing a cut after layer(s) ``at`` (layer outputs first).

    The other crossing tensors (skip connections, inputs used after the cut) follow in the
    model's layer order.

    Args:
        model: a Sequential (built with ``keras.Input``) or functional Keras 3 model.
        at: the name of the layer after which to cut, or a list of names.
        layer_name: deprecated spelling of ``at`` (warns
            :class:`~graph_editor.errors.GraphEditDeprecationWarning`).

    Raises:
        GraphEditKeyError: no such layer (the message lists the closest names).
        CutError: the model's outputs do not depend on the layer.

    Example:
        >>> x = keras.Input((4,))
        >>> b1 = keras.layers.Dense(4, name="b1")(x)
        >>> model = keras.Model(x, keras.layers.Add()([b1, x]))   # x skips over b1
        >>> crossing = ge.keras.keras_crossing_tensors(model, "b1")
        >>> crossing[0] is b1, crossing[1] is x
        (True, True)
    """
    at = _renamed_argument("keras_crossing_tensors", "at", at, "layer_name", layer_name)
    _check_model(model, "keras_crossing_tensors")
    inputs, outputs = _model_io(model, "keras_crossing_tensors")
    names = [at] if isinstance(at, str) else list(at)
    nodes = _model_nodes(outputs)
    cut = _cut_tensors(model, names, nodes)
    cut_ids = {id(t) for t in cut}
    # Head side: every tensor the cut tensors are computed from.
    head: set[int] = {id(t) for t in inputs}
    for node in _model_nodes(cut):
        for t in node.output_tensors:
            head.add(id(t))
        for t in node.input_tensors:
            head.add(id(t))
    extra: dict[int, Any] = {}
    used: set[int] = set()
    seen: set[int] = set()
    pending = list(outputs)  # tensors the tail needs, walked backwards up to the cut
    while pending:
        t = pending.pop()
        if id(t) in cut_ids:
            used.add(id(t))
        elif id(t) in head:
            extra[id(t)] = t
        else:
            node = _node_of(t)
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                pending.extend(node.input_tensors)
    unused = [t.name for t in cut if id(t) not in used]
    if unused:
        raise CutError(
            f"The outputs of model '{model.name}' do not depend on the output of {names} "
            f"({unused}): there is nothing to cut there."
        )
    layer_order = {id(layer): i for i, layer in enumerate(model.layers)}
    rest = sorted(
        extra.values(),
        key=lambda t: layer_order.get(id((_tf.keras_history(t) or (None,))[0]), -1),
    )
    return cut + rest


def split_keras_model(model: Any, at: str | list[str] | None = None, *,
                      layer_name: str | list[str] | None = None
                      ) -> tuple[keras.Model, keras.Model]:
    """Cut a Keras model after layer ``at``: ``model_b(model_a(x))`` equals ``model(x)``.

    Both halves are Keras functional models built on the original layers (no clone, no
    weight copy): they share the original weights. When other tensors cross the cut (skip
    connections), ``model_a`` returns a list of all crossing tensors (the layer's output
    first, see :func:`keras_crossing_tensors`) and ``model_b`` takes that list.

    Args:
        model: a Sequential (built with ``keras.Input``) or functional Keras 3 model.
        at: the name of the layer after which to cut (or a list of layer names).
        layer_name: deprecated spelling of ``at`` (warns
            :class:`~graph_editor.errors.GraphEditDeprecationWarning`).

    Returns:
        ``(model_a, model_b)``.

    Raises:
        GraphEditKeyError: no such layer (closest names listed).
        CutError: the outputs do not depend on that layer.
        GraphEditValueError: a model without a functional graph, or a layer called twice.

    Example:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="fc1"),
        ...                           keras.layers.Dense(2, name="fc2")])
        >>> model_a, model_b = ge.split_keras_model(model, "fc1")
        >>> x = np.ones([3, 4], np.float32)
        >>> np.testing.assert_allclose(model_b(model_a(x)), model(x), rtol=1e-6)
    """
    at = _renamed_argument("split_keras_model", "at", at, "layer_name", layer_name)
    keras = _keras()
    _check_model(model, "split_keras_model")
    inputs, outputs = _model_io(model, "split_keras_model")
    crossing = keras_crossing_tensors(model, at)
    single_in = inputs[0] if len(inputs) == 1 else inputs
    single_out = outputs[0] if len(outputs) == 1 else outputs
    out_ids = {id(t) for t in outputs}
    if all(id(t) in out_ids for t in crossing):
        raise CutError(
            f"Cutting model '{model.name}' after {at!r} leaves no layer for model_b: "
            "those are the model's outputs. Cut at an earlier layer."
        )
    mid = crossing[0] if len(crossing) == 1 else crossing
    model_a = keras.Model(single_in, mid, name=f"{model.name}_head")
    model_b = keras.Model(mid, single_out, name=f"{model.name}_tail")
    return model_a, model_b
