"""Group the ops of a Keras / TF2 graph into layers: the layer-level picture's model.

A traced Keras 3 model puts each layer's ops under ``<model>/<layer>_N/...`` (TF makes the
scope names unique with a ``_N`` suffix); a SavedModel signature inlined by
``ge.saved_model.load`` or the CLI adds ``StatefulPartitionedCall/`` in front and
``Func/StatefulPartitionedCall/input/_0`` identities around it. This module finds that
structure in the graph alone (a Keras model, when known, only names the layer classes):

* the *model root*: the scope under which the layers live (``mobilenetv2_1.00_96_1/``),
  found by descending from the top while one scope holds everything;
* one :class:`LayerNode` per layer scope under the root (nested models are opened into their
  own layers), one per input placeholder, and one per op outside any layer;
* folded away, never drawn: the captured-variable placeholders (``..._ReadVariableOp_resource``,
  ``unknown_0``), variable reads outside a layer, call plumbing (``Func/...`` identities,
  the function's output ``Identity`` and ``NoOp``) and constants outside a layer. Each folded
  op is listed in the ``folded`` of the node it belongs to, and the variables a layer reads
  give its parameter count.

Private: ``visualize`` draws it, and the HTML viewer reuses :func:`layer_nodes`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Set
from typing import Any

import tensorflow as tf

from graph_editor import _tf

__all__ = [
    "LayerEdge",
    "LayerNode",
    "LayerView",
    "layer_nodes",
    "layer_view",
    "keras_layer_info",
    "regroup",
]

_CALL_SCOPE = re.compile(r"^(?:Stateful)?PartitionedCall(?:_\d+)?$")
_UNIQUE_SUFFIX = re.compile(r"_\d+$")
_PLACEHOLDERS = frozenset({"Placeholder", "PlaceholderWithDefault"})
_VARIABLE_OPS = frozenset({"VarHandleOp", "VariableV2", "Variable"})
_PLUMBING = frozenset({"Identity", "IdentityN", "NoOp"})
_AUX = frozenset({"Const", "ReadVariableOp"})
#: A layer scope with no op of its own and at least this many sub-scopes holding ops is a
#: nested model: its sub-scopes are drawn as layers.
_NESTED_MIN_CHILDREN = 4

# Layer type guessed from op types, first match wins (a Keras model, when given, is exact).
_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("FusedBatchNormV3", "BatchNormalization"),
    ("FusedBatchNorm", "BatchNormalization"),
    ("DepthwiseConv2dNative", "DepthwiseConv2D"),
    ("Conv2DBackpropInput", "Conv2DTranspose"),
    ("Conv3DBackpropInputV2", "Conv3DTranspose"),
    ("Conv2D", "Conv2D"),
    ("Conv3D", "Conv3D"),
    ("Einsum", "EinsumDense"),
    ("MatMul", "Dense"),
    ("BatchMatMulV2", "Dense"),
    ("MaxPool", "MaxPooling2D"),
    ("AvgPool", "AveragePooling2D"),
    ("MaxPool3D", "MaxPooling3D"),
    ("AvgPool3D", "AveragePooling3D"),
    ("ConcatV2", "Concatenate"),
    ("Pad", "ZeroPadding2D"),
    ("ResourceGather", "Embedding"),
)
_SKIP_IN_TYPE = frozenset({"Const", "ReadVariableOp", "Identity", "Shape", "NoOp"})


@dataclasses.dataclass
class LayerEdge:
    """A tensor (or control dependency) from node ``src`` into op ``dst_op`` of another node.

    ``tensor`` is the producer's tensor, seen through call-plumbing identities; None for a
    control edge.
    """

    src: str
    tensor: tf.Tensor | None
    dst_op: tf.Operation

    @property
    def control(self) -> bool:
        return self.tensor is None


@dataclasses.dataclass
class LayerNode:
    """One node of the layer-level picture.

    Attributes:
        id: unique key: a layer's logical scope path with a trailing ``/``
            (``"mobilenetv2_1.00_96_1/Conv1_1/"``), or an op name for ``input`` / ``op``.
        name: what to show: the Keras layer name (``"Conv1"``; nested models' layers as
            ``"inner/dense"``), or the op name.
        kind: ``"layer"``, ``"input"`` (a data placeholder), ``"op"`` (outside any layer)
            or ``"group"`` (a nested model's layers drawn as one, by ``collapse_depth``).
        type: the Keras class when known, else guessed from the ops (``"Conv2D"``,
            ``"BatchNormalization"``) or the main op types (``"Relu6"``, ``"AddV2"``).
        scope: the TF name scope of its ops (``"mobilenetv2_1.00_96_1/Conv1_1/"``, with any
            ``StatefulPartitionedCall/`` prefix); ``""`` for an input or op node.
        ops: its ops, drawn when the node is expanded (graph order).
        folded: ops folded into it and never drawn: variable placeholders, reads and
            constants from outside its scope, call-plumbing identities.
        outputs: its tensors read by other nodes or returned by the graph.
        variables: ``(variable placeholder name, shape)`` of each variable it reads.
        params: total size of those variables (None when a shape is unknown).
        inputs: edges from other nodes into its ops.
    """

    id: str
    name: str
    kind: str
    type: str
    scope: str
    ops: list = dataclasses.field(default_factory=list)
    folded: list = dataclasses.field(default_factory=list)
    outputs: list = dataclasses.field(default_factory=list)
    variables: list = dataclasses.field(default_factory=list)
    params: int | None = 0
    inputs: list = dataclasses.field(default_factory=list)

    @property
    def output_shapes(self) -> list[tuple[int | None, ...] | None]:
        """Shapes of :attr:`outputs` (tuples with None for unknown dims; None: unknown rank)."""
        return [None if t.shape.rank is None else tuple(t.shape.as_list()) for t in self.outputs]


@dataclasses.dataclass
class LayerView:
    """The layer structure of a graph: nodes in graph order and each op's node."""

    graph: tf.Graph
    root: str
    nodes: list
    node_of: dict  # op name -> node id, for the ops of the nodes (folded ops are not here)
    plumbing: frozenset = frozenset()  # names of call-plumbing ops
    variables: frozenset = frozenset()  # names of variable ops (captured placeholders)

    def by_id(self) -> dict[str, LayerNode]:
        return {n.id: n for n in self.nodes}


# --------------------------------------------------------------------------------------------
# Keras model info
# --------------------------------------------------------------------------------------------


def keras_layer_info(model: Any) -> dict[str, tuple[str, bool]]:
    """``{layer name: (class name, is a nested model)}``, nested models' layers as ``inner/x``."""
    info: dict[str, tuple[str, bool]] = {}
    stack = [("", model)]
    while stack:
        prefix, m = stack.pop()
        for layer in getattr(m, "layers", []):
            name = prefix + layer.name
            nested = bool(getattr(layer, "layers", None)) and hasattr(layer, "inputs")
            info[name] = (type(layer).__name__, nested)
            if nested:
                stack.append((name + "/", layer))
    return info


# --------------------------------------------------------------------------------------------
# Roles and logical scopes
# --------------------------------------------------------------------------------------------


def _is_variable(op: tf.Operation) -> bool:
    if op.type in _VARIABLE_OPS:
        return True
    return op.type in _PLACEHOLDERS and bool(op.outputs) and op.outputs[0].dtype == tf.resource


def _logical_scope(name: str) -> tuple[str, ...]:
    """The scope components of an op name without the call scopes inlining adds."""
    parts = name.split("/")[:-1]
    return tuple(p for p in parts if not _CALL_SCOPE.match(p))


def _is_plumbing(op: tf.Operation) -> bool:
    """Call plumbing: ``Func/...`` identities and top-level Identity / NoOp."""
    if op.type not in _PLUMBING:
        return False
    return op.name.startswith("Func/") or not _logical_scope(op.name)


def _through_plumbing(t: tf.Tensor, plumbing: Set[str]) -> tf.Tensor:
    """The tensor behind a chain of plumbing identities."""
    seen = 0
    while t.op.name in plumbing and t.op.type != "NoOp" and seen < 1000:
        op = t.op
        t = op.inputs[t.value_index if op.type == "IdentityN" else 0]
        seen += 1
    return t


# --------------------------------------------------------------------------------------------
# Structure: the model root and the layer scopes
# --------------------------------------------------------------------------------------------


class _Trie:
    """Counts of compute ops per logical scope: direct ops and child scopes."""

    def __init__(self) -> None:
        self.direct: dict[tuple, int] = {}
        self.children: dict[tuple, dict[str, None]] = {}

    def add(self, scope: tuple) -> None:
        self.direct[scope] = self.direct.get(scope, 0) + 1
        for i in range(len(scope), 0, -1):
            kids = self.children.setdefault(scope[: i - 1], {})
            if scope[i - 1] in kids:
                break
            kids[scope[i - 1]] = None

    def kids(self, scope: tuple) -> list[str]:
        return list(self.children.get(scope, ()))


def _find_root(trie: _Trie) -> tuple:
    scope: tuple = ()
    while True:
        kids = trie.kids(scope)
        if len(kids) != 1:
            return scope
        child = scope + (kids[0],)
        if trie.direct.get(child):
            return scope
        scope = child


def _display_names(kids: list[str]) -> dict[str, str]:
    """Keras 3 scopes are ``<layer name>_N``; drop the suffix when every sibling has one."""
    if kids and all(_UNIQUE_SUFFIX.search(k) for k in kids):
        return {k: _UNIQUE_SUFFIX.sub("", k) for k in kids}
    return {k: k for k in kids}


def _layer_scopes(trie: _Trie, root: tuple, info: dict | None) -> dict[tuple, str]:
    """``{layer scope: display name}`` under ``root``, nested models opened."""
    layers: dict[tuple, str] = {}
    stack = [(root, "")]
    while stack:
        scope, prefix = stack.pop()
        kids = trie.kids(scope)
        names = _display_names(kids)
        for kid in kids:
            path = scope + (kid,)
            name = prefix + names[kid]
            if info is not None and name not in info and prefix + kid in info:
                name = prefix + kid
            if _is_nested_model(trie, path, name, info):
                stack.append((path, name + "/"))
            else:
                layers[path] = name
    return layers


def _is_nested_model(trie: _Trie, path: tuple, name: str, info: dict | None) -> bool:
    if info is not None and name in info:
        return info[name][1] and len(trie.kids(path)) > 0
    return not trie.direct.get(path) and len(trie.kids(path)) >= _NESTED_MIN_CHILDREN


# --------------------------------------------------------------------------------------------
# The view
# --------------------------------------------------------------------------------------------


def _classify(ops: list) -> tuple[list, list, list, list]:
    """(variable ops, plumbing ops, input placeholders, other ops), each in graph order."""
    variables, plumbing, inputs, rest = [], [], [], []
    for op in ops:
        if _is_variable(op):
            variables.append(op)
        elif _is_plumbing(op):
            plumbing.append(op)
        elif op.type in _PLACEHOLDERS:
            inputs.append(op)
        else:
            rest.append(op)
    return variables, plumbing, inputs, rest


def _layer_of_scope(scope: tuple, layers: dict[tuple, str]) -> tuple | None:
    for i in range(len(scope), 0, -1):
        if scope[:i] in layers:
            return scope[:i]
    return None


def layer_view(obj: Any, model: Any = None) -> LayerView | None:
    """The layer structure of a graph, or None when it has none (a plain v1 graph).

    A graph has layer structure when it is a TF2 graph (a function graph, or one with
    captured-variable placeholders or inlined-call plumbing) whose ops sit in at least two
    layer scopes under one model root.

    Args:
        obj: a ``tf.Graph`` or a list of ops of one graph.
        model: the Keras model the graph was traced from, if known (names layer classes).
    """
    ops = obj.get_operations() if isinstance(obj, tf.Graph) else list(obj)
    if not ops:
        return None
    graph = ops[0].graph
    variables, plumbing, inputs, rest = _classify(ops)
    # TF2 signals: captured-variable placeholders or inlined-call plumbing (a tf.compat.v1
    # graph's own variables are VarHandleOp / VariableV2 ops, and it has neither).
    tf2 = any(op.type in _PLACEHOLDERS for op in variables) or any(
        op.name.startswith("Func/") for op in plumbing
    )
    if not (tf2 or _tf.is_function_graph(graph)):
        return None
    trie = _Trie()
    for op in rest:
        if op.type not in _AUX:
            trie.add(_logical_scope(op.name))
    root = _find_root(trie)
    info = keras_layer_info(model) if model is not None else None
    layers = _layer_scopes(trie, root, info)
    if len(layers) < 2:
        return None
    view = _build(graph, ops, root, layers, info, variables, plumbing, inputs, rest)
    if model is not None:
        _name_inputs(view, model)
    return view


def _name_inputs(view: LayerView, model: Any) -> None:
    """Show the input placeholders of a model's graph under the model's input layer names."""
    names = []
    for t in getattr(model, "inputs", None) or []:
        history = _tf.keras_history(t)
        names.append(getattr(history[0], "name", None) if history else None)
    placeholders = [n for n in view.nodes if n.kind == "input"]
    if len(names) == len(placeholders) and all(names):
        order = sorted(placeholders, key=lambda n: _tf.op_id(n.ops[0]))
        for node, name in zip(order, names):
            node.name = name


def _build(graph, ops, root, layers, info, variables, plumbing, inputs, rest) -> LayerView:
    nodes: dict[str, LayerNode] = {}
    node_of: dict[str, str] = {}
    for op in inputs:
        nodes[op.name] = LayerNode(op.name, op.name, "input", "Input", "", ops=[op])
        node_of[op.name] = op.name
    loose: list = []  # Const / ReadVariableOp outside any layer: folded into a consumer
    for op in rest:
        scope = _logical_scope(op.name)
        key = _layer_of_scope(scope, layers)
        if key is None:
            if op.type in _AUX:
                loose.append(op)
                continue
            nodes[op.name] = LayerNode(op.name, op.name, "op", op.type, "")
            node_of[op.name] = op.name
            nodes[op.name].ops.append(op)
            continue
        nid = "/".join(key) + "/"
        node = nodes.get(nid)
        if node is None:
            tf_scope = op.name[: _scope_end(op.name, len(key))]
            node = nodes[nid] = LayerNode(nid, layers[key], "layer", "", tf_scope)
        node.ops.append(op)
        node_of[op.name] = nid
    plumbing_names = frozenset(op.name for op in plumbing)
    variable_names = frozenset(op.name for op in variables)
    _fold(loose, variables, plumbing, plumbing_names, variable_names, nodes, node_of)
    ordered = _in_graph_order(ops, nodes, node_of)
    for node in ordered:
        _fill(node, node_of, plumbing_names, variable_names, info)
    root_text = "/".join(root) + ("/" if root else "")
    return LayerView(graph, root_text, ordered, node_of, plumbing_names, variable_names)


def _scope_end(name: str, n_logical: int) -> int:
    """Index just past the ``n_logical``-th logical scope component of ``name``."""
    pos, seen = 0, 0
    for part in name.split("/")[:-1]:
        pos += len(part) + 1
        if not _CALL_SCOPE.match(part):
            seen += 1
            if seen == n_logical:
                break
    return pos


def _fold(loose, variables, plumbing, plumbing_names, variable_names, nodes, node_of) -> None:
    """List loose constants / reads, variables and plumbing in the ``folded`` of the node
    that consumes them (for plumbing on a data path: of the node that produces it)."""
    hidden = plumbing_names | {op.name for op in loose}

    def consumer_node(op: tf.Operation, depth: int = 0) -> str | None:
        for t in op.outputs:
            for c in t.consumers():
                nid = node_of.get(c.name)
                if nid is None and depth < 8 and c.name in hidden:
                    nid = consumer_node(c, depth + 1)
                if nid is not None:
                    return nid
        return None

    for op in list(loose) + list(variables):
        nid = consumer_node(op)
        if nid is not None:
            nodes[nid].folded.append(op)
    for op in plumbing:
        if op.type == "NoOp" or not op.outputs:
            continue
        src = _through_plumbing(op.outputs[0], plumbing_names).op
        nid = None if src.name in variable_names else node_of.get(src.name)
        nid = nid or consumer_node(op)
        if nid is not None:
            nodes[nid].folded.append(op)


def _in_graph_order(ops, nodes, node_of) -> list[LayerNode]:
    """Nodes in the order of their first op that is not a constant or a variable read
    (an inlined graph lists all its constants first)."""
    order, seen = [], set()
    for pass_aux in (False, True):
        for op in ops:
            if not pass_aux and op.type in _AUX:
                continue
            nid = node_of.get(op.name)
            if nid is not None and nid not in seen:
                seen.add(nid)
                order.append(nodes[nid])
    return order


def _fill(node: LayerNode, node_of: dict, plumbing: frozenset, variables: frozenset, info) -> None:
    """Inputs, outputs, variables, params and type of one node."""
    seen_edges: set = set()
    for op in node.ops:
        for t in op.inputs:
            if t.dtype == tf.resource:
                continue
            src_t = _through_plumbing(t, plumbing)
            src_id = node_of.get(src_t.op.name)
            if src_id is None or src_id == node.id or (src_id, src_t.name) in seen_edges:
                continue
            seen_edges.add((src_id, src_t.name))
            node.inputs.append(LayerEdge(src_id, src_t, op))
        for c in op.control_inputs:
            src_id = node_of.get(c.name)
            if src_id is not None and src_id != node.id and (src_id, "^") not in seen_edges:
                seen_edges.add((src_id, "^"))
                node.inputs.append(LayerEdge(src_id, None, op))
    node.variables = _variables_read(node, plumbing, variables)
    node.params = _params(node.variables)
    node.outputs = _outputs(node, node_of)
    node.type = _type_of(node, info)


def _variables_read(node: LayerNode, plumbing: frozenset, variables: frozenset) -> list:
    """``(variable op name, shape)`` of the variables the node's ops (and the reads folded
    into it) take as resource inputs; the shape is the one a ``ReadVariableOp`` returns."""
    shapes: dict[str, Any] = {}
    reads = [op for op in node.folded if op.type == "ReadVariableOp"]
    for op in node.ops + reads:
        for t in op.inputs:
            if t.dtype != tf.resource:
                continue
            src = _through_plumbing(t, plumbing).op
            if src.name in variables and shapes.get(src.name) is None:
                shapes[src.name] = op.outputs[0].shape if op.type == "ReadVariableOp" else None
    return [
        (name, None if s is None or s.rank is None else tuple(s.as_list()))
        for name, s in shapes.items()
    ]


def _params(variables: list) -> int | None:
    total = 0
    for _, shape in variables:
        if shape is None or any(d is None for d in shape):
            return None
        size = 1
        for d in shape:
            size *= d
        total += size
    return total


def _outputs(node: LayerNode, node_of: dict) -> list:
    ops = node.ops
    outs = []
    for op in ops:
        for t in op.outputs:
            if t.dtype == tf.resource:
                continue
            if any(node_of.get(c.name) != node.id for c in t.consumers()):
                outs.append(t)
    if not outs and ops:
        last = [t for t in ops[-1].outputs if t.dtype != tf.resource]
        outs = last[:1]
    return outs


_ONLY_RULES: tuple[tuple[frozenset, str], ...] = (
    (frozenset({"AddV2"}), "Add"),
    (frozenset({"AddV2", "AddN"}), "Add"),
    (frozenset({"AddN"}), "Add"),
    (frozenset({"Mul"}), "Multiply"),
    (frozenset({"Sub"}), "Subtract"),
    (frozenset({"Maximum"}), "Maximum"),
    (frozenset({"Minimum"}), "Minimum"),
    (frozenset({"Sigmoid", "Mul", "IdentityN"}), "Activation(swish)"),
    (frozenset({"Sigmoid", "Mul"}), "Activation(swish)"),
)


def _type_of(node: LayerNode, info: dict | None) -> str:
    if node.kind != "layer":
        return node.type
    if info is not None and node.name in info:
        return info[node.name][0]
    types = {op.type for op in node.ops}
    for op_type, layer_type in _TYPE_RULES:
        if op_type in types:
            return layer_type
    if "Rsqrt" in types and any("batchnorm" in op.name for op in node.ops):
        return "BatchNormalization"
    main = list(dict.fromkeys(op.type for op in node.ops if op.type not in _SKIP_IN_TYPE))
    for only, layer_type in _ONLY_RULES:
        if set(main) == only:
            return layer_type
    if main == ["Mean"] and node.outputs and node.outputs[0].shape.rank == 2:
        return "GlobalAveragePooling"
    if "Reshape" in main:
        return "Reshape"
    if not main:
        return "Identity" if node.ops else "?"
    return "+".join(main[:3]) + ("+..." if len(main) > 3 else "")


def regroup(view: LayerView, group_of: Any) -> LayerView:
    """Merge the nodes for which ``group_of(node)`` gives the same key into one ``group``
    node (id and name: the key); ``None`` keeps a node as it is."""
    merged: dict[str, LayerNode] = {}
    node_of = dict(view.node_of)
    old_to_new: dict[str, str] = {}
    for node in view.nodes:
        key = group_of(node)
        if key is None:
            continue
        old_to_new[node.id] = "group:" + key
        group = merged.get(key)
        if group is None:
            group = merged[key] = LayerNode("group:" + key, key, "group", "", "")
        group.ops.extend(node.ops)
        group.folded.extend(node.folded)
    if not merged:
        return view
    for name, nid in node_of.items():
        if nid in old_to_new:
            node_of[name] = old_to_new[nid]
    nodes: list[LayerNode] = []
    done: set[str] = set()
    for node in view.nodes:
        key = old_to_new.get(node.id)
        if key is None:
            node = dataclasses.replace(node, inputs=[], outputs=[], variables=[])
        elif key in done:
            continue
        else:
            done.add(key)
            node = merged[key[len("group:"):]]
            node.ops.sort(key=_tf.op_id)
        nodes.append(node)
    for node in nodes:
        kind_type = node.type
        _fill(node, node_of, view.plumbing, view.variables, None)
        if node.kind == "group":
            n_layers = sum(1 for v in old_to_new.values() if v == node.id)
            node.type = f"{n_layers} layers"
        else:
            node.type = kind_type
    return LayerView(view.graph, view.root, nodes, node_of, view.plumbing, view.variables)


def layer_nodes(graph: Any, model: Any = None) -> list[LayerNode]:
    """The layer-level nodes of ``graph`` (empty when it has no layer structure).

    Args:
        graph: a ``tf.Graph`` (e.g. from ``ge.graph_from_keras``) or a list of its ops.
        model: the Keras model it was traced from, if known.

    Returns:
        :class:`LayerNode` records in graph order: ``name``, ``type``, ``outputs`` /
        ``output_shapes``, ``params``, member ``ops``, ``folded`` ops and ``inputs`` edges.

    Example:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="fc1"),
        ...                           keras.layers.Dense(2, name="fc2")])
        >>> [n.name for n in layer_nodes(ge.graph_from_keras(model))][1:]   # after the input
        ['fc1', 'fc2']
    """
    view = layer_view(graph, model)
    return [] if view is None else view.nodes
