"""Every private TensorFlow symbol graph_editor uses, and nothing else.

TensorFlow changes its private API between releases; keeping each use behind a small
wrapper here means a TF upgrade touches this file alone (and ``_tf_funcs.py``, the
``FuncGraph`` / ``ConcreteFunction`` part, whose names are re-exported here: the rest of
the library imports this module only). Each wrapper says what TF does and does not check.
Public TF names (``tf.Graph``, ``tf.Operation``, ``tf.Tensor``) are used directly elsewhere.

Verified against TensorFlow 2.21.
"""

from __future__ import annotations

import operator
from typing import Any

import tensorflow as tf

from graph_editor import _tf_edges, _tf_funcs

# FuncGraph / ConcreteFunction internals and the edge edits' hot paths live in sibling
# modules; re-exported from here.
from graph_editor._tf_edges import *  # noqa: F403
from graph_editor._tf_edges import op_id
from graph_editor._tf_funcs import *  # noqa: F403

__all__ = [
    "keras_history",
    "keras_inbound_node",
    "keras_inbound_nodes",
    "control_outputs",
    "exclude_from_autograph",
    "ops_created_after",
    "ops_in_id_range",
    # transform
    "unique_name_at_root",
    "op_def_for_type",
    "create_op",
    "original_op",
    "original_ops",
    "set_original_op",
    "set_attr",
    "clear_attr",
    "input_types",
    "control_flow_context",
    "import_graph_def_fast",
    "graph_functions",
    "function_def",
    "has_function",
    "add_function",
    "claim_names",
    "names_checkpoint",
    "names_rollback",
    "is_name_conflict",
    "import_graph_def_prefixed",
    "variables_to_protos",
    "variables_from_protos",
    "resource_variable_parts",
    "resource_variable_from_parts",
    "mark_names_used",
    "registered_gradient",
    # reroute / edit
    "install_session_run_hook",
    "session_graph",
    "session_closed",
    # rewrite
    "last_op_id",
    # passes
    "node_def_bytes",
    "import_graph_def_bytes",
    "grappler_meta_graph",
    "grappler_optimize",
]
__all__ += _tf_funcs.__all__ + _tf_edges.__all__


def control_outputs(op: tf.Operation) -> list[tf.Operation]:
    """Ops that have ``op`` as a control input, read live from the C graph.

    ``Operation._control_outputs`` wraps ``TF_OperationGetControlOutputs``; it reflects
    control-edge edits at once (TF's ``graph.version`` does not change on such edits).
    The order is TF's internal edge order, not creation order.
    """
    return op._control_outputs  # noqa: SLF001




def ops_created_after(graph: tf.Graph, last_id: int) -> tuple[list[tf.Operation], int]:
    """The ops of ``graph`` whose id is above ``last_id``, and the highest id in the graph.

    TF 2.21's ``PyGraph.operations`` is the graph's own list of ops in creation order (the
    same list object on every access, no copy; ``get_operations()`` and ``_nodes_by_id``
    copy), with ids consecutive from 2. Cost: the number of new ops.
    """
    ops = graph.operations
    if not ops:
        return [], 0
    return ops[_id_index(ops, last_id + 1):], op_id(ops[-1])


def ops_in_id_range(graph: tf.Graph, lo: int, hi: int) -> list[tf.Operation]:
    """The ops of ``graph`` whose id is in ``[lo, hi]``, in creation order. Cost: their
    number (no pass over the graph; see :func:`ops_created_after`)."""
    ops = graph.operations
    return ops[_id_index(ops, lo):_id_index(ops, hi + 1)]


def _id_index(ops: list, first_id: int) -> int:
    """The index of the first op of ``ops`` (in creation order) whose id is >= ``first_id``:
    where dense ids put it, corrected by walking if they are not dense."""
    k = min(max(first_id - 2, 0), len(ops))
    while k > 0 and op_id(ops[k - 1]) >= first_id:
        k -= 1
    while k < len(ops) and op_id(ops[k]) < first_id:
        k += 1
    return k


