"""One-call layer surgery on Keras 3 models: delete, insert and replace a layer."""

from __future__ import annotations

from typing import Any

from graph_editor.surgeon.surgeon import Surgeon

__all__ = ["delete_layer", "insert_layer", "replace_layer"]


def delete_layer(model: Any, layer: Any, *, copy: bool = True) -> Any:
    """A copy of ``model`` without ``layer``: its consumers read its input instead.

    ``layer`` must read one tensor and produce one; a shared layer is removed at every
    call site. The source model is not changed.

    Args:
        model: a built Sequential or functional Keras 3 model.
        layer: the layer object, its name, or ``"inner_model/layer"`` for a nested model.
        copy: True: the result's layers are new objects with copied weights; False: the
            result shares its untouched layers with ``model``.

    Returns:
        A new Keras model (Sequential for a Sequential source).

    Raises:
        GraphEditKeyError: no such layer (closest names listed).
        GraphEditValueError: the layer reads or makes several tensors, or its consumers do
            not accept its input's shape (both layers and shapes named).

    Example:
        >>> model = keras.Sequential([
        ...     keras.Input((4,)), keras.layers.Dense(8, name="fc1"), keras.layers.ReLU(name="act"),
        ...     keras.layers.Dropout(0.5, name="dropout"), keras.layers.Dense(2, name="fc2")])
        >>> new_model = delete_layer(model, "dropout")
        >>> [layer.name for layer in new_model.layers]
        ['fc1', 'act', 'fc2']
    """
    surgeon = Surgeon(model, copy=copy)
    surgeon.add_job("delete_layer", layer)
    return surgeon.operate()


def insert_layer(model: Any, layer: Any, new_layer: Any, *, after: bool = False,
                 copy: bool = True) -> Any:
    """A copy of ``model`` with ``new_layer`` inserted before (default) or after ``layer``.

    Before: ``new_layer`` reads ``layer``'s input and ``layer`` reads ``new_layer``'s output
    (keras-surgeon's meaning). After: ``new_layer`` reads ``layer``'s output and every
    consumer of that output (model outputs included) reads ``new_layer``'s output. At a
    shared layer, ``new_layer`` is inserted at every call site (and so is shared too).
    ``new_layer`` itself is used as given (not copied).

    Args:
        model: a built Sequential or functional Keras 3 model.
        layer: the layer object, its name, or ``"inner_model/layer"``.
        new_layer: a new ``keras.layers.Layer`` (not a layer of ``model``).
        after: insert on ``layer``'s output instead of its input.
        copy: as in :func:`delete_layer`.

    Returns:
        A new Keras model.

    Raises:
        GraphEditKeyError: no such layer.
        GraphEditValueError: ``layer`` has several inputs (before) or outputs (after), or the
            shapes do not fit (layers and shapes named).

    Example:
        >>> model = keras.Sequential([
        ...     keras.Input((4,)), keras.layers.Dense(8, name="fc1"), keras.layers.ReLU(name="act"),
        ...     keras.layers.Dropout(0.5, name="dropout"), keras.layers.Dense(2, name="fc2")])
        >>> noise = keras.layers.GaussianNoise(0.1, name="noise")
        >>> noisy = insert_layer(model, "fc2", noise, after=True)
        >>> [layer.name for layer in noisy.layers][-2:]
        ['fc2', 'noise']
    """
    surgeon = Surgeon(model, copy=copy)
    surgeon.add_job("insert_layer", layer, new_layer=new_layer, after=after)
    return surgeon.operate()


def replace_layer(model: Any, layer: Any, new_layer: Any, *, copy: bool = True) -> Any:
    """A copy of ``model`` in which ``new_layer`` takes ``layer``'s place (every call site).

    Args:
        model: a built Sequential or functional Keras 3 model.
        layer: the layer object, its name, or ``"inner_model/layer"``.
        new_layer: a new ``keras.layers.Layer`` (used as given, not copied).
        copy: as in :func:`delete_layer`.

    Returns:
        A new Keras model.

    Raises:
        GraphEditKeyError: no such layer.
        GraphEditValueError: the new layer's output does not fit the consumers.

    Example:
        >>> model = keras.Sequential([
        ...     keras.Input((4,)), keras.layers.Dense(8, name="fc1"), keras.layers.ReLU(name="act"),
        ...     keras.layers.Dropout(0.5, name="dropout"), keras.layers.Dense(2, name="fc2")])
        >>> relu6 = replace_layer(model, "act", keras.layers.ReLU(max_value=6.0))
        >>> relu6.layers[1].max_value
        6.0
    """
    surgeon = Surgeon(model, copy=copy)
    surgeon.add_job("replace_layer", layer, new_layer=new_layer)
    return surgeon.operate()
