"""The data behind the offline viewer: ops, folded plumbing, edges and the scope tree.

:func:`graph_side` turns a graph (or some of its ops) into plain dicts and lists that
:mod:`graph_editor.viewer` embeds, as JSON, in the HTML page; :func:`merge_sides` merges a
before and an after side into one diff side. Nothing here draws.

Folding: captured variable handles (resource placeholders, ``VarHandleOp``), the
``ReadVariableOp`` s reading them, and ``Const`` s with one consumer are not drawn; each is
listed as a badge of the ops that read it. Call plumbing (``Func/.../input/_0`` identities
left by inlining) is bypassed: its consumers are wired to its input.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import tensorflow as tf

from graph_editor import _tf, util

__all__ = ["graph_side", "merge_sides", "keras_layer_types", "initial_expanded"]

_VAR_SOURCES = frozenset({"VarHandleOp"})
_TEXT_MAX = 80
_PREVIEW_MAX = 16

#: Op types that name what a scope does, most telling first (a scope without a known Keras
#: layer is labelled with the first of these among its ops).
_MAIN_TYPES = (
    "Conv2D",
    "Conv3D",
    "DepthwiseConv2dNative",
    "Conv2DBackpropInput",
    "MatMul",
    "BatchMatMulV2",
    "Einsum",
    "FusedBatchNormV3",
    "FusedBatchNorm",
    "MaxPool",
    "AvgPool",
    "Softmax",
    "Mean",
    "ConcatV2",
    "Relu",
    "Relu6",
    "Sigmoid",
    "Tanh",
    "Elu",
    "Selu",
    "Pad",
    "Reshape",
    "Transpose",
    "AddV2",
    "Add",
    "Mul",
)
_MAIN_RANK = {t: i for i, t in enumerate(_MAIN_TYPES)}


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------


def _clip(text: str, width: int = _TEXT_MAX) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def shape_text(shape: tf.TensorShape) -> str:
    if shape.rank is None:
        return "[?]"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


def tensor_text(t: tf.Tensor) -> str:
    return f"{t.dtype.name}{shape_text(t.shape)}"


def _dtype_name(enum: int) -> str:
    try:
        return tf.dtypes.as_dtype(enum).name
    except TypeError:
        return f"dtype{enum}"


def _tensor_proto_text(proto: Any) -> str:
    shape = tf.TensorShape(proto.tensor_shape)
    text = f"{_dtype_name(proto.dtype)}{shape_text(shape)}"
    size = shape.num_elements()
    if size is not None and size <= _PREVIEW_MAX:
        try:
            value = tf.make_ndarray(proto)
        except (TypeError, ValueError):
            return text
        if value.dtype == object:
            value = np.vectorize(lambda b: b.decode("utf-8", "replace"))(value)
        text += " = " + str(value.tolist()).replace(" ", "")
    return _clip(text)


def _attr_text(value: Any) -> str:
    kind = value.WhichOneof("value")
    if kind == "type":
        return _dtype_name(value.type)
    if kind == "shape":
        return shape_text(tf.TensorShape(value.shape))
    if kind == "tensor":
        return _tensor_proto_text(value.tensor)
    if kind == "func":
        return f"func {value.func.name}"
    if kind == "s":
        return _clip(value.s.decode("utf-8", "replace"))
    if kind == "list":
        lst = value.list
        items = [_dtype_name(x) for x in lst.type]
        items += [shape_text(tf.TensorShape(x)) for x in lst.shape]
        items += [x.decode("utf-8", "replace") for x in lst.s]
        items += [str(x) for x in (*lst.i, *lst.f, *lst.b)]
        items += [f"func {x.name}" for x in lst.func]
        items += [f"tensor<{_dtype_name(x.dtype)}>" for x in lst.tensor]
        return _clip("[" + ", ".join(items) + "]")
    if kind is None:
        return ""
    return _clip(str(getattr(value, kind)))


def _attrs(op: tf.Operation) -> dict[str, str]:
    return {k: _attr_text(v) for k, v in sorted(op.node_def.attr.items())}


# --------------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------------


def _variable_names(graph: tf.Graph) -> dict[str, str]:
    """Captured-handle placeholder op name -> variable name, for a FuncGraph."""
    handles = {}
    for v in _tf.func_graph_variables(graph):
        try:
            handles[id(v.handle)] = v.name.split(":")[0]
        except (AttributeError, ValueError):
            continue
    names = {}
    for external, internal in _tf.func_graph_captures(graph):
        name = handles.get(id(external))
        if name is not None:
            names[internal.op.name] = name
    return names


def _is_var_source(op: tf.Operation) -> bool:
    if op.type in _VAR_SOURCES:
        return True
    if op.type != "Placeholder" or not op.outputs:
        return False
    return op.outputs[0].dtype == tf.resource


def _consumers_inside(op: tf.Operation, inside: set) -> list[tf.Operation]:
    return [c for t in op.outputs for c in t.consumers() if c in inside]


def _fold_kinds(ops: list[tf.Operation], inside: set) -> dict[str, str]:
    """op name -> 'var' (handle), 'read' (variable read), 'const', 'bypass' (an identity of
    call plumbing, skipped over) or 'plumb' (a NoOp of call plumbing, hidden)."""
    kinds: dict[str, str] = {}
    for op in ops:
        if not op.name.startswith("Func/"):
            continue
        if op.type == "Identity" and len(op.inputs) == 1 and not op.control_inputs:
            kinds[op.name] = "bypass"
        elif op.type == "NoOp":
            kinds[op.name] = "plumb"
    for op in ops:
        if op.name not in kinds and _is_var_source(op) and _consumers_inside(op, inside):
            kinds[op.name] = "var"
    for op in ops:
        if op.name in kinds:
            continue
        if (
            op.type == "ReadVariableOp"
            and kinds.get(_through_bypass(op.inputs[0], kinds).op.name) == "var"
            and not op.control_inputs
            and _consumers_inside(op, inside)
        ):
            kinds[op.name] = "read"
        elif (
            op.type == "Const"
            and not op.control_inputs
            and len(_consumers_inside(op, inside)) == 1
            and not _tf.control_outputs(op)
        ):
            kinds[op.name] = "const"
    return kinds


def _through_bypass(t: tf.Tensor, kinds: dict[str, str]) -> tf.Tensor:
    seen = 0
    while kinds.get(t.op.name) == "bypass" and seen < 1000:
        t = t.op.inputs[0]
        seen += 1
    return t


def _folded_badge(t: tf.Tensor, kinds: dict[str, str], var_names: dict[str, str]) -> list:
    """``[kind, label, text, params]`` for a folded producer of ``t``."""
    op = t.op
    kind = kinds[op.name]
    if kind == "const":
        return ["const", op.name, _tensor_proto_text(op.get_attr("value")), 0]
    source = _through_bypass(op.inputs[0], kinds).op if kind == "read" else op
    label = var_names.get(source.name, source.name)
    if kind == "read":
        n = t.shape.num_elements() or 0
        return ["var", label, tensor_text(t), int(n)]
    return ["var", label, "resource", 0]


# --------------------------------------------------------------------------------------------
# One graph
# --------------------------------------------------------------------------------------------


def _op_record(op, kinds, var_names, inside, names_in) -> tuple[dict, list]:
    """The op's dict and its edges ``[src name, dst name, tensor, text, control]``."""
    ins, folded, edges = [], [], []
    for t in op.inputs:
        ins.append([t.name, tensor_text(t)])
        src_t = _through_bypass(t, kinds)
        kind = kinds.get(src_t.op.name)
        if kind in ("var", "read", "const") and src_t.op in inside:
            folded.append(_folded_badge(src_t, kinds, var_names))
        elif src_t.op.name in names_in:
            edges.append([src_t.op.name, op.name, src_t.name, tensor_text(src_t), 0])
    for c in op.control_inputs:
        ins.append(["^" + c.name, "control"])
        if c.name in names_in and c.name not in kinds:
            edges.append([c.name, op.name, "^" + c.name, "control", 1])
    record = {
        "n": op.name,
        "t": op.type,
        "o": [tensor_text(t) for t in op.outputs],
        "i": ins,
        "a": _attrs(op),
    }
    if op.device:
        record["d"] = op.device
    if folded:
        record["f"] = folded
    return record, edges