def exclude_from_autograph(package: str) -> None:
    """Add ``DoNotConvert(package)`` to AutoGraph's conversion rules (idempotent).

    ``tf.function`` (autograph on, the default) converts every Python function its body
    calls unless a rule excludes the module, as TF does for ``numpy``, ``keras`` and
    itself. graph_editor has no tensor-dependent Python control flow to convert; converting
    it took ~8 s on the first trace of a function calling ``ge.copy_with_input_replacements``
    (44 ms excluded). Rules are read from ``autograph.core.config.CONVERSION_RULES`` on
    every call.
    """
    from tensorflow.python.autograph.core import config as ag_config

    rules = ag_config.CONVERSION_RULES
    if any(isinstance(rule, ag_config.DoNotConvert) and rule.matches(package)
           for rule in rules):
        return
    ag_config.CONVERSION_RULES = (ag_config.DoNotConvert(package), *rules)


# --------------------------------------------------------------------------------------------
# Copying ops (graph_editor.transform). Verified against TensorFlow 2.21.
# --------------------------------------------------------------------------------------------

from tensorflow.python.client import pywrap_tf_session as _c_api  # noqa: E402
from tensorflow.python.framework import c_api_util as _c_api_util  # noqa: E402
from tensorflow.python.framework import ops as _ops  # noqa: E402
from tensorflow.python.ops.resource_variable_ops import (  # noqa: E402
    ResourceVariable as _ResourceVariable,
)


def unique_name_at_root(graph: tf.Graph, name: str) -> str:
    """``graph.unique_name(name)`` computed as if no name scope were active.

    ``Graph.unique_name`` prepends the calling thread's active name scope (contrib's double
    scope bug); this wrapper empties the thread-local ``Graph._name_stack`` for the call
    and restores it. The name is marked used (case-insensitively, as TF does).
    """
    stack = graph._name_stack  # noqa: SLF001
    if not stack:
        return graph.unique_name(name)
    graph._name_stack = ""  # noqa: SLF001
    try:
        return graph.unique_name(name)
    finally:
        graph._name_stack = stack  # noqa: SLF001


def op_def_for_type(graph: tf.Graph, op_type: str) -> Any:
    """The ``OpDef`` of ``op_type`` in ``graph`` (registered ops and graph functions)."""
    return graph.op_def_for_type(op_type)


def create_op(graph: tf.Graph, node_def: Any, inputs: list, op_def: Any = None) -> tf.Operation:
    """Create an op from a NodeDef with the given flat inputs and no control inputs.

    The steps of TF's ``ops._create_c_op`` (group list inputs per the OpDef, set device and
    attrs, ``TF_FinishOperation``: C shape inference and TF's type checks), then
    ``Operation._from_c_op`` (registers the op with the graph). Done here rather than
    through ``_create_c_op``: its traceback-filter wrapper and its regrouping of the inputs
    (an OpDef walk per op) were a quarter of an op-by-op copy; the grouping is kept per op
    type. Skipped, on purpose: device functions, colocation and attr scopes, control-flow
    post-processing (``CheckInputFromValidContext``), the active ``control_dependencies``
    and the creation stack trace. The name must be unique and already marked used (see
    :func:`unique_name_at_root`); a duplicate raises ``ValueError``, as a refused NodeDef.
    """
    op_type = node_def.op
    groups = _input_groups(graph, op_type, op_def)
    with graph._c_graph.get() as c_graph:  # noqa: SLF001
        desc = _c_api.TF_NewOperation(c_graph, op_type, node_def.name)
    if node_def.device:
        _c_api.TF_SetDevice(desc, node_def.device)
    if groups is None:  # every input is a single tensor
        for t in inputs:
            _c_api.TF_AddInput(desc, t._as_tf_output())  # noqa: SLF001
    else:
        attrs, i = node_def.attr, 0
        for number_attr, list_attr in groups:
            if not number_attr and not list_attr:
                _c_api.TF_AddInput(desc, inputs[i]._as_tf_output())  # noqa: SLF001
                i += 1
                continue
            n = attrs[number_attr].i if number_attr else len(attrs[list_attr].list.type)
            outputs = [t._as_tf_output() for t in inputs[i:i + n]]  # noqa: SLF001
            _c_api.TF_AddInputList(desc, outputs)
            i += n
    for name, value in node_def.attr.items():
        _c_api.TF_SetAttrValueProto(desc, name, value.SerializeToString())
    try:
        c_op = _c_api.TF_FinishOperation(desc)
    except tf.errors.InvalidArgumentError as e:
        raise ValueError(e.message) from e  # what TF's own op creation raises
    return _ops.Operation._from_c_op(c_op, graph)  # noqa: SLF001


