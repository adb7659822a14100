"""Editing the graphs of TF2 functions, keeping their variables live.

A ``tf.function`` is compiled when traced: editing ``concrete_function.graph`` in place
changes nothing. The bridge is a copy:

1. :func:`graph_from_function` copies the traced graph (nested calls inlined) into a fresh,
   editable ``FuncGraph`` whose captured variables stay bound to the same variables;
2. edit it with any ``ge`` verb;
3. :func:`function_from_graph` compiles the kept part (everything the chosen outputs need)
   into a new ``ConcreteFunction`` that takes numpy or tensors, returns the source's output
   structure, supports gradients, and reads the source's variables.

On top of these: :func:`crossing_tensors` / :func:`split_function` cut a function in two
(``tail(*head(x))`` equals ``fn(x)``), and :func:`insert_at` puts an op after a tensor.

Example::

    graph = ge.graph_from_function(model_fn, tf.TensorSpec([None, 4], tf.float32))
    head, tail = ge.split_function(model_fn, "dense_1/BiasAdd:0",
                                   tf.TensorSpec([None, 4], tf.float32))
    y = tail(*head(x))

Copies go through the GraphDef and the C importer (about 20-30 µs per op) rather than
``WrappedFunction.prune`` (3-5x slower).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import tensorflow as tf

from graph_editor import _custom_gradients, _edits, _function_cut, _graphdef, _resolve, _tf, util
from graph_editor._names import resolve_tensor, resolve_tensors
from graph_editor.errors import (
    CaptureError,
    CutError,
    GraphEditTypeError,
)

__all__ = [
    "graph_from_function",
    "function_from_graph",
    "crossing_tensors",
    "split_function",
    "insert_at",
    "resolve_tensor",
    "resolve_tensors",
    "function_inputs",
    "ConcreteFunction",
]

#: What the verbs of this module return: ``tf.types.experimental.ConcreteFunction``.
ConcreteFunction: TypeAlias = tf.types.experimental.ConcreteFunction

_CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})


class _Source:
    """What an editable graph remembers of the function it was copied from."""

    __slots__ = ("parameters", "input_signature", "variables", "name")

    def __init__(self, parameters: list | None, input_signature: Any, variables: list, name: str):
        self.parameters = parameters
        self.input_signature = input_signature
        self.variables = variables  # strong references: the Variables outlive the source fn
        self.name = name


#: editable FuncGraph -> _Source
_SOURCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: returned ConcreteFunction -> the Variables it reads (kept alive with it)
_KEEP_ALIVE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------------------------
# Getting a ConcreteFunction and its graph
# --------------------------------------------------------------------------------------------


def _strong_variables(graph: tf.Graph) -> list:
    try:
        variables = list(graph.variables)
    except AttributeError:
        return []
    return [v for v in variables if v is not None]


def _check_captures(graph: tf.Graph, what: str) -> None:
    deferred = _tf.func_graph_deferred_captures(graph)
    if deferred:
        raise CaptureError(
            f"{what} has {len(deferred)} deferred capture(s) "
            f"({[t.name for t in deferred][:4]}): values bound at call time cannot be re-bound "
            "in an edited copy. Capture the value itself (a tf.Variable or a tensor) instead."
        )
    for external, internal in _tf.func_graph_captures(graph):
        if isinstance(external, tf.Tensor) and not hasattr(external, "numpy"):
            raise CaptureError(
                f"{what} captures '{internal.name}', a symbolic tensor of another graph "
                f"('{getattr(external, 'name', external)}'), which cannot be re-bound outside "
                "that graph. Edit the outer function instead, or capture a tf.Variable."
            )


def graph_from_function(fn: Any, *input_specs: Any, inline: bool = True) -> tf.Graph:
    """An editable copy of the graph of a ``tf.function`` or ``ConcreteFunction``.

    The copy is a fresh ``FuncGraph``: its inputs are the function's arguments followed by the
    captured values (bound to the same variables' handles), its ``outputs`` and
    ``structured_outputs`` are the function's. The source function is not touched.

    Args:
        fn: a ``tf.function`` (traced with ``input_specs``), a ``ConcreteFunction``, or a
            plain callable (wrapped in ``tf.function``).
        *input_specs: ``tf.TensorSpec``s (or example arguments) to trace ``fn`` with.
        inline: inline nested function calls (``StatefulPartitionedCall``) so the real ops
            are visible, e.g. ``StatefulPartitionedCall/dense_1/BiasAdd``.

    Returns:
        The editable graph; compile it back with :func:`function_from_graph`.

    Raises:
        CaptureError: the function captures a value that cannot be re-bound.
        GraphEditValueError: the function cannot be traced with the given arguments.

    Example:
        >>> fn = tf.function(lambda x: tf.reduce_sum(
        ...     tf.nn.relu(tf.matmul(x, tf.ones([4, 8])), name="h"), axis=1))
        >>> g = ge.graph_from_function(fn, tf.TensorSpec([None, 4], tf.float32))
        >>> [t.name for t in g.outputs]
        ['Identity:0']
    """
    cf = _resolve.concrete_function(fn, input_specs, "graph_from_function")
    src = cf.graph
    _check_captures(src, f"Function '{cf.name}'")
    gd = None
    if inline and any(op.type in _CALL_OPS for op in src.get_operations()):
        try:
            gd = _tf.inline_function_calls(cf)
        except Exception as e:  # noqa: BLE001 - grappler raises many kinds; fall back
            warnings.warn(
                f"graph_from_function: inlining the calls of '{cf.name}' failed ({e}); the "
                "graph keeps its StatefulPartitionedCall ops (as with inline=False).",
                stacklevel=2,
            )
    if gd is None:
        gd = src.as_graph_def()
    params = list(_tf.function_type_of(cf).parameters.values())
    structured = src.structured_outputs
    if any(isinstance(t, tf.TensorSpec) for t in tf.nest.flatten(structured)):
        # Restored signatures describe their outputs with TensorSpecs.
        structured = tf.nest.pack_sequence_as(structured, list(src.outputs))
    graph = _copy(
        src,
        gd,
        name=f"{src.name}_edit",
        arg_ts=function_inputs(src),
        outputs=structured,
        input_signature=src.structured_input_signature,
        parameters=params,
        keep_control_outputs=True,
    )
    return graph


def function_inputs(graph: tf.Graph) -> list[tf.Tensor]:
    """The argument placeholders of a function graph (its inputs minus captured values).

    Example:
        >>> fn = tf.function(lambda x: tf.reduce_sum(
        ...     tf.nn.relu(tf.matmul(x, tf.ones([4, 8])), name="h"), axis=1))
        >>> spec = tf.TensorSpec([None, 4], tf.float32)
        >>> [t.name for t in ge.function_inputs(ge.graph_from_function(fn, spec))]
        ['x:0']
    """
    internal = {id(t) for _, t in _tf.func_graph_captures(graph)}
    internal.update(id(t) for t in _tf.func_graph_deferred_captures(graph))
    return [t for t in getattr(graph, "inputs", []) if id(t) not in internal]


# --------------------------------------------------------------------------------------------
# The copy: walk back from the outputs, filter the GraphDef, import into a new FuncGraph
# --------------------------------------------------------------------------------------------


def _walk_needed(
    nodes: dict[str, Any],
    outputs: list[tf.Tensor],
    fed: set[tuple[str, int]],
    extra: list[str],
    drop_control: set[tuple[str, str]],
) -> set[str]:
    """Names of the nodes needed to compute ``outputs`` when the ``fed`` tensors are given
    (:func:`graph_editor._graphdef.needed_nodes`, plus the ops named in ``extra``)."""
    roots = [t.op.name for t in outputs if (t.op.name, t.value_index) not in fed]
    return _graphdef.needed_nodes(nodes, roots + extra, fed=fed, drop_control=drop_control)


def _unfed_error(op: tf.Operation, outputs: list[tf.Tensor], fed: dict[int, tf.Tensor]) -> CutError:
    fed_names = [t.name for t in fed.values()]
    return CutError(
        f"The outputs {[t.name for t in outputs][:4]} still depend on the input "
        f"'{op.outputs[0].name}' along a path that avoids the given inputs {fed_names[:6]}: "
        "the cut does not separate inputs from outputs. Add the tensors on that path to the "
        "cut (ge.crossing_tensors lists them) or keep that input."
    )


def _flat(name: str) -> str:
    return name.replace("/", "_").replace(":", "_")


def _copy(
    src: tf.Graph,
    gd: Any,
    *,
    name: str,
    arg_ts: list[tf.Tensor],
    outputs: Any,
    input_signature: Any,
    parameters: list | None,
    keep_control_outputs: bool = False,
    drop_control: set | None = None,
    variables: list | None = None,
) -> tf.Graph:
    """Copy what ``outputs`` need from ``src`` into a new FuncGraph fed by ``arg_ts``.

    ``arg_ts`` that are argument placeholders of ``src`` keep their nodes; other tensors
    become new placeholders. Captures of ``src`` reached by the walk are re-bound to the
    same external values. ``gd`` (a GraphDef of ``src``, possibly inlined) is used instead of
    ``src.as_graph_def()`` when given; names in it must match ``src``'s for kept ops, or,
    if ``src`` ops are absent from it (inlined calls), the whole GraphDef is imported.
    """
    leaves = _output_leaves(outputs)
    src_args = {id(t) for t in function_inputs(src)}
    keep_placeholder = {id(t) for t in arg_ts if id(t) in src_args and t.op.type == "Placeholder"}
    if gd is not None and not keep_control_outputs:
        raise AssertionError("an inlined GraphDef is only imported whole")
    if gd is None:
        flat_out = [t for t in leaves if t is not None]
        gd = _needed_graph_def(src, arg_ts, flat_out, keep_placeholder, drop_control or set(),
                               keep_control_outputs)
    names = {n.name for n in gd.node}
    graph = _tf.new_func_graph(name)
    input_map, inputs = _import_copy(graph, src, gd, names, arg_ts, keep_placeholder)
    _set_inputs_outputs(graph, inputs, leaves, outputs, input_map)
    _tf.set_func_graph_input_signature(graph, input_signature)
    if keep_control_outputs:
        _tf.set_func_graph_control_outputs(graph, [
            graph.get_operation_by_name(op.name)
            for op in _tf.func_graph_control_outputs(src)
            if op.name in names
        ])
    variables = _carry_functions_and_variables(graph, src, variables)
    _SOURCES[graph] = _Source(parameters, input_signature, variables, name)
    return graph


def _output_leaves(outputs: Any) -> list[tf.Tensor | None]:
    """The leaves of the output nest; a ge error for a leaf that is not a tensor or None."""
    leaves = tf.nest.flatten(outputs, expand_composites=False)
    for t in leaves:
        if t is not None and not isinstance(t, tf.Tensor):
            raise GraphEditTypeError(
                f"Function outputs must be tensors (or None), got {util._describe(t)} in "
                f"{outputs!r}."
            )
    return leaves


def _needed_graph_def(
    src: tf.Graph,
    arg_ts: list[tf.Tensor],
    flat_out: list[tf.Tensor],
    keep_placeholder: set[int],
    drop_control: set,
    keep_control_outputs: bool,
) -> Any:
    """The GraphDef of the ``src`` nodes that ``flat_out`` need when ``arg_ts`` are fed
    (and the control outputs, if kept), less the control edges in ``drop_control``.

    Raises:
        CutError: a needed argument placeholder of ``src`` is not fed.
    """
    full = src.as_graph_def()
    nodes = {n.name: n for n in full.node}
    extra = [op.name for op in _tf.func_graph_control_outputs(src)] if (
        keep_control_outputs) else []
    fed_keys = {(t.op.name, t.value_index) for t in arg_ts}
    drop_keys = {(op.name, c.name) for op, c in drop_control}
    names = _walk_needed(nodes, flat_out, fed_keys, extra, drop_keys)
    names.update(t.op.name for t in arg_ts if id(t) in keep_placeholder)
    cap_op_names = {internal.op.name for _, internal in _tf.func_graph_captures(src)}
    for name in names:
        node = nodes[name]
        if node.op == "Placeholder" and name not in cap_op_names and (
                (name, 0) not in fed_keys):
            fed = {id(t): t for t in arg_ts}
            raise _unfed_error(src.get_operation_by_name(name), flat_out, fed)
    gd = _graphdef.subset(full, keep=names)
    if drop_control:
        dropped: dict[str, set[str]] = {}
        for op_name, c_name in drop_keys:
            if op_name in names:
                dropped.setdefault(op_name, set()).add("^" + c_name)
        for node in gd.node:
            if node.name in dropped:
                kept_inputs = [i for i in node.input if i not in dropped[node.name]]
                del node.input[:]
                node.input.extend(kept_inputs)
    return gd


def _import_copy(
    graph: tf.Graph,
    src: tf.Graph,
    gd: Any,
    names: set[str],
    arg_ts: list[tf.Tensor],
    keep_placeholder: set[int],
) -> tuple[dict[tuple[str, int], tf.Tensor], list[tf.Tensor]]:
    """Import ``gd`` into the empty FuncGraph ``graph``: captures re-bound, ``arg_ts`` fed.

    Returns the import's ``input_map`` and the new graph's inputs (the arguments, in the
    order of ``arg_ts``, then the capture placeholders).
    """
    cap_names = {internal.op.name: external for external, internal in _tf.func_graph_captures(src)
                 if internal.op.name in names and internal.op.type == "Placeholder"}
    # Capture placeholders are created by TF (they carry the handles' shape/dtype data) and
    # mapped into the import; their NodeDefs are dropped. Ops created before the import get
    # names without '/': the C importer rejects a node whose name is a scope already in use.
    if cap_names:  # a new GraphDef: deleting from a repeated field detaches every node
        gd = _graphdef.subset(gd, drop=cap_names)
    _tf.mark_names_used(graph, (n.name for n in gd.node))
    input_map: dict[tuple[str, int], tf.Tensor] = {}
    new_inputs: list[tf.Tensor | None] = []
    with graph.as_default():
        for cap_name, external in cap_names.items():
            input_map[(cap_name, 0)] = _tf.func_graph_capture(graph, external, _flat(cap_name))
        cap_inputs = list(graph.inputs)
        for t in arg_ts:
            if id(t) in keep_placeholder:
                new_inputs.append(None)  # filled after the import
                continue
            base = t.op.name if t.value_index == 0 else f"{t.op.name}_{t.value_index}"
            ph = tf.compat.v1.placeholder(t.dtype, t.shape, name=_flat(base))
            input_map[(t.op.name, t.value_index)] = ph
            new_inputs.append(ph)
    _tf.import_graph_def_fast(graph, gd, input_map=input_map)
    _rebind_custom_gradients(graph, gd, input_map)
    inputs = [graph.get_tensor_by_name(t.name) if p is None else p
              for t, p in zip(arg_ts, new_inputs)]
    return input_map, inputs + cap_inputs


def _set_inputs_outputs(
    graph: tf.Graph,
    inputs: list[tf.Tensor],
    leaves: list[tf.Tensor | None],
    outputs: Any,
    input_map: dict[tuple[str, int], tf.Tensor],
) -> None:
    """Set the copy's inputs, and its outputs: the copies of ``leaves`` (tensors of the
    source) in the structure of ``outputs``."""
    _tf.set_func_graph_inputs(graph, inputs)
    input_ids = {id(t) for t in inputs}
    new_leaves: list[tf.Tensor | None] = []
    seen_out: set[int] = set()
    with graph.as_default():
        for t in leaves:
            if t is None:
                new_leaves.append(None)
                continue
            lt = input_map.get((t.op.name, t.value_index))
            if lt is None:
                lt = graph.get_tensor_by_name(t.name)
            if id(lt) in input_ids or id(lt) in seen_out:
                # A function output must not be one of its inputs nor repeat another.
                lt = tf.identity(lt, name="passthrough")  # a fresh graph: no name scope
            seen_out.add(id(lt))
            new_leaves.append(lt)
    _tf.set_func_graph_outputs(
        graph,
        [t for t in new_leaves if t is not None],
        tf.nest.pack_sequence_as(outputs, new_leaves),
    )


def _carry_functions_and_variables(graph: tf.Graph, src: tf.Graph, variables: list | None) -> list:
    """Give the copy ``src``'s library functions and variables (``variables`` if given),
    plus the variables that edits of ``src`` read (insert_at's ``op_fn``); returns the
    variables (strong references: the graph keeps weak ones)."""
    for fn in _tf.graph_functions(src).values():
        if not _tf.has_function(graph, fn.name):
            _tf.add_function(graph, fn)
    source = _SOURCES.get(src)
    if variables is None:
        variables = source.variables if source is not None else _strong_variables(src)
    known = {id(v) for v in variables}
    added = [v for v in _tf.func_graph_watched_variables(src) if id(v) not in known]
    variables = list(variables) + added
    _tf.set_func_graph_variables(graph, variables)
    return list(variables)


def _rebind_custom_gradients(graph: tf.Graph, gd: Any, input_map: dict) -> None:
    """Custom gradients of the imported ops read the copy's tensors (see
    ``graph_editor._custom_gradients``): a name of the source resolves to the tensor fed
    in its place, or to the imported op of that name."""
    attr = _custom_gradients.ATTR
    names = [n.name for n in gd.node if attr in n.attr]
    if not names:
        return
    imported = {n.name for n in gd.node}

    def to_dst(name: str) -> tf.Tensor | None:
        op_name, _, index = name.rpartition(":")
        key = (op_name, int(index))
        if key in input_map:
            return input_map[key]
        return graph.get_tensor_by_name(name) if op_name in imported else None

    get = graph.get_operation_by_name
    _custom_gradients.rebind([(n, get(n)) for n in names], to_dst)


def _compile(graph: tf.Graph) -> Any:
    """A ConcreteFunction for a graph made by :func:`_copy` (the graph becomes its graph)."""
    source = _SOURCES[graph]
    ftype = _tf.make_function_type(graph, source.input_signature, source.parameters)
    cf = _tf.concrete_function_from_graph(graph, ftype)
    # The flat calling convention (tensors only, positionally) as WrappedFunction.prune sets
    # it: TF falls back to it when the structured binding fails.
    _tf.set_flat_signature(cf, [_flat(t.op.name) for t in function_inputs(graph)])
    _KEEP_ALIVE[cf] = source.variables
    return cf


# --------------------------------------------------------------------------------------------
# Public verbs
# --------------------------------------------------------------------------------------------


def _specs_for(ts: list[tf.Tensor]) -> tuple:
    return tuple(
        tf.TensorSpec(t.shape, t.dtype, name=t.op.name.replace("/", "_")) for t in ts
    )


def function_from_graph(graph: tf.Graph, inputs: Any = None, outputs: Any = None
                        ) -> ConcreteFunction:
    """A callable (a ``ConcreteFunction``) computing ``outputs`` from ``inputs`` in ``graph``.

    Only the ops the outputs need are compiled. Variables captured by the graph stay the
    source function's variables (an ``assign`` on them changes the result); gradients flow.

    Args:
        graph: an editable graph from :func:`graph_from_function` (possibly edited), or any
            function graph.
        inputs: tensors (or names, see :func:`resolve_tensor`) to become the arguments, in
            order. Default: the graph's arguments, called like the source function.
        outputs: a tensor, a name, or a nest (list/tuple/dict) of them. Default: the graph's
            outputs, in the source function's structure.

    Returns:
        A ``ConcreteFunction`` accepting numpy or tensors. With custom ``inputs`` its
        arguments are positional, in the given order.

    Raises:
        CutError: an output depends on an argument of the graph that is not among
            ``inputs`` (the message says which).
        GraphEditKeyError: an unknown or ambiguous tensor name.

    Example:
        >>> fn = tf.function(lambda x: tf.reduce_sum(
        ...     tf.nn.relu(tf.matmul(x, tf.ones([4, 8])), name="h"), axis=1))
        >>> g = ge.graph_from_function(fn, tf.TensorSpec([None, 4], tf.float32))
        >>> f = ge.function_from_graph(g, inputs=["h:0"])   # starts at h
        >>> f(np.ones([2, 8], np.float32)).numpy()
        array([8., 8.], dtype=float32)
    """
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(
            f"function_from_graph expects a graph (from ge.graph_from_function), got "
            f"{util._describe(graph)}."
        )
    if not _tf.is_function_graph(graph):
        raise GraphEditTypeError(
            f"function_from_graph needs a function graph; {util._describe(graph)} is a plain "
            "tf.Graph. Get one with ge.graph_from_function(fn, *specs) or "
            "ge.graph_from_keras(model)."
        )
    _check_captures(graph, f"Graph '{graph.name}'")
    source = _SOURCES.get(graph)
    if inputs is None:
        in_ts = function_inputs(graph)
        params = source.parameters if source is not None else None
        signature = graph.structured_input_signature
        if params is None:
            signature = (_specs_for(in_ts), {})
    else:
        in_ts = resolve_tensors(graph, inputs, "input")
        params, signature = None, (_specs_for(in_ts), {})
    if outputs is None:
        out_struct = graph.structured_outputs
    else:
        out_struct = tf.nest.map_structure(lambda n: resolve_tensor(graph, n, "output"), outputs)
    return _build_function(
        graph, in_ts, out_struct, signature, params,
        keep_control_outputs=inputs is None and outputs is None,
    )


def _build_function(
    graph: tf.Graph,
    in_ts: list[tf.Tensor],
    out_struct: Any,
    signature: Any = None,
    params: list | None = None,
    *,
    keep_control_outputs: bool = False,
    drop_control: set | None = None,
    name: str | None = None,
) -> Any:
    """Copy what ``out_struct`` needs (fed by ``in_ts``) and compile it.

    Without ``signature`` the function takes ``in_ts`` positionally (TensorSpecs named
    after the tensors' ops).
    """
    if signature is None:
        signature = (_specs_for(in_ts), {})
    copy = _copy(
        graph,
        None,
        name=name or f"{graph.name}_fn",
        arg_ts=in_ts,
        outputs=out_struct,
        input_signature=signature,
        parameters=params,
        keep_control_outputs=keep_control_outputs,
        drop_control=drop_control,
    )
    return _compile(copy)


def _clone(graph: tf.Graph) -> tf.Graph:
    """A whole copy of an editable graph (same arguments, outputs and captures)."""
    source = _SOURCES.get(graph)
    return _copy(
        graph,
        graph.as_graph_def(),
        name=f"{graph.name}_copy",
        arg_ts=function_inputs(graph),
        outputs=graph.structured_outputs,
        input_signature=graph.structured_input_signature,
        parameters=source.parameters if source is not None else None,
        keep_control_outputs=True,
    )


def _as_graph(fn_or_graph: Any, specs: Sequence[Any], caller: str) -> tf.Graph:
    """An editable graph: a function graph itself, or the copy of a function or model."""
    return _resolve.function_graph(fn_or_graph, specs, caller)


def _cut(graph: tf.Graph, at: Any) -> tuple[list[tf.Tensor], set]:
    """Crossing tensors of a cut at ``at`` and the control edges the tail drops."""
    return _function_cut.cut(graph, at, function_inputs(graph))


def crossing_tensors(fn_or_graph: Any, at: Any, *input_specs: Any) -> list[str]:
    """Names of every tensor crossing a cut at ``at``, in the order ``head`` returns them.

    The order: the ``at`` tensors as given, then the other tensors the tail needs from the
    head side (skip connections, inputs used after the cut), in graph creation order.
    Tensors that do not depend on the inputs (variable reads, constants) never cross: the
    tail recomputes them.

    Args:
        fn_or_graph: a function (traced with ``input_specs``), a Keras model, or a graph
            from :func:`graph_from_function`.
        at: a tensor, a name or a list of them (names of the editable graph; a unique suffix
            works; for a Keras model, a layer's name means the layer's output).
        *input_specs: ``tf.TensorSpec``s (or example arguments) for a ``tf.function``.

    Raises:
        CutError: a cut tensor does not depend on the inputs, or the outputs do not depend
            on it.
        GraphEditKeyError: an unknown or ambiguous name.

    Example:
        >>> @tf.function
        ... def fn(x):
        ...     stem = tf.nn.relu(x, name="stem")
        ...     block1 = tf.nn.relu(stem * 2.0, name="block1")
        ...     return block1 + stem                     # stem skips over block1
        >>> spec = tf.TensorSpec([None, 4], tf.float32)
        >>> ge.crossing_tensors(fn, "block1:0", spec)
        ['block1:0', 'stem:0']
    """
    graph = _as_graph(fn_or_graph, input_specs, "crossing_tensors")
    ts, _ = _cut(graph, at)
    return [t.name for t in ts]


def split_function(fn: Any, at: Any, *input_specs: Any
                   ) -> tuple[ConcreteFunction, ConcreteFunction]:
    """Cut a function in two at tensor(s) ``at``: ``tail(*head(x))`` equals ``fn(x)``.

    ``head`` takes the source's arguments and always returns a tuple: the crossing tensors
    in the order of :func:`crossing_tensors`. ``tail`` takes them positionally and returns
    the source's output structure. Both read the source's variables.

    Args:
        fn: a ``tf.function``, ``ConcreteFunction``, callable, Keras model, or a graph from
            :func:`graph_from_function`.
        at: tensor(s) or name(s) to cut at (for a Keras model, a layer's name means the
            layer's output).
        *input_specs: ``tf.TensorSpec``s (or example arguments) for a ``tf.function``.

    Returns:
        ``(head, tail)``, two ``ConcreteFunction``s.

    Raises:
        CutError: the cut does not separate inputs from outputs.
        GraphEditKeyError: an unknown or ambiguous name.

    Example:
        >>> fn = tf.function(lambda x: tf.reduce_sum(
        ...     tf.nn.relu(tf.matmul(x, tf.ones([4, 8])), name="h"), axis=1))
        >>> spec, x = tf.TensorSpec([None, 4], tf.float32), np.ones([2, 4], np.float32)
        >>> head, tail = ge.split_function(fn, "h:0", spec)
        >>> np.testing.assert_allclose(tail(*head(x)), fn(x))
    """
    graph = _as_graph(fn, input_specs, "split_function")
    crossing, drop = _cut(graph, at)
    source = _SOURCES.get(graph)
    args = function_inputs(graph)
    params = source.parameters if source is not None else None
    signature = graph.structured_input_signature if params is not None else (_specs_for(args), {})
    head_g = _copy(
        graph, None, name=f"{graph.name}_head", arg_ts=args, outputs=tuple(crossing),
        input_signature=signature, parameters=params,
    )
    tail_g = _copy(
        graph, None, name=f"{graph.name}_tail", arg_ts=crossing,
        outputs=graph.structured_outputs, input_signature=(_specs_for(crossing), {}),
        parameters=None, drop_control=drop,
    )
    return _compile(head_g), _compile(tail_g)


def insert_at(fn: Any, at: Any, op_fn: Callable[[tf.Tensor], Any], *input_specs: Any
              ) -> ConcreteFunction:
    """A copy of ``fn`` in which every consumer of ``at`` reads ``op_fn(at)`` instead.

    ``op_fn`` is called once per tensor, inside the editable graph (create ops with plain
    TF calls: ``lambda t: t + tf.random.normal(tf.shape(t))``). Its result must have the
    tensor's dtype and a compatible shape. If ``at`` is an output of the function, the
    output becomes ``op_fn(at)`` too.

    Args:
        fn: a ``tf.function``, ``ConcreteFunction`` or callable (traced with
            ``input_specs``), a Keras model (``input_specs``: its input specs, default its
            own), or a graph from :func:`graph_from_function` (left unchanged: a copy is
            edited).
        at: a tensor name (or tensor of the editable graph), or a list of them. For a Keras
            model a layer's name means the layer's output (``"fc2"``: its activation, not
            its ``BiasAdd``).
        op_fn: ``tensor -> tensor``.
        *input_specs: ``tf.TensorSpec``s (or example arguments) for a ``tf.function``.

    Returns:
        A ``ConcreteFunction`` called like ``fn``, reading ``fn``'s variables.

    Raises:
        GraphEditTypeError: ``op_fn`` returned something that is not a tensor of the graph,
            or of another dtype.
        GraphEditValueError: ``op_fn`` returned an incompatible shape.
        GraphEditKeyError: an unknown or ambiguous name.

    Example:
        >>> fn = tf.function(lambda x: tf.reduce_sum(
        ...     tf.nn.relu(tf.matmul(x, tf.ones([4, 8])), name="h"), axis=1))
        >>> spec, x = tf.TensorSpec([None, 4], tf.float32), np.ones([2, 4], np.float32)
        >>> halved = ge.insert_at(fn, "h:0", lambda t: t * 0.5, spec)
        >>> halved(x).numpy(), fn(x).numpy()
        (array([16., 16.], dtype=float32), array([32., 32.], dtype=float32))
    """
    if not callable(op_fn):
        raise GraphEditTypeError(f"insert_at: op_fn must be callable, got {util._describe(op_fn)}.")
    graph = _as_graph(fn, input_specs, "insert_at")
    targets = resolve_tensors(graph, at, "insert_at tensor")
    if graph is fn:  # a graph given by the caller: edit a copy, not the caller's graph
        graph = _clone(graph)
        targets = [graph.get_tensor_by_name(t.name) for t in targets]
    unique: dict[int, tf.Tensor] = {}
    for t in targets:
        unique.setdefault(id(t), t)
    replaced: dict[int, tf.Tensor] = {}
    edits = _edits.EdgeEdits(graph)
    for t in unique.values():
        uses = [(c, i) for c in t.consumers() for i, x in enumerate(c.inputs) if x is t]
        with graph.as_default():
            new = op_fn(t)
            if not isinstance(new, tf.Tensor):
                try:
                    new = tf.convert_to_tensor(new, dtype=t.dtype)
                except (TypeError, ValueError) as e:
                    raise GraphEditTypeError(
                        f"insert_at: op_fn({t.name}) returned {util._describe(new)}, not a "
                        "tensor."
                    ) from e
        if getattr(new, "graph", None) is not graph:
            raise GraphEditTypeError(
                f"insert_at: op_fn({t.name}) returned a tensor of another graph "
                f"('{getattr(new, 'name', new)}'); build it from its argument with TF ops."
            )
        util.check_stand_in(t, new, f"insert_at: op_fn({t.name})")
        if new is t:
            continue
        replaced[id(t)] = new
        edits.set_inputs([(consumer, index, new, t) for consumer, index in uses])
    edits.commit()
    if replaced:
        _tf.set_func_graph_outputs(
            graph,
            [replaced.get(id(t), t) for t in graph.outputs],
            tf.nest.map_structure(
                lambda t: None if t is None else replaced.get(id(t), t), graph.structured_outputs
            ),
        )
    return function_from_graph(graph)
