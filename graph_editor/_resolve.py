"""One answer to "which graph does this object mean?" for functions that take a whole graph.

A ``tf.Graph`` (a ``FuncGraph`` included) is itself; a ``ConcreteFunction`` (anything with a
``.graph``) means its graph; a ``tf.function`` means the graph of its concrete function for
``signature``; a Keras model means ``ge.graph_from_keras(model)`` (the graph of its call,
variables captured). Private; used by ``lint`` and ``visualize``.
"""

from __future__ import annotations

import sys
from typing import Any

import tensorflow as tf

from graph_editor import _tf, util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError

__all__ = ["keras_model", "whole_graph"]


def keras_model(obj: Any) -> Any:
    """``obj`` if it is a Keras model (Keras is only looked at when already imported)."""
    keras = sys.modules.get("keras")
    model_cls = getattr(keras, "Model", None) if keras is not None else None
    return obj if model_cls is not None and isinstance(obj, model_cls) else None


def whole_graph(obj: Any, what: str, signature: Any = None) -> tuple[tf.Graph, bool] | None:
    """``(graph, is_function_graph)`` for a graph, a function or a Keras model; else None.

    Raises:
        GraphEditValueError: a ``tf.function`` without ``signature`` (it has no graph until
            it is traced).
    """
    if isinstance(obj, tf.Graph):
        return obj, _tf.is_function_graph(obj)
    if isinstance(obj, (tf.Operation, tf.Tensor)):
        return None
    if keras_model(obj) is not None:
        from graph_editor.keras import graph_from_keras  # keras.py sits above this module

        return graph_from_keras(obj), True
    if isinstance(getattr(obj, "graph", None), tf.Graph):  # a ConcreteFunction
        return obj.graph, True
    if hasattr(obj, "get_concrete_function"):  # a tf.function
        if signature is None:
            raise GraphEditValueError(
                f"{what}: a tf.function has no graph until it is traced. Pass "
                "signature=[tf.TensorSpec(...), ...] where offered, or a concrete function "
                "(fn.get_concrete_function(...))."
            )
        if not isinstance(signature, (list, tuple)):
            raise GraphEditTypeError(
                f"{what}: signature must be a list of tf.TensorSpec, got "
                f"{util._describe(signature)}."
            )
        return obj.get_concrete_function(*signature).graph, True
    return None