# op type -> None (every input is one tensor) or ((number_attr, type_list_attr), ...) per
# input arg, for registered ops (a graph function's signature is read each time).
_INPUT_GROUPS: dict[str, tuple | None] = {}


def _input_groups(graph: tf.Graph, op_type: str, op_def: Any) -> tuple | None:
    groups = _INPUT_GROUPS.get(op_type, False)
    if groups is not False and not graph._is_function(op_type):  # noqa: SLF001
        return groups  # type: ignore[return-value]
    if op_def is None:
        op_def = graph.op_def_for_type(op_type)
    spec = tuple((a.number_attr, a.type_list_attr) for a in op_def.input_arg)
    groups = spec if any(n or t for n, t in spec) else None
    if not graph._is_function(op_type):  # noqa: SLF001
        _INPUT_GROUPS[op_type] = groups
    return groups


def original_op(op: tf.Operation) -> tf.Operation | None:
    """``op._original_op`` (a plain Python attribute)."""
    return op._original_op  # noqa: SLF001


_ORIGINAL_OP = operator.attrgetter("_original_op")


def original_ops(ops: list[tf.Operation]) -> list[tf.Operation | None]:
    """:func:`original_op` of each op, read in one C-level ``map``."""
    return list(map(_ORIGINAL_OP, ops))


def set_original_op(op: tf.Operation, original: tf.Operation | None) -> None:
    """Set ``op._original_op``."""
    op._original_op = original  # noqa: SLF001


def set_attr(op: tf.Operation, name: str, attr_value: Any) -> None:
    """``op._set_attr(name, AttrValue)`` (C ``SetAttr``): no validation at all."""
    op._set_attr(name, attr_value)  # noqa: SLF001


def clear_attr(op: tf.Operation, name: str) -> None:
    """``op._clear_attr(name)`` (C ``ClearAttr``)."""
    op._clear_attr(name)  # noqa: SLF001


def input_types(op: tf.Operation) -> list:
    """``op._input_types``: input dtypes, ref types included."""
    return op._input_types  # noqa: SLF001


def control_flow_context(op: tf.Operation) -> Any:
    """``op._control_flow_context`` (v1 control flow only; None for v2 ops and copies)."""
    return getattr(op, "_control_flow_context", None)


def import_graph_def_fast(
    graph: tf.Graph,
    graph_def: Any,
    input_map: dict[tuple[str, int], tf.Tensor] | None = None,
    control_map: dict[str, tf.Operation] | None = None,
    prefix: str = "",
) -> list[tf.Operation]:
    """Import ``graph_def`` into ``graph`` with one C call and wrap the new ops, bare.

    ``TF_GraphImportGraphDefWithResults`` with no prefix, no uniquifying, no colocation
    validation, then ``Operation._from_c_op`` for every new C op (what stock
    ``import_graph_def`` does minus its Python post-processing: no device functions,
    colocation or attr scopes, control-flow contexts or active control dependencies, and
    no default-attr filling in Python — the C importer adds defaults itself).
    ``input_map`` maps ``(node name, output index)`` of the GraphDef to existing tensors of
    ``graph``; ``control_map`` maps ``^name`` control inputs to existing ops. Names must be
    free in ``graph``: mark them used first (:func:`unique_name_at_root`). The GraphDef's
    ``library`` is imported too (identical functions already present are skipped by TF).
    Returns the new ops in the importer's order.
    """
    return _import_serialized(graph, graph_def.SerializeToString(), input_map, control_map,
                              prefix)