def graph_side(
    graph: tf.Graph, ops: list[tf.Operation], fold: bool = True, raw: bool = False
) -> dict:
    """The ops of ``graph`` to show: ``{"ops": [...], "edges": [...], "folded": {...}}``.

    ``ops`` lists the visible ops' records, ``edges`` the edges between them (through
    bypassed plumbing), ``folded`` maps each folded op's name to its kind; with ``raw``,
    ``raw`` holds what :func:`diff_sets` compares.
    """
    inside = set(ops)
    kinds = _fold_kinds(ops, inside) if fold else {}
    var_names = _variable_names(graph)
    names_in = {op.name for op in ops}
    records, edges = [], []
    for op in ops:
        if op.name in kinds:
            continue
        record, op_edges = _op_record(op, kinds, var_names, inside, names_in)
        records.append(record)
        edges.extend(op_edges)
    # Ops read through a bypass are shown; edges from bypassed ops were re-routed above.
    side = {"ops": records, "edges": edges, "folded": kinds}
    if raw:
        side["raw"] = _raw_inputs(ops)
    return side


def _raw_inputs(ops: list[tf.Operation]) -> dict[str, tuple]:
    """op name -> (type, data input names, sorted control input names, attrs bytes)."""
    raw = {}
    for op in ops:
        nd = op.node_def
        attrs = b"".join(
            k.encode() + v.SerializeToString(deterministic=True) for k, v in sorted(nd.attr.items())
        )
        raw[op.name] = (
            op.type,
            tuple(t.name for t in op.inputs),
            tuple(sorted(c.name for c in op.control_inputs)),
            attrs,
        )
    return raw


