"""The fast copy path of :mod:`graph_editor.transform` (private).

Used when the Transformer's op handlers are the defaults (``copy_op_handler``, possibly a
``functools.partial`` of it with ``copy_shape`` / ``nodedef_fn``): the view's NodeDefs are
renamed and rewired in Python, imported with one C call into the destination, and wrapped
in bare ``tf.Operation`` objects, with the garbage collector paused.
Names, external inputs, colocation, ``shared_name``, functions, collections and variables
go through the same code as the per-op path, in the same order, so both paths build the
same graph.
"""

from __future__ import annotations

import gc
from typing import Any

import tensorflow as tf
from tensorflow.core.framework import graph_pb2

from graph_editor import _copy_support as support
from graph_editor import _custom_gradients, _tf
from graph_editor._graphdef import parse_input

__all__ = ["fast_copy"]

_EXT = "__ge_ext_{}__"  # not a valid op name, so it cannot clash with a copied node


def _node_defs(graph: tf.Graph, names: list[str]) -> tuple[list[Any], Any]:
    """NodeDefs named ``names`` (fresh protos): one ``as_graph_def`` for a large share of the
    graph, else one ``op.node_def`` per op (cost proportional to the view).

    Returns ``(nodes, graph_def)``: ``graph_def`` (without its library) when ``nodes`` are
    exactly its nodes, in order, so it can be imported as is; else None.
    """
    if len(names) * 3 >= graph.version:
        gd = graph.as_graph_def()
        nodes = list(gd.node)
        if len(nodes) == len(names) and all(n.name == m for n, m in zip(nodes, names)):
            gd.ClearField("library")
            return nodes, gd
        by_name = {n.name: n for n in nodes}
        return [by_name[name] for name in names], None
    get = graph.get_operation_by_name
    return [get(name).node_def for name in names], None