def _import_serialized(graph: tf.Graph, data: bytes, input_map: dict | None,
                       control_map: dict | None, prefix: str) -> list[tf.Operation]:
    """The one C import of a serialized GraphDef behind both public import helpers."""
    opts = _c_api_util.ScopedTFImportGraphDefOptions()
    _c_api.TF_ImportGraphDefOptionsSetPrefix(opts.options, prefix)
    _c_api.TF_ImportGraphDefOptionsSetUniquifyNames(opts.options, False)
    _c_api.TF_ImportGraphDefOptionsSetValidateColocationConstraints(opts.options, False)
    for (name, index), t in (input_map or {}).items():
        _c_api.TF_ImportGraphDefOptionsAddInputMapping(
            opts.options, name, index, t._as_tf_output()  # noqa: SLF001
        )
    for name, op in (control_map or {}).items():
        _c_api.TF_ImportGraphDefOptionsRemapControlDependency(
            opts.options, name, op._c_op  # noqa: SLF001
        )
    buf = _c_api.TF_NewBufferFromString(data)
    try:
        with graph._c_graph.get() as c_graph:  # noqa: SLF001
            results = _c_api.TF_GraphImportGraphDefWithResults(c_graph, buf, opts.options)
            _c_api.TF_DeleteImportGraphDefResults(results)
    except tf.errors.InvalidArgumentError as e:
        raise ValueError(e.message) from None
    finally:
        _c_api.TF_DeleteBuffer(buf)
    from_c_op = _ops.Operation._from_c_op  # noqa: SLF001
    return [from_c_op(c_op, graph) for c_op in graph.new_operations()]


def graph_functions(graph: tf.Graph) -> dict[str, Any]:
    """``graph._functions``: name -> function object of the graph's Python-side library."""
    return getattr(graph, "_functions", {})


def function_def(function: Any) -> Any:
    """The ``FunctionDef`` proto of a function object of :func:`graph_functions`."""
    definition = getattr(function, "cached_definition", None)
    return definition if definition is not None else function.definition


def has_function(graph: tf.Graph, name: str) -> bool:
    """``graph._is_function(name)``."""
    return graph._is_function(name)  # noqa: SLF001


def add_function(graph: tf.Graph, function: Any) -> None:
    """``graph._add_function(function)`` (C ``TF_GraphCopyFunction`` + Python registry)."""
    graph._add_function(function)  # noqa: SLF001


# --------------------------------------------------------------------------------------------
# In-place edits (graph_editor.reroute / edit, via graph_editor._edits). TF 2.21. The edge
# updates and their hot reads are in graph_editor._tf_edges (re-exported above).
# --------------------------------------------------------------------------------------------


_SESSION_RUN_HOOKS: list = []


def install_session_run_hook(callback: Any) -> None:
    """Call ``callback(session)`` after every ``BaseSession._extend_graph``.

    ``Session.run``, ``partial_run_setup`` and ``make_callable`` all call
    ``BaseSession._extend_graph`` (which sends new ops to the C session) before running, so
    this sees every run. Wrapping is idempotent; sessions that ran before graph_editor was
    imported are not seen.
    """
    import contextlib

    from tensorflow.python.client import session as session_lib

    base = session_lib.BaseSession
    if not getattr(base._extend_graph, "_ge_hooked", False):  # noqa: SLF001
        original = base._extend_graph  # noqa: SLF001

        def _extend_graph(self: Any) -> None:
            original(self)
            for hook in _SESSION_RUN_HOOKS:
                # Bookkeeping must never break a run.
                with contextlib.suppress(Exception):
                    hook(self)

        _extend_graph._ge_hooked = True  # type: ignore[attr-defined]
        base._extend_graph = _extend_graph  # noqa: SLF001
    if callback not in _SESSION_RUN_HOOKS:
        _SESSION_RUN_HOOKS.append(callback)


def session_graph(session: Any) -> tf.Graph | None:
    """The graph a ``tf.compat.v1.Session`` runs (``BaseSession._graph``)."""
    return getattr(session, "_graph", None)


def session_closed(session: Any) -> bool:
    """True once ``session.close()`` ran (``BaseSession._closed``)."""
    return bool(getattr(session, "_closed", True))


# --------------------------------------------------------------------------------------------
# The name table and the gradient registry (functions, _custom_gradients). TF 2.21.
# --------------------------------------------------------------------------------------------


