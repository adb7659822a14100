"""One answer to "which graph does this object mean?" for the functions that take a graph.

A ``tf.Graph`` (a ``FuncGraph`` included) is itself; a ``ConcreteFunction`` (anything with a
``.graph``) means its graph; a ``tf.function`` means the graph of its concrete function for
``signature`` (or its own ``input_signature``); a Keras model means
``ge.graph_from_keras(model)`` (the graph of its call, variables captured).

Three entry points, by what the caller needs:

- :func:`whole_graph`: the graph itself, as TF holds it (``lint``, ``visualize``);
- :func:`function_graph`: an editable copy of a function or model (``functions``' cut and
  insert verbs, ``viewer``), through :func:`concrete_function` for functions;
- :func:`shown`: the graph and the ops to show, for anything a picture can be made of
  (graphs, GraphDefs, views, ops, functions, models): ``visualize`` and ``viewer``.

Private.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from graph_editor import _tf, util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError
from graph_editor.subgraph import SubGraphView

__all__ = [
    "keras_model",
    "whole_graph",
    "concrete_function",
    "function_graph",
    "graph_from_graph_def",
    "shown",
]


def keras_model(obj: Any) -> Any:
    """``obj`` if it is a Keras model (Keras is only looked at when already imported)."""
    keras = sys.modules.get("keras")
    model_cls = getattr(keras, "Model", None) if keras is not None else None
    return obj if model_cls is not None and isinstance(obj, model_cls) else None


def _is_function(obj: Any) -> bool:
    """A ``ConcreteFunction`` or a ``tf.function``."""
    return _tf.is_concrete_function(obj) or hasattr(obj, "get_concrete_function")


def whole_graph(obj: Any, what: str, signature: Any = None) -> tuple[tf.Graph, bool] | None:
    """``(graph, is_function_graph)`` for a graph, a function or a Keras model; else None.

    A ``tf.function`` is traced with ``signature`` (a list of ``tf.TensorSpec``), or with no
    arguments when it has an ``input_signature``.

    Raises:
        GraphEditValueError: a ``tf.function`` without ``signature`` nor ``input_signature``
            (it has no graph until it is traced).
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
        if signature is None and getattr(obj, "input_signature", None) is not None:
            return obj.get_concrete_function().graph, True
        if signature is None:
            raise GraphEditValueError(
                f"{what}: a tf.function has no graph until it is traced. Pass "
                "input_specs=[tf.TensorSpec(...), ...] (its input signature) where offered, or "
                "a concrete function (fn.get_concrete_function(...))."
            )
        if not isinstance(signature, (list, tuple)):
            raise GraphEditTypeError(
                f"{what}: input_specs must be a list of tf.TensorSpec, got "
                f"{util._describe(signature)}."
            )
        return obj.get_concrete_function(*signature).graph, True
    return None


def concrete_function(fn: Any, args: Sequence[Any], what: str) -> Any:
    """A ConcreteFunction for ``fn``: itself, or a ``tf.function`` (a plain callable is
    wrapped in one) traced with ``args``.

    Raises:
        GraphEditTypeError: ``fn`` is a graph, or not callable.
        GraphEditValueError: tracing failed.
    """
    if _tf.is_concrete_function(fn):
        return fn
    if isinstance(fn, tf.Graph):
        raise GraphEditTypeError(
            f"{what} expects a function, got {util._describe(fn)}. Pass the tf.function "
            "or ConcreteFunction itself (or use ge.function_from_graph on an edited graph)."
        )
    if not hasattr(fn, "get_concrete_function"):
        if not callable(fn):
            raise GraphEditTypeError(
                f"{what} expects a tf.function, a ConcreteFunction or a callable, got "
                f"{util._describe(fn)}."
            )
        fn = tf.function(fn)
    try:
        return fn.get_concrete_function(*args)
    except (TypeError, ValueError) as e:
        hint = (
            " The function has no input_signature: pass example arguments or tf.TensorSpecs "
            f"after the function, e.g. {what}(fn, tf.TensorSpec([None, 4], tf.float32))."
            if not args
            else ""
        )
        raise GraphEditValueError(f"{what}: could not trace the function: {e}.{hint}") from e