def fast_copy(transformer: Any, info: Any, ops: list[tf.Operation],
              copy_shape: bool, nodedef_fn: Any) -> list[tf.Operation] | None:
    """Copy ``ops`` into ``info.graph_``; fills ``info.transformed_ops`` / ``_ts``.

    Returns the ops in the order they were named (that of ``copy_order``), or None when
    TF's C importer refused a name that Python sees as free (an existing op uses it as a
    scope: ``s`` when ``s/a`` exists): nothing was imported, the names allocated are
    released, and the caller copies op by op (Python op creation accepts such names).
    External-input placeholders already made stay in ``info``'s cache and are reused.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()
    checkpoint = _tf.names_checkpoint(info.graph_)
    try:
        return _fast_copy(transformer, info, ops, copy_shape, nodedef_fn)
    except ValueError as e:
        if not _tf.is_name_conflict(e):
            raise
        _tf.names_rollback(info.graph_, checkpoint)
        info._names_map.clear()
        info._frame_map.clear()
        info._pending_colocation.clear()
        return None
    finally:
        if gc_was_enabled:
            gc.enable()


def _prepare(src: tf.Graph, ops: list[tf.Operation], parse: bool
             ) -> tuple[list, list, list, list | None, Any]:
    """(order, names, nodes, parsed inputs, whole GraphDef or None), in :func:`copy_order`'s
    order, read from the NodeDefs (no per-op input walk when creation order is already
    topological).

    Without ``parse`` (a whole-graph copy: no outside tensor, and names that do not depend
    on the order), creation order is used as is and inputs are not parsed.
    """
    op_id = _tf.op_id
    ids = [op_id(op) for op in ops]
    if any(ids[i] >= ids[i + 1] for i in range(len(ids) - 1)):
        order = [op for _, op in sorted(zip(ids, ops), key=lambda p: p[0])]
    else:
        order = list(ops)
    names = [op.name for op in order]
    nodes, whole_gd = _node_defs(src, names)
    if not parse:
        return order, names, nodes, None, whole_gd
    parsed = [[parse_input(s) for s in node.input] for node in nodes]
    pos = {name: i for i, name in enumerate(names)}
    for i, refs in enumerate(parsed):
        for name, _, _ in refs:
            j = pos.get(name)
            if j is not None and j >= i:  # not topological: use the exact order
                order = support.copy_order(order)
                index = [pos[op.name] for op in order]
                names = [names[k] for k in index]
                nodes = [nodes[k] for k in index]
                parsed = [parsed[k] for k in index]
                return order, names, nodes, parsed, None
    return order, names, nodes, parsed, whole_gd


def _fast_copy(transformer: Any, info: Any, ops: list[tf.Operation],
               copy_shape: bool, nodedef_fn: Any) -> list[tf.Operation]:
    src, dst = info.graph, info.graph_
    whole = len(ops) == src.version and not info.sgv_inputs_set
    order, src_names, nodes, parsed, whole_gd = _prepare(src, ops, parse=not whole)
    support.copy_functions(src, dst, nodes)
    info._inside_names_cache = set(src_names)
    # One serialization of a whole source GraphDef answers byte searches (an attr or op
    # type that no node has is not in the bytes) before any per-node scan.
    whole_bytes = whole_gd.SerializeToString() if whole_gd is not None else None
    attr = _custom_gradients.ATTR  # listed before the imports below edit the NodeDefs
    info._custom_gradient_ops = [] if whole_bytes is not None and attr.encode() not in \
        whole_bytes else [n for n, node in zip(src_names, nodes) if attr in node.attr]

    new_ops = None
    if nodedef_fn is None and support.prefix_compatible(info, src_names, nodes, whole_bytes):
        new_names = [info.scope_ + name for name in src_names]
        # Claimed before the placeholders exist: no source op is named like one
        # (prefix_compatible), so the order cannot change any name.
        if _tf.claim_names(dst, new_names):
            new_ops = _prefix_import(transformer, info, src_names, new_names, nodes, parsed,
                                     whole_gd)
    if new_ops is None:
        if parsed is None:  # names now depend on the order: use copy_order's, as per-op
            order, src_names, nodes, parsed, _ = _prepare(src, ops, parse=True)
        assert parsed is not None, "_prepare(parse=True) parses"
        new_ops = _renaming_import(transformer, info, src_names, nodes, parsed, nodedef_fn)

    by_name = {op_.name: op_ for op_ in new_ops}
    names_map = info._names_map
    transformed_ops = info.transformed_ops
    original_ops = info._original_ops
    copies = [by_name[names_map[old]] for old in src_names]
    transformed_ops.update(zip(order, copies))
    original_ops.update(zip(copies, order))
    info.transformed_ts = support.OpOutputsMap(transformed_ops)
    info._original_ts = support.OpOutputsMap(original_ops)
    if copy_shape:
        for op, op_ in transformed_ops.items():
            for t, t_ in zip(op.outputs, op_.outputs):
                t_.set_shape(t.shape)
    handler = transformer.transform_original_op_handler
    for op, orig in zip(order, _tf.original_ops(order)):
        if orig is not None:
            _tf.set_original_op(transformed_ops[op], handler(info, orig))
    return order


def _prefix_import(transformer: Any, info: Any, src_names: list[str], new_names: list[str],
                   nodes: list[Any], parsed: list | None, whole_gd: Any
                   ) -> list[tf.Operation]:
    """Names unchanged but for the destination scope (already claimed): TF's C importer adds
    the prefix to names, inputs and colocations; Python only maps the outside inputs."""
    src, dst = info.graph, info.graph_
    inside = info._inside_names_cache
    input_map: dict[tuple[str, int], tf.Tensor] = {}
    control_map: dict[str, tf.Operation] = {}
    drop: set[str] = set()
    if parsed is not None:
        for refs in parsed:
            for name, index, is_control in refs:
                if name in inside:
                    continue
                if is_control:
                    if src is dst:
                        control_map[name] = src.get_operation_by_name(name)
                    else:
                        drop.add(name)
                elif (name, index) not in input_map:
                    t = src.get_tensor_by_name(f"{name}:{index}")
                    input_map[(name, index)] = transformer._external_t(info, t)
    info._names_map.update(zip(src_names, new_names))
    variable_types = support.VARIABLE_OP_TYPES
    for node, new_name in zip(nodes, new_names):
        if node.op in variable_types:
            support.rewrite_shared_name(info, node, new_name)
        if drop and any(s[0] == "^" and s[1:] in drop for s in node.input):
            kept = [s for s in node.input if not (s[0] == "^" and s[1:] in drop)]
            del node.input[:]
            node.input.extend(kept)
    gd = whole_gd  # its nodes are ``nodes``, edited in place
    if gd is None:
        gd = graph_pb2.GraphDef()
        gd.versions.CopyFrom(src.graph_def_versions)
        gd.node.extend(nodes)
    return _tf.import_graph_def_prefixed(
        dst, gd, info.scope_[:-1], input_map, control_map)


def _renaming_import(transformer: Any, info: Any, src_names: list[str], nodes: list[Any],
                     parsed: list, nodedef_fn: Any) -> list[tf.Operation]:
    """Rename and rewire every NodeDef in Python, then import without a prefix."""
    src, dst = info.graph, info.graph_
    inside_names = info._inside_names_cache
    names_map = info._names_map
    input_map: dict[tuple[str, int], tf.Tensor] = {}
    control_map: dict[str, tf.Operation] = {}
    ext_names: dict[tuple[str, int], str] = {}
    ext_ops: dict[str, str] = {}
    unique = _tf.unique_name_at_root
    new_name = info.new_name
    same_graph = src is dst

    # Pass 1, in copy order: external inputs (handlers may create placeholders), then the
    # op's own name -- the per-op path allocates names in exactly this sequence.
    for old, node, refs in zip(src_names, nodes, parsed):
        for name, index, is_control in refs:
            if name in inside_names:
                continue
            if is_control:
                if name not in ext_ops and same_graph:
                    key = _EXT.format(len(ext_names) + len(ext_ops))
                    ext_ops[name] = key
                    control_map[key] = src.get_operation_by_name(name)
                continue
            if (name, index) in ext_names:
                continue
            t = src.get_tensor_by_name(f"{name}:{index}")
            key = _EXT.format(len(ext_names) + len(ext_ops))
            ext_names[(name, index)] = key
            input_map[(key, 0)] = transformer._external_t(info, t)
        node.name = names_map[old] = unique(dst, new_name(old))

    # Pass 2: colocation / shared_name / frames, nodedef_fn, then rewire the inputs.
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(src.graph_def_versions)
    final_nodes = []
    rewrite = support.rewrite_node_def
    for node, refs in zip(nodes, parsed):
        rewrite(info, node)
        if nodedef_fn is not None:
            node = nodedef_fn(node)
        if refs:
            new_inputs = []
            for name, index, is_control in refs:
                if is_control:
                    if name in inside_names:
                        new_inputs.append("^" + names_map[name])
                    elif name in ext_ops:
                        new_inputs.append("^" + ext_ops[name])
                elif name in inside_names:
                    new_name_ = names_map[name]
                    new_inputs.append(f"{new_name_}:{index}" if index else new_name_)
                else:
                    new_inputs.append(ext_names[(name, index)])
            del node.input[:]
            node.input.extend(new_inputs)
        final_nodes.append(node)
    out.node.extend(final_nodes)
    return _tf.import_graph_def_fast(dst, out, input_map, control_map)