def mark_names_used(graph: tf.Graph, names: Any) -> None:
    """Mark op names as used in ``graph`` (``Graph._names_in_use``), as ``unique_name`` does.

    Later ``graph.unique_name`` calls avoid them. TF keys the table by lower-cased name.
    No check that the names are valid op names.
    """
    used = graph._names_in_use  # noqa: SLF001
    for name in names:
        used.setdefault(name.lower(), 1)


def registered_gradient(op_type: str | bytes) -> Any:
    """``ops.gradient_registry.lookup(op_type)``: the function ``tf.RegisterGradient`` (or
    ``tf.custom_gradient``, or the SavedModel loader) registered, or None."""
    op_type = op_type.decode() if isinstance(op_type, bytes) else op_type
    try:
        return _ops.gradient_registry.lookup(op_type)
    except LookupError:
        return None


# --------------------------------------------------------------------------------------------
# Rewrite (graph_editor.rewrite). TF 2.21.
# --------------------------------------------------------------------------------------------


def last_op_id(graph: tf.Graph) -> int:
    """The ``op._id`` of the most recently created op of ``graph`` (0-ish if none).

    In TF 2.21 ``Graph._add_op`` hands out ids from the C++ ``PyGraph`` counter behind
    ``graph.version``: the newest op has id ``graph.version + 1`` (ids start at 2), for ops
    created one by one and by ``import_graph_def`` alike. Ops with a larger id were created
    later. Checked by ``tests/test_rewrite.py``.
    """
    return graph.version + 1


def claim_names(graph: tf.Graph, names: list[str], mark: bool = True) -> bool:
    """Mark ``names`` used in ``graph`` if none of them is (case-insensitively), else no-op.

    With ``mark=False`` only check.

    Equivalent to ``graph.unique_name(n)`` returning ``n`` unchanged for every name, in
    bulk: it reads and writes ``Graph._names_in_use`` (TF's own name registry, lower-case
    keys). Returns False, marking nothing, if a name is taken or repeated.
    """
    in_use = graph._names_in_use  # noqa: SLF001
    keys = [n.lower() for n in names]
    if len(set(keys)) != len(keys) or any(k in in_use for k in keys):
        return False
    if mark:
        for k in keys:
            in_use[k] = 1
    return True


def names_checkpoint(graph: tf.Graph) -> tuple[dict[str, int], int]:
    """A copy of ``Graph._names_in_use`` and the newest op id, for :func:`names_rollback`.
    O(names in the graph)."""
    return dict(graph._names_in_use), last_op_id(graph)  # noqa: SLF001


def names_rollback(graph: tf.Graph, checkpoint: tuple[dict[str, int], int]) -> None:
    """Restore ``Graph._names_in_use`` to ``checkpoint``, keeping the names of the ops
    created since marked (they exist). O(ops in the graph); for error paths."""
    names, newest = checkpoint
    in_use = graph._names_in_use  # noqa: SLF001
    in_use.clear()
    in_use.update(names)
    if last_op_id(graph) > newest:
        for op in graph.get_operations():
            if op_id(op) > newest:
                key = op.name.lower()
                in_use[key] = max(in_use.get(key, 0), 1)


def is_name_conflict(error: ValueError) -> bool:
    """True if :func:`import_graph_def_fast` failed because a new node's name is taken in
    C: an existing node has it, or uses it as a scope (``s`` when ``s/a`` exists), which
    ``Graph._names_in_use`` does not record. The graph is unchanged (the import is
    atomic)."""
    return "already exists in the Graph" in str(error)


def import_graph_def_prefixed(
    graph: tf.Graph,
    graph_def: Any,
    prefix: str,
    input_map: dict[tuple[str, int], tf.Tensor] | None = None,
    control_map: dict[str, tf.Operation] | None = None,
) -> list[tf.Operation]:
    """Like :func:`import_graph_def_fast`, with TF's C-level name ``prefix``.

    The importer prepends ``prefix + "/"`` to every node name, input and ``loc:@``
    colocation name (and v1 ``frame_name``s); ``input_map`` / ``control_map`` keys use the
    GraphDef's own (unprefixed) names. The prefixed names must already be claimed
    (:func:`claim_names`); the prefix itself is not checked against the graph's ops.
    """
    return import_graph_def_fast(graph, graph_def, input_map, control_map, prefix=prefix)