def function_graph(
    obj: Any, specs: Sequence[Any], what: str, specs_arg: str | None = None
) -> tf.Graph:
    """An editable function graph for ``obj``.

    A function graph is itself; a Keras model gives ``ge.graph_from_keras(obj, specs)``
    (the model's own input specs without ``specs``); a function or a callable gives
    ``ge.graph_from_function(obj, *specs)``. ``specs_arg`` names the caller's argument for
    ``specs`` in the error for a ``tf.function`` that cannot be traced without them.

    Raises:
        GraphEditTypeError: ``obj`` is a plain ``tf.Graph``.
    """
    from graph_editor import functions, keras  # both sit above this module

    if isinstance(obj, tf.Graph):
        if not _tf.is_function_graph(obj):
            raise GraphEditTypeError(
                f"{what} needs a function or a graph from ge.graph_from_function; "
                f"{util._describe(obj)} is a plain tf.Graph."
            )
        return obj
    if keras_model(obj) is not None:
        return keras.graph_from_keras(obj, list(specs) or None)
    try:
        return functions.graph_from_function(obj, *specs)
    except GraphEditValueError as e:
        if specs_arg is None or specs or _tf.is_concrete_function(obj):
            raise
        raise GraphEditValueError(
            f"{what}: could not trace the tf.function '{getattr(obj, '__name__', obj)}' "
            f"without arguments (it has no input_signature). Pass "
            f"{specs_arg}=tf.TensorSpec(shape, dtype) (a list for several arguments)."
        ) from e


def graph_from_graph_def(gd: Any, what: str) -> tf.Graph:
    """A new graph holding ``gd`` (a GraphDef, or its serialized bytes), names unchanged."""
    if isinstance(gd, bytes):
        from google.protobuf.message import DecodeError

        try:
            gd = tf.compat.v1.GraphDef.FromString(gd)
        except DecodeError as e:
            raise GraphEditValueError(
                f"{what}: these bytes are not a serialized GraphDef ({e}); pass a tf.Graph, a "
                "GraphDef, or graph.as_graph_def().SerializeToString()."
            ) from e
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    return graph


def shown(
    obj: Any, what: str, specs: Any = None, *, editable: bool = False
) -> tuple[tf.Graph, list[tf.Operation], SubGraphView | None, Any]:
    """``(graph, ops, view, keras model)`` of what to show for ``obj``.

    ``obj``: a graph, a GraphDef (or its bytes), a SubGraphView, an op, a list of ops, a
    Keras model, a ``ConcreteFunction`` or ``tf.function``, or any ``.graph`` holder. With
    ``editable`` a function or model is shown as its editable copy (:func:`function_graph`,
    calls inlined; ``specs`` are its input specs); otherwise as :func:`whole_graph` gives it.

    Raises:
        GraphEditTypeError: a tensor or variable, or another type.
        GraphEditValueError: an empty view or list of ops.
    """
    if isinstance(obj, SubGraphView):
        if not obj:
            raise GraphEditValueError(f"{what}: the SubGraphView is empty, nothing to show.")
        return obj.graph, list(obj.ops), obj, None
    if isinstance(obj, (tf.compat.v1.GraphDef, bytes)):
        graph = graph_from_graph_def(obj, what)
        return graph, graph.get_operations(), None, None
    if isinstance(obj, tf.Operation):
        return obj.graph, [obj], None, None
    if isinstance(obj, (tf.Tensor, tf.Variable)):
        raise GraphEditTypeError(
            f"{what} expects a graph, a function, a model or ops, got {util._describe(obj)}. "
            "Pass its op (`t.op`), its graph (`t.graph`) or a view around it (ge.sgv(t.op))."
        )
    model = keras_model(obj)
    if editable and (model is not None or _is_function(obj)):
        specs = () if specs is None else tuple(tf.nest.flatten(specs))
        graph = function_graph(obj, specs, what, specs_arg="input_specs")
        return graph, graph.get_operations(), None, model
    found = whole_graph(obj, what)
    if found is not None:
        return found[0], found[0].get_operations(), None, model
    if util.is_iterable(obj) and not isinstance(obj, (str, bytes)):
        ops = util.make_list_of_op(obj, allow_graph=False)
        if not ops:
            raise GraphEditValueError(f"{what}: the list of ops is empty, nothing to show.")
        return ops[0].graph, ops, None, None
    raise GraphEditTypeError(
        f"{what} expects a tf.Graph, a GraphDef, a SubGraphView, a tf.function or "
        f"ConcreteFunction, a Keras model, an op or a list of ops, got {util._describe(obj)}."
    )
