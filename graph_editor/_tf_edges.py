"""Private TensorFlow symbols of the edge edits' hot paths: edge updates and bulk reads.

Split out of :mod:`graph_editor._tf` (which re-exports every name here: the rest of the
library imports ``graph_editor._tf`` only). A reroute reads a few attributes of every
tensor and op it touches; TF's are pybind11 properties, and finding one through the class
costs about 30% of each read (119 vs 167 ns measured), so the bulk readers here call the
getters themselves (found once, through the class's MRO, as attribute lookup would) and fall
back to plain attribute access for any other class. The edge edits (``_edits``), the cycle
check, ``reroute``, ``util`` and the walks and copies that order ops by id use them.

Verified against TensorFlow 2.21.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

import tensorflow as tf
from tensorflow.python.framework import ops as _ops

__all__ = [
    "op_id",
    "op_ids",
    "graphs_of",
    "tensor_dtypes",
    "tensor_dims",
    "update_edges",
    "input_slots",
    "reader_moves",
    "add_control_edges",
    "remove_all_control_inputs",
]


def _getter(cls: type, name: str) -> Callable[[Any], Any]:
    """What ``obj.name`` reads for an instance of ``cls``, as a function of ``obj``: the
    getter of a property, the function of a method (``consumers``: call it with ``obj``),
    or ``attrgetter(name)`` when the class defines neither."""
    for klass in cls.__mro__:
        attr = vars(klass).get(name)
        if isinstance(attr, property) and attr.fget is not None:
            return attr.fget
        if attr is not None:
            return attr if callable(attr) else operator.attrgetter(name)
    return operator.attrgetter(name)


_TENSOR = _ops.SymbolicTensor  # the class of every tensor of a tf.Graph
_T_GRAPH = _getter(_TENSOR, "graph")
_T_OP = _getter(_TENSOR, "op")
_T_DTYPE = _getter(_TENSOR, "_dtype")
_T_SHAPE_VAL = _getter(_TENSOR, "_shape_val")
_T_CONSUMERS = _getter(_TENSOR, "consumers")
_OP_GRAPH = _getter(tf.Operation, "graph")
_ID_VALUE = operator.attrgetter("_id_value")  # an instance attribute: no getter to call
_DIMS = operator.attrgetter("_dims")

# The creation-order id of an op in its graph (``Operation._id``, i.e. ``_id_value``): a
# C-level getter, because the cycle check and the walks' windows call it per op.
op_id: Callable[[tf.Operation], int] = _ID_VALUE


# What a pybind11 getter raises for an object of another class. The fallbacks redo the whole
# read the plain way, so an error raised for another reason is raised again there.
_WRONG_CLASS = (TypeError, RuntimeError)


def _read(fast: Callable, attr: str, objs: list) -> list:
    """``[o.attr for o in objs]`` through ``fast`` (one of the getters above); plain
    attribute reads if an object is not of its class."""
    try:
        return list(map(fast, objs))
    except _WRONG_CLASS:
        return list(map(operator.attrgetter(attr), objs))


def graphs_of(objs: list) -> list:
    """``o.graph`` of each tensor or op, read in bulk (the getter picked by the first)."""
    if objs and type(objs[0]) is _TENSOR:
        return _read(_T_GRAPH, "graph", objs)
    return _read(_OP_GRAPH, "graph", objs)


def op_ids(ops: Iterable[Any]) -> list[int]:
    """The creation ids of ``ops`` (what :func:`op_id` reads: ``Operation._id_value``),
    read in one C-level ``map`` instead of one Python call per op."""
    return list(map(_ID_VALUE, ops))


def tensor_dtypes(ts: list) -> list:
    """``t.dtype`` of each tensor, read in one C-level ``map`` (``Tensor._dtype``)."""
    return _read(_T_DTYPE, "_dtype", ts)


def tensor_dims(ts: list) -> list:
    """The static shape of each tensor as ``TensorShape``'s dims tuple (None: unknown rank),
    read in bulk: ``Tensor._shape_val`` (filled by ``t.shape`` when TF has not yet), then
    ``TensorShape._dims``."""
    shapes = _read(_T_SHAPE_VAL, "_shape_val", ts)
    if any(map(operator.is_, shapes, repeat(None))):  # TensorShape's == is Python: no `in`
        for k, s in enumerate(shapes):
            if s is None:
                shapes[k] = ts[k].shape
    return list(map(_DIMS, shapes))


def update_edges(graph: tf.Graph, edits: list, done: list | None = None) -> None:
    """Set input ``i`` of ``op`` to ``t`` for each ``(op, i, t, ...)``: batched ``_update_input``.

    Same C call as ``op._update_input`` (``UpdateEdge``), with the graph lock taken once for
    the batch. TF checks that ``t`` is in the graph and that static shapes are compatible
    (``InvalidArgumentError`` otherwise); it does **not** check dtypes, cycles, or whether a
    Session already ran the op (it only logs). The number of edits completed (all, or those
    before the one that failed) is appended to ``done`` so that the caller can roll back.
    """
    from tensorflow.python.client import pywrap_tf_session

    update = pywrap_tf_session.UpdateEdge
    outputs: dict[int, Any] = {}  # id(t) -> its TF_Output, built once per tensor
    k = 0
    try:
        with graph._c_graph.get() as c_graph:  # noqa: SLF001
            for k, edit in enumerate(edits):  # noqa: B007 - k: the edits done if one fails
                op, i, t = edit[0], edit[1], edit[2]
                src = outputs.get(id(t))
                if src is None:
                    src = outputs[id(t)] = t._as_tf_output()  # noqa: SLF001
                update(c_graph, src, op._tf_input(i))  # noqa: SLF001
                # ``Operation._inputs_val`` caches ``op.inputs`` (a tuple); TF's own
                # ``_update_input`` drops it. Patch it instead, so that it stays warm.
                cached = op._inputs_val  # noqa: SLF001
                if cached is not None:
                    cached = list(cached)
                    cached[i] = t
                    op._inputs_val = tuple(cached)  # noqa: SLF001
        k = len(edits)
    finally:
        if done is not None:
            done.append(k)


def input_slots(op: tf.Operation, t: tf.Tensor) -> list[int]:
    """Indices of ``op``'s inputs that read ``t`` (``t`` compared by identity).

    Reads TF's Python-side cache of ``op.inputs`` (``Operation._inputs_val``), filling it
    if empty: :func:`update_edges` keeps it up to date, so repeated edits stay cheap (the
    cold read wraps each input in a Python tensor through a name lookup).
    """
    cached = op._inputs_val  # noqa: SLF001
    if cached is None:
        cached = op.inputs
    return [i for i, x in enumerate(cached) if x is t]


def reader_moves(moves: list, only: Any = None, skip: Any = None
                 ) -> tuple[list[tuple[tf.Operation, int, Any, tf.Tensor]], list, list, list]:
    """The input slots that read ``src``, for each ``(src, dst)`` of ``moves`` in order.

    Returns four lists with one entry per slot: ``(consumer, input index, dst, src)``, the
    new edge's producer (``dst.op``), its creation id and the consumer's creation id
    (:func:`op_id`; read here, while the objects are at hand, for the cycle check).
    Consumers come in TF's order, each once; those not in ``only`` (a set of ops, if given)
    or in ``skip`` are left out before their inputs are read. One loop over the consumers
    and TF's Python-side input caches (:func:`input_slots`).
    """
    try:
        return _reader_moves(moves, only, skip, _T_CONSUMERS, _T_OP)
    except _WRONG_CLASS:  # a tensor of another class than TF's graph tensors
        return _reader_moves(moves, only, skip, operator.methodcaller("consumers"),
                             operator.attrgetter("op"))


def _reader_moves(moves: list, only: Any, skip: Any, consumers_of: Callable,
                  op_of: Callable) -> tuple[list, list, list, list]:
    # One pass, move by move: each object's fields are read while it is in the CPU's
    # cache (reading them in separate bulk passes measured slower).
    out: list = []
    producers: list = []
    pids: list = []
    cids: list = []
    append, add_producer, add_pid, add_cid = (
        out.append, producers.append, pids.append, cids.append)
    for src, dst in moves:
        producer = op_of(dst)
        pid = producer._id_value  # noqa: SLF001
        seen = None  # the consumers that read src twice: TF lists them once per slot
        for op in consumers_of(src):
            if (only is not None and op not in only) or (skip is not None and op in skip):
                continue
            cached = op._inputs_val  # noqa: SLF001
            if cached is None:
                cached = op.inputs
            if len(cached) == 1:  # most ops: one slot, no scan
                if cached[0] is src:
                    append((op, 0, dst, src))
                    add_producer(producer)
                    add_pid(pid)
                    add_cid(op._id_value)  # noqa: SLF001
                continue
            if seen is not None and op in seen:
                continue
            cid = None
            for i, x in enumerate(cached):
                if x is src:
                    if cid is None:
                        cid = op._id_value  # noqa: SLF001
                    else:  # a second slot: skip the op when TF lists it again
                        seen = seen or set()
                        seen.add(op)
                    append((op, i, dst, src))
                    add_producer(producer)
                    add_pid(pid)
                    add_cid(cid)
    return out, producers, pids, cids


def add_control_edges(op: tf.Operation, control_ops: list) -> None:
    """``op._add_control_inputs(control_ops)`` (C ``AddControlInput``), in the given order.

    No cycle check, no duplicate check (TF ignores a duplicate), no Session check.
    """
    if control_ops:
        op._add_control_inputs(list(control_ops))  # noqa: SLF001


def remove_all_control_inputs(op: tf.Operation) -> None:
    """``op._remove_all_control_inputs()``: TF has no call that removes a single edge."""
    op._remove_all_control_inputs()  # noqa: SLF001