def variables_to_protos(graph: tf.Graph, variables: list) -> list:
    """``v.to_proto()`` for each variable of ``graph`` (None where TF cannot export one),
    inside one ``graph.as_default()`` (``ResourceVariable.to_proto`` raises eagerly)."""
    res = []
    with graph.as_default():
        for v in variables:
            try:
                res.append(v.to_proto())
            except (NotImplementedError, AttributeError, ValueError):
                res.append(None)
    return res


def variables_from_protos(graph: tf.Graph, variable_defs: list) -> list[tf.Variable]:
    """Re-wrap existing ops of ``graph`` as ``tf.Variable`` s, one per ``VariableDef``.

    ``ops.get_from_proto_function(GLOBAL_VARIABLES)`` dispatches on ``is_resource``
    (``ResourceVariable`` or ``RefVariable``); it looks names up in the default graph, hence
    the one ``as_default()``. Creates no op and registers the variables nowhere.
    """
    if not variable_defs:
        return []
    from_proto = _ops.get_from_proto_function(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    with graph.as_default():
        return [from_proto(vdef, import_scope=None) for vdef in variable_defs]


def resource_variable_parts(v: Any) -> tuple | None:
    """``(handle, initializer op, initial value or None, snapshot)`` of a plain graph-mode
    ``ResourceVariable``: the four graph elements its ``VariableDef`` names. None for any
    other variable (ref, distributed, partitioned, eager, or missing a part), which must
    go through :func:`variables_to_protos`.
    """
    if type(v) is not _ResourceVariable or not v.__dict__.get("_in_graph_mode"):
        return None
    d = v.__dict__
    if d.get("_save_slice_info") is not None:
        return None
    handle, init = d.get("_handle"), d.get("_initializer_op")
    snapshot = d.get("_cached_value")
    if snapshot is None:
        snapshot = d.get("_graph_element")
    if handle is None or init is None or snapshot is None:
        return None
    return handle, init, d.get("_initial_value"), snapshot


def resource_variable_from_parts(like: Any, handle: tf.Tensor, initializer: tf.Operation,
                                 initial_value: tf.Tensor | None, snapshot: tf.Tensor,
                                 same_attrs: bool = False) -> tf.Variable | None:
    """The ``ResourceVariable`` that ``from_proto`` would build from ``like``'s VariableDef
    renamed to the given elements (of one graph), without the proto round trip.

    Mirrors ``ResourceVariable._init_from_proto`` field by field (TF 2.21; a test compares
    every attribute with ``from_proto``'s): shape and dtype are read from the handle op
    (``like``'s when ``same_attrs``: the handle op is a verbatim copy of ``like``'s, whose
    attrs TF built from them; saves two C attr reads), trainable / synchronization /
    aggregation are ``like``'s. None when the elements are not a variable's (the caller
    then falls back to the VariableDef path).
    """
    handle_op = handle.op
    if handle_op.type != "VarHandleOp":
        return None
    graph_element = snapshot
    while graph_element.op.type != "ReadVariableOp":
        if not graph_element.op.inputs:
            return None
        graph_element = graph_element.op.inputs[0]
    src = like.__dict__
    try:
        sync, aggregation, trainable = (
            src["_synchronization"], src["_aggregation"], src["_trainable"])
        if same_attrs:
            shape, dtype = src["_shape"], src["_dtype"]
        else:
            shape = tf.TensorShape(handle_op.get_attr("shape"))
            dtype = tf.as_dtype(handle_op.get_attr("dtype"))
    except KeyError:  # not built by TF's own constructors: let from_proto decide
        return None
    name = handle.name
    v = _ResourceVariable.__new__(_ResourceVariable)
    v.__dict__.update(
        _in_graph_mode=True,
        _handle=handle,
        _shape=shape,
        _handle_name=name,
        _unique_id=name,
        _initializer_op=initializer,
        _initial_value=initial_value,
        _synchronization=sync,
        _aggregation=aggregation,
        _trainable=trainable,
        _cached_value=None if snapshot is graph_element else snapshot,
        _graph_element=graph_element,
        _save_slice_info=None,
        _caching_device=None,
        _dtype=dtype,
        _constraint=None,
        _validate_shape=True,
    )
    return v


# --------------------------------------------------------------------------------------------
# Keras 3 functional graph (graph_editor.keras). Keras 3.15.
# --------------------------------------------------------------------------------------------


def keras_history(t: Any) -> tuple | None:
    """``t._keras_history``: ``(operation, node_index, tensor_index)`` of a symbolic Keras
    tensor, or None (not produced by a layer call)."""
    return getattr(t, "_keras_history", None)


def keras_inbound_node(operation: Any, node_index: int) -> Any:
    """``operation._inbound_nodes[node_index]``: the Keras ``Node`` of one call of a layer.

    Layers collect nodes from every model built on them; index with the history of a
    model's own tensors only.
    """
    return operation._inbound_nodes[node_index]  # noqa: SLF001


def keras_inbound_nodes(operation: Any) -> list:
    """``operation._inbound_nodes``: the Keras ``Node`` s of every call of a layer, first
    call first (empty for a layer never called, or an object that is not a layer)."""
    return list(getattr(operation, "_inbound_nodes", None) or ())


# --------------------------------------------------------------------------------------------
# Deployment passes (graph_editor.passes) and their benchmark. TF 2.21.
# --------------------------------------------------------------------------------------------


def node_def_bytes(op: tf.Operation) -> bytes:
    """``op._node_def``: the op's serialized ``NodeDef`` (``TF_OperationToNodeDef``), unparsed.

    ``op.node_def`` parses these bytes into a proto; passes that only copy NodeDefs into a
    new GraphDef skip the parse (and the re-serialization).
    """
    return op._node_def  # noqa: SLF001


def import_graph_def_bytes(
    graph: tf.Graph, data: bytes, input_map: dict[tuple[str, int], tf.Tensor] | None = None
) -> list[tf.Operation]:
    """:func:`import_graph_def_fast` of an already serialized GraphDef (``data``).

    Same C call, options and checks (no prefix, no uniquifying, names must be free, the
    same ``input_map``); the bytes go to TensorFlow as they are. The new ops' names are
    marked used (as stock ``import_graph_def`` does), so later ops get unique names.
    Returns the new ops in the importer's order.
    """
    new_ops = _import_serialized(graph, data, input_map, None, "")
    mark_names_used(graph, [op.name for op in new_ops])
    return new_ops


def grappler_meta_graph(graph_def: Any, fetches: list[str]) -> Any:
    """The MetaGraphDef that :func:`grappler_optimize` takes: ``graph_def`` with the
    ``fetches`` (tensor names, inputs included) in the ``train_op`` collection, so that
    grappler keeps them (what ``tf.lite``'s ``run_graph_optimizations`` builds)."""
    from tensorflow.core.protobuf import meta_graph_pb2

    meta_graph = meta_graph_pb2.MetaGraphDef()
    meta_graph.graph_def.CopyFrom(graph_def)
    meta_graph.collection_def["train_op"].node_list.value.extend(fetches)
    return meta_graph


def grappler_optimize(meta_graph: Any, config: Any = None) -> Any:
    """TF's grappler: ``tensorflow.python.grappler.tf_optimizer.OptimizeGraph(config,
    meta_graph)``, the optimized GraphDef. ``config`` is a ``tf.compat.v1.ConfigProto``
    (default: grappler's default optimizers); ``meta_graph`` from
    :func:`grappler_meta_graph`. The reference of the passes' benchmark and tests.
    """
    from tensorflow.core.protobuf import config_pb2
    from tensorflow.python.grappler import tf_optimizer

    return tf_optimizer.OptimizeGraph(config or config_pb2.ConfigProto(), meta_graph)


# tf.function's AutoGraph must call the library as plain Python, not convert it (~8 s on a
# first trace otherwise); TF does the same for numpy and keras. Every module that touches
# TensorFlow imports this one, so the rule is in place before any library code can run.
exclude_from_autograph("graph_editor")
