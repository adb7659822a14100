"""Private TensorFlow symbols of TF2 functions: ``FuncGraph`` and ``ConcreteFunction``.

Split out of :mod:`graph_editor._tf` (which re-exports every name here: the rest of the
library imports ``graph_editor._tf`` only). What TF does and does not check is said by each
wrapper. Used by ``functions``, ``keras``, ``saved_model``, ``lint`` and the copy machinery.

Verified against TensorFlow 2.21.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from tensorflow.python.eager.polymorphic_function import (
    concrete_function as _concrete_function,
)
from tensorflow.python.framework import func_graph as _func_graph

__all__ = [
    "is_function_graph",
    "is_concrete_function",
    "new_func_graph",
    "func_graph_captures",
    "func_graph_deferred_captures",
    "func_graph_capture",
    "enclosing_graphs",
    "is_eager_value",
    "func_graph_variables",
    "func_graph_watch_variable",
    "inline_function_calls",
    "function_type_of",
    "make_function_type",
    "concrete_function_from_graph",
    "set_flat_signature",
    "func_graph_watched_variables",
    "call_with_captures",
    "new_trackable",
    "set_func_graph_inputs",
    "set_func_graph_outputs",
    "set_func_graph_input_signature",
    "func_graph_control_outputs",
    "set_func_graph_control_outputs",
    "set_func_graph_variables",
]


def is_function_graph(graph: tf.Graph) -> bool:
    """True for a ``FuncGraph`` (a graph being built for a ``tf.function``).

    In such graphs ``tf.Tensor.__eq__`` is element-wise and tensors are unhashable, which
    is why the library keys tensors by ``id()`` everywhere.
    """
    return bool(getattr(graph, "building_function", False))


def is_concrete_function(obj: Any) -> bool:
    """True for a ``ConcreteFunction`` (a traced ``tf.function`` for one signature)."""
    return isinstance(obj, _concrete_function.ConcreteFunction)



def new_func_graph(name: str) -> tf.Graph:
    """A bare ``FuncGraph`` (no inputs, outputs or captures) to import an edited copy into."""
    return _func_graph.FuncGraph(name)



def func_graph_captures(graph: tf.Graph) -> list[tuple[Any, tf.Tensor]]:
    """``graph.captures``: ``(external value, internal tensor)`` pairs, in capture order.

    By-value captures only. Deferred (by-reference) captures are listed by
    :func:`func_graph_deferred_captures`; TF does not let them be re-bound by value.
    """
    return list(graph.captures) if is_function_graph(graph) else []



def func_graph_deferred_captures(graph: tf.Graph) -> list[tf.Tensor]:
    """Internal placeholders of deferred captures (``FuncGraph.capture_call_time_value``)."""
    if not is_function_graph(graph):
        return []
    return list(graph.function_captures.by_ref_internal.values())



def func_graph_capture(graph: tf.Graph, external: Any, name: str) -> tf.Tensor:
    """``FuncGraph.capture(external, name)``: the internal tensor bound to ``external``.

    TF creates a placeholder named ``name`` (uniquified if taken) that carries the resource
    handle's shape/dtype data, records the pair in ``graph.captures`` and appends the
    placeholder to ``graph.inputs``. Small non-resource eager values are captured as a
    ``Const`` instead. Nothing checks that ``external`` outlives the function.
    """
    return graph.capture(external, name=name)



def enclosing_graphs(graph: tf.Graph) -> list[tf.Graph]:
    """The graphs a FuncGraph is nested in (``outer_graph`` chain), innermost first.

    Empty for a plain ``tf.Graph``. A FuncGraph traced eagerly ends with TF's global
    eager-mode graph; one traced under ``g.as_default()`` ends with ``g``.
    """
    res = []
    outer = getattr(graph, "outer_graph", None) if is_function_graph(graph) else None
    while outer is not None:
        res.append(outer)
        outer = getattr(outer, "outer_graph", None) if is_function_graph(outer) else None
    return res



def is_eager_value(x: Any) -> bool:
    """True for an EagerTensor (a captured constant or a variable's resource handle)."""
    return isinstance(x, tf.Tensor) and not tf.is_symbolic_tensor(x)



def func_graph_variables(graph: tf.Graph) -> list:
    """Variables a FuncGraph uses: ``graph.variables`` (set by ``tf.function`` after
    tracing) plus those watched since (:func:`func_graph_watched_variables`), no repeats."""
    if not is_function_graph(graph):
        return []
    res, seen = [], set()
    for v in list(getattr(graph, "variables", ())) + func_graph_watched_variables(graph):
        if id(v) not in seen:
            seen.add(id(v))
            res.append(v)
    return res



def func_graph_watch_variable(graph: tf.Graph, v: Any) -> None:
    """``FuncGraph.watch_variable(v)``: record ``v`` as read by the function (and by the
    FuncGraphs enclosing it), so ``ConcreteFunction.variables`` lists it and keeps it
    alive, as when the function body reads ``v`` itself."""
    graph.watch_variable(v)



def inline_function_calls(concrete_function: Any) -> Any:
    """GraphDef of ``concrete_function.graph`` with nested calls inlined by grappler.

    ``convert_to_constants._run_inline_graph_optimization`` with aggressive inlining and
    control flow not lowered: ``(Stateful)PartitionedCall`` nodes become their bodies under
    the call's name scope (``StatefulPartitionedCall/dense/BiasAdd``); capture placeholders,
    the function's input/output nodes and their names are kept. ``If``/``While`` bodies stay
    in the library.
    """
    from tensorflow.python.framework import convert_to_constants

    return convert_to_constants._run_inline_graph_optimization(  # noqa: SLF001
        concrete_function, lower_control_flow=False, aggressive_inlining=True
    )



def function_type_of(concrete_function: Any) -> Any:
    """``concrete_function.function_type`` (``FunctionType``: parameters and captures)."""
    return concrete_function.function_type



def make_function_type(
    graph: tf.Graph, input_signature: Any, parameters: list | None = None
) -> Any:
    """A ``FunctionType`` for a FuncGraph about to become a ConcreteFunction.

    With ``parameters`` (taken from a source function's type) the callable keeps the
    source's argument names and binding rules; otherwise ``input_signature`` (the legacy
    ``((specs...), {})`` form) gives positional-only parameters. The return type comes from
    ``graph.structured_outputs``, the capture types from ``graph.function_captures``.
    Without an explicit type, TF would count the captures as required arguments.
    """
    from tensorflow.core.function import trace_type
    from tensorflow.core.function.polymorphism import function_type

    captures = graph.function_captures.capture_types
    if parameters is None:
        return function_type.from_structured_signature(
            input_signature, graph.structured_outputs, captures
        )
    ret = trace_type.from_value(
        graph.structured_outputs,
        trace_type.InternalTracingContext(is_legacy_signature=True),
    )
    return function_type.FunctionType(parameters, captures, return_annotation=ret)



def concrete_function_from_graph(graph: tf.Graph, function_type: Any) -> Any:
    """``ConcreteFunction.from_func_graph(graph, function_type, attrs={})``.

    Compiles ``graph`` (every op in it, stateful or not) into a new FunctionDef named
    ``__inference_<name>_<uid>`` and registers it with the eager context. The graph becomes
    the function's graph (TF later adds gradient outputs to it): pass a private copy.
    Nothing checks that ``graph.inputs`` / ``graph.outputs`` match ``function_type``.
    """
    return _concrete_function.ConcreteFunction.from_func_graph(graph, function_type, {})



def set_flat_signature(concrete_function: Any, arg_names: list[str]) -> None:
    """Set ``_arg_keywords`` / ``_num_positional_args`` of a ConcreteFunction.

    ``WrappedFunction.prune`` sets them; ``ConcreteFunction`` falls back to this flat
    convention (all tensor arguments positionally or by these names) when binding with its
    ``FunctionType`` fails, e.g. when Python-literal parameters of the source are omitted.
    """
    concrete_function._arg_keywords = list(arg_names)  # noqa: SLF001
    concrete_function._num_positional_args = len(arg_names)  # noqa: SLF001



def func_graph_watched_variables(graph: tf.Graph) -> list:
    """Variables read while ops were added to a FuncGraph (``FuncGraph._watched_variables``).

    TF records every ``tf.Variable`` accessed under ``graph.as_default()`` in a weak set;
    ``tf.function`` turns it into ``graph.variables`` after tracing. Edits that read a new
    variable show up here only.
    """
    return list(getattr(graph, "_watched_variables", ()))



def call_with_captures(concrete_function: Any, args: list, captures: list) -> Any:
    """``ConcreteFunction._call_flat(args, captures)``: call with other captured values.

    The captures must match ``concrete_function.captured_inputs`` in number, dtype and
    shape (TF checks the arguments' shapes only). Returns the structured outputs.
    """
    return concrete_function._call_flat(list(args), list(captures))  # noqa: SLF001



def new_trackable() -> Any:
    """A bare ``AutoTrackable`` (``tf.Module`` without its ``variables`` / ``name``
    properties): any attribute name can be set and is saved as a child."""
    return tf.__internal__.tracking.AutoTrackable()


# --------------------------------------------------------------------------------------------
# Building a FuncGraph by hand (graph_editor.functions)
# --------------------------------------------------------------------------------------------


def set_func_graph_inputs(graph: tf.Graph, inputs: list[tf.Tensor]) -> None:
    """Set ``FuncGraph.inputs`` (a plain list attribute): the arguments, then the capture
    placeholders, in the order ``ConcreteFunction`` feeds them.

    Nothing checks that they are placeholders of ``graph`` or that the captures' placeholders
    (:func:`func_graph_capture` appends them) are among them.
    """
    graph.inputs = list(inputs)


def set_func_graph_outputs(graph: tf.Graph, outputs: list[tf.Tensor], structured: Any) -> None:
    """Set ``FuncGraph.outputs`` (the flat tensors the function returns) and
    ``structured_outputs`` (the nest the caller gets, ``None`` leaves allowed).

    Nothing checks that the flat list is the nest's non-None leaves, in order.
    """
    graph.outputs = list(outputs)
    graph.structured_outputs = structured


def set_func_graph_input_signature(graph: tf.Graph, input_signature: Any) -> None:
    """Set ``FuncGraph.structured_input_signature`` (the legacy ``((specs...), {kwargs})``
    form that :func:`make_function_type` reads without ``parameters``)."""
    graph.structured_input_signature = input_signature


def func_graph_control_outputs(graph: tf.Graph) -> list[tf.Operation]:
    """``FuncGraph.control_outputs``: stateful ops the function runs for their effect
    (empty for a plain ``tf.Graph``)."""
    return list(getattr(graph, "control_outputs", ()))


def set_func_graph_control_outputs(graph: tf.Graph, ops: list[tf.Operation]) -> None:
    """Set ``FuncGraph.control_outputs``: ``ConcreteFunction.from_func_graph`` makes the
    compiled function run them (automatic control dependencies)."""
    graph.control_outputs = list(ops)


def set_func_graph_variables(graph: tf.Graph, variables: list) -> None:
    """Set ``FuncGraph.variables`` (TF's setter keeps weak references):
    ``ConcreteFunction.variables`` / ``trainable_variables`` read them. The caller keeps the
    variables alive."""
    graph.variables = list(variables)
