"""The fast copy path of :mod:`graph_editor.transform` (private).

Used when the Transformer's op handlers are the defaults (``copy_op_handler``, possibly a
``functools.partial`` of it with ``copy_shape`` / ``nodedef_fn``): the view's NodeDefs are
renamed and rewired in Python, imported with one C call into the destination, and wrapped
in bare ``tf.Operation`` objects (tf2_internals.md §3), with the garbage collector paused.
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
from graph_editor import _tf

__all__ = ["fast_copy"]

_EXT = "__ge_ext_{}__"  # not a valid op name, so it cannot clash with a copied node


def _parse_input(s: str) -> tuple[str, int, bool]:
    """``"^x"`` -> (x, -1, True); ``"x:2"`` -> (x, 2, False); ``"x"`` -> (x, 0, False)."""
    if s[0] == "^":
        return s[1:], -1, True
    colon = s.rfind(":")
    if colon > 0 and s[colon + 1:].isdigit():
        return s[:colon], int(s[colon + 1:]), False
    return s, 0, False


def _node_defs(graph: tf.Graph, order: list[tf.Operation]) -> list[Any]:
    """NodeDefs of ``order`` (fresh protos): one ``as_graph_def`` for a large share of the
    graph, else one ``op.node_def`` per op (cost proportional to the view)."""
    if len(order) * 3 >= graph.version:
        gd = graph.as_graph_def()
        by_name = {n.name: n for n in gd.node}
        return [by_name[op.name] for op in order]
    return [op.node_def for op in order]


def fast_copy(transformer: Any, info: Any, order: list[tf.Operation],
              copy_shape: bool, nodedef_fn: Any) -> None:
    """Copy ``order`` into ``info.graph_``; fills ``info.transformed_ops`` / ``_ts``."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _fast_copy(transformer, info, order, copy_shape, nodedef_fn)
    finally:
        if gc_was_enabled:
            gc.enable()


def _fast_copy(transformer: Any, info: Any, order: list[tf.Operation],
               copy_shape: bool, nodedef_fn: Any) -> None:
    src, dst = info.graph, info.graph_
    nodes = _node_defs(src, order)
    support.copy_functions(src, dst, nodes)

    inside_names = {op.name for op in order}
    info._inside_names_cache = inside_names
    names_map = info._names_map
    input_map: dict[tuple[str, int], tf.Tensor] = {}
    control_map: dict[str, tf.Operation] = {}
    ext_names: dict[tuple[str, int], str] = {}
    ext_ops: dict[str, str] = {}
    get_tensor = src.get_tensor_by_name
    unique = _tf.unique_name_at_root
    new_name = info.new_name
    same_graph = src is dst
    ts_handler_cache = info._input_cache

    # Pass 1, in copy order: external inputs (handlers may create placeholders), then the
    # op's own name -- the per-op path allocates names in exactly this sequence.
    parsed: list[list[tuple[str, int, bool]]] = []
    for op, node in zip(order, nodes):
        refs = [_parse_input(s) for s in node.input]
        parsed.append(refs)
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
            t = get_tensor(f"{name}:{index}")
            t_ = ts_handler_cache.get(id(t))
            if t_ is None:
                t_ = transformer._external_t(info, t)
            key = _EXT.format(len(ext_names) + len(ext_ops))
            ext_names[(name, index)] = key
            input_map[(key, 0)] = t_
        node.name = names_map[op.name] = unique(dst, new_name(op.name))

    # Pass 2: colocation / shared_name / frames, nodedef_fn, then rewire the inputs.
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(src.graph_def_versions)
    final_nodes = []
    for node, refs in zip(nodes, parsed):
        support.rewrite_node_def(info, node)
        if nodedef_fn is not None:
            node = nodedef_fn(node)
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

    new_ops = _tf.import_graph_def_fast(dst, out, input_map, control_map)
    by_name = {op_.name: op_ for op_ in new_ops}
    transformed_ops = info.transformed_ops
    original_ops = info._original_ops
    ts_map = info.transformed_ts._d
    ts_rev = info._original_ts._d
    for op in order:
        op_ = by_name[names_map[op.name]]
        transformed_ops[op] = op_
        original_ops[op_] = op
        outs_ = op_.outputs
        for t, t_ in zip(op.outputs, outs_):
            ts_map[id(t)] = (t, t_)
            ts_rev[id(t_)] = (t_, t)
            if copy_shape:
                t_.set_shape(t.shape)
    for op in order:
        orig = _tf.original_op(op)
        if orig is not None:
            op_ = transformed_ops[op]
            _tf.set_original_op(op_, transformer.transform_original_op_handler(info, orig))
