"""GraphDef-level helpers (private): NodeDef input strings, the backward walk to what some
outputs need, GraphDef subsets and graph copies.

A ``NodeDef.input`` string is ``"name"`` (output 0), ``"name:k"`` (output ``k``) or
``"^name"`` (a control input): :func:`parse_input`. The backward walk (:func:`closure`) is
one iterative, linear loop; :func:`needed_nodes` runs it over a GraphDef's NodeDefs and
:func:`needed_ops` over a live graph's ops. A subset is a GraphDef with the source's
``versions`` and function ``library`` and only the kept nodes: :func:`subset` filters a
parsed GraphDef, :func:`graph_def_bytes` serializes live ops' NodeDefs without parsing them
(on a frozen model that skips parsing and re-serializing every weight), and
:func:`extract` imports such a subset into a new ``tf.Graph``.

Example::

    gd = graph.as_graph_def()
    names = needed_nodes({n.name: n for n in gd.node}, ["logits"])
    small = import_graph(subset(gd, names))
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from typing import Any, TypeVar

import tensorflow as tf
from tensorflow.core.framework import graph_pb2

from graph_editor import _tf

__all__ = [
    "parse_input",
    "closure",
    "needed_nodes",
    "needed_ops",
    "subset",
    "varint",
    "node_field",
    "graph_def_bytes",
    "extract",
    "import_graph",
    "copy_graph",
]

_Node = TypeVar("_Node", bound=Hashable)


def parse_input(s: str) -> tuple[str, int, bool]:
    """A ``NodeDef.input`` string as ``(node name, output index, is control)``.

    ``"^x"`` -> ``("x", -1, True)``; ``"x:2"`` -> ``("x", 2, False)``; ``"x"`` ->
    ``("x", 0, False)``.
    """
    if s[0] == "^":
        return s[1:], -1, True
    name, colon, index = s.rpartition(":")
    if colon and index.isdigit():
        return name, int(index), False
    return s, 0, False


def closure(roots: Iterable[_Node], preds: Callable[[_Node], Iterable[_Node]]) -> set[_Node]:
    """``roots`` and everything reachable from them through ``preds`` (iterative, linear).

    ``preds(node)`` gives the nodes ``node`` needs; it is called once per node reached.
    """
    seen: set[_Node] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(preds(node))
    return seen


def needed_nodes(
    nodes: Mapping[str, Any],
    roots: Iterable[str],
    *,
    fed: Collection[tuple[str, int]] = (),
    drop_control: Collection[tuple[str, str]] = (),
) -> set[str]:
    """Names of the NodeDefs ``roots`` need (inclusive), through data and control inputs.

    Args:
        nodes: node name -> ``NodeDef`` (e.g. ``{n.name: n for n in gd.node}``).
        roots: names of the nodes to start from (each must be in ``nodes``).
        fed: ``(node name, output index)`` pairs given from outside: the walk does not go
            through such an input (the node is still reached if something else needs it).
        drop_control: ``(node, control input)`` name pairs: control edges not followed.

    Reading ``NodeDef.input`` strings is several times cheaper than ``op.inputs``, which
    builds tensor lists in Python.
    """

    parse = parse_input

    def preds(name: str) -> list[str]:
        out = []
        for inp in nodes[name].input:
            src, index, control = parse(inp)
            if control:
                if (name, src) not in drop_control:
                    out.append(src)
            elif (src, index) not in fed:
                out.append(src)
        return out

    return closure(roots, preds)


def needed_ops(
    roots: Iterable[tf.Operation], stops: Collection[tf.Operation] = ()
) -> set[tf.Operation]:
    """The ops ``roots`` need (inclusive) through data and control inputs in a live graph;
    ops in ``stops`` are kept but the walk does not go past them."""

    def preds(op: tf.Operation) -> list[tf.Operation]:
        if op in stops:
            return []
        return [t.op for t in op.inputs] + list(op.control_inputs)

    return closure(roots, preds)


def subset(
    graph_def: Any, keep: Collection[str] | None = None, drop: Collection[str] = ()
) -> Any:
    """A new GraphDef with ``graph_def``'s versions and library and the nodes named in
    ``keep`` (all when None) and not in ``drop``, in their order (copies)."""
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(
        n for n in graph_def.node if (keep is None or n.name in keep) and n.name not in drop
    )
    return out


def varint(n: int) -> bytes:
    """``n`` (>= 0) as a protobuf varint."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def node_field(node_def_bytes: bytes) -> list[bytes]:
    """The pieces of one ``node`` field (tag, length, NodeDef bytes) of a GraphDef."""
    return [b"\x0a" + varint(len(node_def_bytes)), node_def_bytes]


def graph_def_bytes(graph: tf.Graph, ops: Iterable[tf.Operation], replace: Any = None) -> bytes:
    """A serialized GraphDef of ``graph``'s versions and library and the NodeDefs of ``ops``.

    A serialized GraphDef is the concatenation of its fields; each ``node`` is field 1, a
    length-delimited NodeDef, here the op's own serialized NodeDef
    (:func:`graph_editor._tf.node_def_bytes`), never parsed.

    Args:
        graph: the source graph (its ``versions``; its function library if it has one).
        ops: the ops to copy, in the order their NodeDefs should appear.
        replace: optional ``{op: NodeDef}`` written instead of those ops' own NodeDefs.
    """
    head = graph_pb2.GraphDef()
    head.versions.CopyFrom(graph.graph_def_versions)
    if _tf.graph_functions(graph):
        head.library.CopyFrom(graph.as_graph_def().library)
    parts = [head.SerializeToString()]
    replace = replace or {}
    for op in ops:
        node = replace.get(op)
        data = _tf.node_def_bytes(op) if node is None else node.SerializeToString()
        parts.extend(node_field(data))
    return b"".join(parts)


def extract(graph: tf.Graph, ops: Iterable[tf.Operation], replace: Any = None) -> tf.Graph:
    """A new ``tf.Graph`` holding ``ops`` of ``graph`` (names kept, creation order kept),
    with ``graph``'s versions and library; ``replace`` as in :func:`graph_def_bytes`."""
    new = tf.Graph()
    ordered = sorted(ops, key=_tf.op_id)
    _tf.import_graph_def_bytes(new, graph_def_bytes(graph, ordered, replace))
    return new


def import_graph(graph_def: Any) -> tf.Graph:
    """A new ``tf.Graph`` imported from ``graph_def``, names unchanged."""
    new = tf.Graph()
    with new.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    return new


def copy_graph(graph: tf.Graph) -> tf.Graph:
    """A new ``tf.Graph`` with the same ops and names (GraphDef round trip)."""
    return import_graph(graph.as_graph_def())