# --------------------------------------------------------------------------------------------
# Before / after
# --------------------------------------------------------------------------------------------


def diff_sets(before: dict, after: dict) -> dict[str, list[str]]:
    """``{"added", "removed", "rewired", "changed"}`` op names (every op, folded ones too)."""
    b_raw, a_raw = before["raw"], after["raw"]
    added = [n for n in a_raw if n not in b_raw]
    removed = [n for n in b_raw if n not in a_raw]
    rewired, changed = [], []
    for name, (a_type, a_in, a_ctl, a_attrs) in a_raw.items():
        old = b_raw.get(name)
        if old is None:
            continue
        if (a_in, a_ctl) != (old[1], old[2]):
            rewired.append(name)
        elif a_type != old[0] or a_attrs != old[3]:
            changed.append(name)
    return {"added": added, "removed": removed, "rewired": rewired, "changed": changed}


def merge_sides(before: dict, after: dict) -> tuple[dict, dict[str, list[str]]]:
    """One side showing both graphs: after's ops, then before's removed ones, with statuses."""
    sets = diff_sets(before, after)
    status = {n: "added" for n in sets["added"]}
    status.update({n: "removed" for n in sets["removed"]})
    status.update({n: "rewired" for n in sets["rewired"]})
    status.update({n: "changed" for n in sets["changed"]})
    before_ops = {r["n"]: r for r in before["ops"]}
    ops = []
    for r in after["ops"]:
        r = dict(r)
        if r["n"] in status:
            r["st"] = status[r["n"]]
        if r.get("st") == "rewired" and r["n"] in before_ops:
            r["bi"] = before_ops[r["n"]]["i"]
        ops.append(r)
    removed = set(sets["removed"])
    ops += [dict(r, st="removed") for r in before["ops"] if r["n"] in removed]
    shown = {r["n"] for r in ops}

    def key(e: list) -> tuple:
        return (e[0], e[1], e[2], e[4])

    before_keys = {key(e) for e in before["edges"]}
    after_keys = {key(e) for e in after["edges"]}
    edges = [e + (["added"] if key(e) not in before_keys else []) for e in after["edges"]]
    edges += [
        [*e, "removed"]
        for e in before["edges"]
        if key(e) not in after_keys and e[0] in shown and e[1] in shown
    ]
    folded = dict(before["folded"])
    folded.update(after["folded"])
    return {"ops": ops, "edges": edges, "folded": folded}, sets


# --------------------------------------------------------------------------------------------
# Scopes
# --------------------------------------------------------------------------------------------


