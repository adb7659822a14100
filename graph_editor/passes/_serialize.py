"""Serialized NodeDefs built without parsing protos (not public API).

Passes that add many constants (:class:`NodeBatch`) serialize the ``Const`` NodeDefs
straight from the arrays' buffers (:func:`const_node_parts`), and read a ``Const``'s value
from its serialized NodeDef without parsing it (:func:`const_array`). Serialized GraphDefs
of a subset of live ops are built by :func:`graph_editor._graphdef.graph_def_bytes`.

Example::

    batch = NodeBatch(graph)
    w = batch.const("folded/weights", value, tf.float32)
    ops = batch.create()
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import graph_pb2, node_def_pb2, tensor_pb2

from graph_editor import _tf
from graph_editor._graphdef import varint as _varint

__all__ = ["const_node_parts", "NodeBatch", "const_array"]


def _len_field(tag: int, payload_len: int) -> bytes:
    """The tag and length of a length-delimited protobuf field."""
    return bytes([tag]) + _varint(payload_len)


def const_node_parts(name: str, value: Any, dtype: tf.DType) -> list:
    """A serialized ``Const`` NodeDef holding ``value``, as pieces to join.

    For numeric values the tensor bytes are the array's own buffer (no copy until the
    final join); other values go through ``tf.make_tensor_proto``.
    """
    node = node_def_pb2.NodeDef(name=name, op="Const")
    node.attr["dtype"].type = dtype.as_datatype_enum
    array = np.asarray(value)
    if dtype == tf.string or array.dtype == object or not dtype.is_numpy_compatible:
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, dtype=dtype))
        return [node.SerializeToString()]
    array = array.astype(dtype.as_numpy_dtype, order="C", copy=False)
    head = tensor_pb2.TensorProto(
        dtype=dtype.as_datatype_enum, tensor_shape=tf.TensorShape(array.shape).as_proto()
    ).SerializeToString()
    content = memoryview(array.reshape(-1).data).cast("B") if array.size else memoryview(b"")
    tensor_len = len(head) + 1 + len(_varint(content.nbytes)) + content.nbytes  # field 4
    attr_len = 1 + len(_varint(tensor_len)) + tensor_len  # AttrValue.tensor, field 8
    key = b"\x0a\x05value"  # map entry: key (field 1) "value"
    entry_len = len(key) + 1 + len(_varint(attr_len)) + attr_len  # value: field 2
    return [
        node.SerializeToString(),
        _len_field(0x2A, entry_len), key,  # NodeDef.attr, field 5
        _len_field(0x12, attr_len),
        _len_field(0x42, tensor_len), head,
        _len_field(0x22, content.nbytes), content,
    ]


class NodeBatch:
    """New ops built as NodeDefs and created together by one C import into ``graph``.

    Creating ops one at a time through TF's Python op constructors costs about a
    millisecond each; a pass that adds hundreds of ops (a folded conv, its weights and its
    bias per batch norm) imports them in one go instead, the constants' values serialized
    straight from their arrays. Inputs from the existing graph go through the import's
    ``input_map``; names are made unique (and marked used) when added.

    Example::

        batch = NodeBatch(graph)
        w = batch.const("conv_folded/weights", value, tf.float32)
        out = batch.add(node_def, [batch.external(x), w])
        ops = batch.create()          # {name: new op}
    """

    def __init__(self, graph: tf.Graph) -> None:
        self.graph = graph
        head = graph_pb2.GraphDef()
        head.versions.CopyFrom(graph.graph_def_versions)
        self._parts: list = [head.SerializeToString()]
        self._count = 0
        self._input_map: dict = {}
        self._keys: dict = {}  # id(tensor) -> input_map key

    def external(self, t: tf.Tensor) -> str:
        """The input string by which new nodes read ``t``, an existing tensor."""
        key = self._keys.get(id(t))
        if key is None:
            key = self._keys[id(t)] = f"__ge_pass_input_{len(self._keys)}__"
            self._input_map[(key, 0)] = t
        return key

    def _append(self, pieces: list) -> None:
        self._parts.append(_len_field(0x0A, sum(len(memoryview(p)) for p in pieces)))
        self._parts.extend(pieces)
        self._count += 1

    def add(self, node_def: Any, inputs: list[str]) -> str:
        """Add ``node_def`` (renamed unique; its inputs replaced by ``inputs``)."""
        node = node_def_pb2.NodeDef()
        node.CopyFrom(node_def)
        node.name = _tf.unique_name_at_root(self.graph, node_def.name)
        del node.input[:]
        node.input.extend(inputs)
        self._append([node.SerializeToString()])
        return node.name

    def const(self, name: str, value: Any, dtype: tf.DType) -> str:
        """Add a ``Const`` named (uniquely) after ``name`` holding ``value``."""
        name = _tf.unique_name_at_root(self.graph, name)
        self._append(const_node_parts(name, value, dtype))
        return name

    def __len__(self) -> int:
        return self._count

    def create(self) -> dict:
        """Create every node added; returns ``{name: new op}``."""
        if not self._count:
            return {}
        data = b"".join(self._parts)
        self._parts = self._parts[:1]
        self._count = 0
        ops = _tf.import_graph_def_bytes(self.graph, data, self._input_map)
        return {op.name: op for op in ops}


# ----- reading a Const's value from its serialized NodeDef ---------------------------------------


def _read_varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf: memoryview, pos: int, end: int) -> Any:
    """``(field number, wire type, value)`` of the message in ``buf[pos:end]``: an int for
    varints, a ``(start, end)`` span for length-delimited fields, None for fixed-size."""
    value: int | tuple[int, int] | None
    while pos < end:
        key, pos = _read_varint(buf, pos)
        wire = key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            value, pos = (pos, pos + n), pos + n
        elif wire in (1, 5):
            value, pos = None, pos + (8 if wire == 1 else 4)
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield key >> 3, wire, value


def _shape_dims(buf: memoryview, span: tuple) -> list | None:
    dims = []
    for field_no, _, value in _fields(buf, *span):
        if field_no == 3 and value:  # unknown_rank
            return None
        if field_no == 2:  # dim
            size = 0
            for f, _, v in _fields(buf, *value):
                if f == 1:
                    size = v - (1 << 64) if v >= 1 << 63 else v
            if size < 0:
                return None
            dims.append(size)
    return dims


def _tensor_content_array(buf: memoryview, span: tuple) -> np.ndarray | None:
    dtype = dims = content = None
    for field_no, _, value in _fields(buf, *span):
        if field_no == 1:
            dtype = value
        elif field_no == 2:
            dims = _shape_dims(buf, value)
        elif field_no == 4:
            content = value
        elif field_no != 3:  # values in typed fields (float_val...): not handled here
            return None
    if dtype is None or dims is None or content is None:
        return None
    try:
        tf_dtype = tf.as_dtype(dtype)
    except TypeError:
        return None
    if not tf_dtype.is_numpy_compatible or tf_dtype == tf.string:
        return None
    np_dtype = np.dtype(tf_dtype.as_numpy_dtype)
    if content[1] - content[0] != math.prod(dims) * np_dtype.itemsize:
        return None
    return np.frombuffer(buf[content[0]:content[1]], dtype=np_dtype).reshape(dims)


def const_array(node_def_bytes: bytes) -> np.ndarray | None:
    """The value of a serialized ``Const`` NodeDef stored as ``tensor_content``, as a
    read-only array viewing ``node_def_bytes`` (no copy); None if stored otherwise."""
    buf = memoryview(node_def_bytes)
    for field_no, wire, span in _fields(buf, 0, len(buf)):
        if field_no != 5 or wire != 2:  # NodeDef.attr map entries
            continue
        key = value = None
        for f, _, v in _fields(buf, *span):
            if f == 1:
                key = bytes(buf[v[0]:v[1]])
            elif f == 2:
                value = v
        if key != b"value" or value is None:
            continue
        for f, w, v in _fields(buf, *value):
            if f == 8 and w == 2:  # AttrValue.tensor
                return _tensor_content_array(buf, v)
        return None
    return None