def _strip_suffix(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


def keras_layer_types(model: Any, scope_paths: list[str]) -> dict[str, tuple[str, int, str]]:
    """Scope path -> (layer class, parameter count, layer name) for scopes named after layers.

    ``scope_paths`` are parents first. A top-level scope matches the model's name, a scope
    inside a matched model matches one of its layers (TF adds ``_1`` suffixes to names).
    """
    found: dict[str, Any] = {}
    tables: dict[str, dict] = {"": {model.name: model}}  # parent path -> {layer name: layer}
    for path in scope_paths:
        parent = util.scope_dirname(path)[:-1]
        if parent not in tables:
            if parent not in found:
                continue
            layers = getattr(found[parent], "layers", None) or []
            tables[parent] = {getattr(layer, "name", None): layer for layer in layers}
        by_name = tables[parent]
        base = util.scope_basename(path)
        layer = by_name.get(base) or by_name.get(_strip_suffix(base))
        if layer is not None:
            found[path] = layer
    result = {}
    for path, layer in found.items():
        try:
            params = int(layer.count_params())
        except (ValueError, AttributeError, TypeError):
            params = -1
        result[path] = (type(layer).__name__, params, str(layer.name))
    return result


def _main_type(types: dict[str, int]) -> str:
    ranked = [t for t in types if t in _MAIN_RANK]
    if ranked:
        return min(ranked, key=_MAIN_RANK.__getitem__)
    return max(types.items(), key=lambda kv: (kv[1], kv[0]))[0] if types else ""


def build_scopes(side: dict, layer_types: dict[str, tuple[str, int, str]]) -> list[dict]:
    """Add ``"s"`` (scope index, -1 at top) to each op record; return the scope records.

    A scope record: ``n`` (path, no trailing ``/``), ``p`` (parent index), ``k`` (Keras layer
    class or ``""``), ``ln`` (the layer's name, when it differs from the scope's last part),
    ``ty`` (main op type), ``pc`` (parameter count), ``c`` (ops inside, folded ones not
    counted), ``sh`` (text of its first output tensor).
    """
    index: dict[str, int] = {}
    scopes: list[dict] = []

    def scope_of(path: str) -> int:
        if not path:
            return -1
        if path in index:
            return index[path]
        parent = scope_of(util.scope_dirname(path)[:-1])
        index[path] = len(scopes)
        scopes.append({"n": path, "p": parent, "k": "", "c": 0, "types": {}, "vars": {}})
        return index[path]

    for r in side["ops"]:
        r["s"] = scope_of(util.scope_dirname(r["n"])[:-1])
        s = r["s"]
        while s >= 0:
            sc = scopes[s]
            sc["c"] += 1
            sc["types"][r["t"]] = sc["types"].get(r["t"], 0) + 1
            for badge in r.get("f", ()):
                if badge[0] == "var":
                    sc["vars"][badge[1]] = badge[3]
            s = sc["p"]
    _scope_outputs(side, scopes)
    for sc in scopes:
        k = layer_types.get(sc["n"])
        sc["k"] = k[0] if k else ""
        if k and k[2] != util.scope_basename(sc["n"]):
            sc["ln"] = k[2]
        sc["pc"] = k[1] if k and k[1] >= 0 else sum(sc["vars"].values())
        sc["ty"] = _main_type(sc.pop("types"))
        del sc["vars"]
    return scopes


def _scope_outputs(side: dict, scopes: list[dict]) -> None:
    """Set ``sh``: the text of the first tensor leaving each scope (in op order)."""
    by_name = {r["n"]: r for r in side["ops"]}
    consumed = set()
    for src, dst, _tensor, text, ctl, *_ in side["edges"]:
        if ctl:
            continue
        consumed.add(src)
        s = by_name[src]["s"]
        dst_chain = set()
        d = by_name[dst]["s"]
        while d >= 0:
            dst_chain.add(d)
            d = scopes[d]["p"]
        while s >= 0 and s not in dst_chain:
            scopes[s].setdefault("sh", text)
            s = scopes[s]["p"]
    for r in side["ops"]:  # ops nobody reads: the graph's outputs
        if r["n"] not in consumed and r["o"]:
            s = r["s"]
            while s >= 0:
                scopes[s].setdefault("sh", r["o"][0])
                s = scopes[s]["p"]


def initial_expanded(scopes: list[dict], n_ops: int, expand: Any) -> list[int]:
    """Scope indices shown open at first: ``expand`` names (and their parents), ``"all"``,
    or (None) the wrappers: scopes holding at least half of all the drawn ops."""
    if expand == "all":
        return list(range(len(scopes)))
    opened: set[int] = set()
    if expand is None:
        for i, sc in enumerate(scopes):
            parent_open = sc["p"] < 0 or sc["p"] in opened
            if parent_open and n_ops > 12 and sc["c"] * 2 >= n_ops:
                opened.add(i)
        return sorted(opened)
    index = {sc["n"]: i for i, sc in enumerate(scopes)}
    for name in expand:
        i = index[name.rstrip("/")]
        while i >= 0:
            opened.add(i)
            i = scopes[i]["p"]
    return sorted(opened)
