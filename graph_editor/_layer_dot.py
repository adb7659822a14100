"""DOT text of a layer-level picture: one node per layer, a few layers expanded to their ops.

The layout settings keep Graphviz fast on whole models (measured on keras.applications models,
see benchmarks/bench_render.py and docs/visualize.md): no clusters except around expanded
layers (nested clusters are what makes ``dot`` slow), no edge labels between layers (each
label is one more node to place; shapes are in the nodes), ``newrank=true`` and bounded
network-simplex / crossing-minimisation passes (``nslimit``, ``nslimit1``, ``mclimit``).
"""

from __future__ import annotations

import difflib
from typing import Any

import tensorflow as tf

from graph_editor._layer_view import LayerNode, LayerView, _through_plumbing, regroup
from graph_editor.errors import GraphEditKeyError, GraphEditValueError

__all__ = [
    "LAYOUT_ATTRS",
    "LIMIT_ATTRS",
    "collapse_layers",
    "count_drawn",
    "drawn_ops",
    "layer_dot",
    "match_expand",
]

#: Bounds on dot's network-simplex and crossing-minimisation passes (also used for big
#: op-level pictures: MobileNetV2's 1087 ops without clusters or edge labels went from
#: > 60 s to about 35 s).
LIMIT_ATTRS = "nslimit=4, nslimit1=4, mclimit=0.5"
#: Graph attributes of layer-level pictures (see the module docstring).
LAYOUT_ATTRS = f"newrank=true, {LIMIT_ATTRS}, ranksep=0.3, nodesep=0.25"

_STYLE_INPUT = 'shape=invhouse, style=filled, fillcolor="#dbeafe"'
_STYLE_GROUP = 'shape=box3d, style=filled, fillcolor="#e5e7eb"'
_STYLE_OP = 'shape=box, style="rounded,filled", fillcolor="#ffffff"'
_STYLE_HIGHLIGHT = 'shape=box, style="rounded,filled,bold", fillcolor="#fde68a", penwidth=2'
_STYLE_OP_CONST = 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", fontsize=9'
_FILL_BY_FAMILY = {
    "weights": "#e0f2fe",
    "norm": "#f3f4f6",
    "activation": "#fef9c3",
    "merge": "#dcfce7",
    "shape": "#ede9fe",
}
_FAMILY_WORDS = (
    ("norm", ("Normalization", "BatchNorm", "LayerNorm", "Rescaling")),
    ("weights", ("Conv", "Dense", "Embedding", "LSTM", "GRU", "Attention")),
    ("shape", ("Pooling", "Padding", "Reshape", "Flatten", "Permute", "Resizing", "Cropping")),
    ("merge", ("Add", "Concatenate", "Multiply", "Subtract", "Maximum", "Minimum", "Average")),
    ("activation", ("ReLU", "Relu", "Activation", "Sigmoid", "Softmax", "Tanh", "Elu", "swish")),
)


def _q(text: str) -> str:
    """A DOT double-quoted ID."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*parts: str) -> str:
    """A DOT label of several lines (each escaped)."""
    return '"' + "\\n".join(p.replace("\\", "\\\\").replace('"', '\\"') for p in parts) + '"'


def _shape_text(shape: tf.TensorShape) -> str:
    if shape.rank is None:
        return "[?]"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


def _dims_text(shape: tuple | None) -> str:
    if shape is None:
        return "[?]"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _family(layer_type: str) -> str | None:
    for family, words in _FAMILY_WORDS:
        if any(w in layer_type for w in words):
            return family
    return None


# --------------------------------------------------------------------------------------------
# expand= and collapse_depth=
# --------------------------------------------------------------------------------------------


def _names_of(node: LayerNode) -> list[str]:
    """What ``expand=`` may call a node: its name, id, TF scope (without the trailing /)."""
    names = [node.name, node.id.rstrip("/")]
    if node.scope:
        names += [node.scope.rstrip("/"), node.scope.rstrip("/").rsplit("/", 1)[-1]]
    return names


def _matches(item: str, node: LayerNode) -> bool:
    item = item.rstrip("/")
    for name in _names_of(node):
        if name == item or name.startswith(item + "_") or name.startswith(item + "/"):
            return True
        base = name.rsplit("/", 1)[-1]
        if base == item or base.startswith(item + "_"):
            return True
    return False


def match_expand(view: LayerView, expand: Any) -> set[str]:
    """Ids of the nodes ``expand`` names (a layer name, a prefix such as ``"block_3"`` of
    ``block_3_expand``, ``block_3_pad``..., or a TF scope); every item must name one."""
    if expand is None:
        return set()
    items = [expand] if isinstance(expand, str) else list(expand)
    if not all(isinstance(i, str) and i for i in items):
        raise GraphEditValueError(
            f"expand= takes layer names or scopes (strings), got {expand!r}."
        )
    chosen: set[str] = set()
    for item in items:
        hits = [n.id for n in view.nodes if n.kind in ("layer", "group") and _matches(item, n)]
        if not hits:
            names = [n.name for n in view.nodes if n.kind in ("layer", "group")]
            close = difflib.get_close_matches(item, names, n=5, cutoff=0.5)
            hint = f" Close: {', '.join(close)}." if close else ""
            raise GraphEditKeyError(
                f"to_dot: expand={item!r} names no layer of the drawn graph ({len(names)} "
                f"layers, e.g. {', '.join(names[:3])}).{hint}"
            )
        chosen.update(hits)
    return chosen


def collapse_layers(view: LayerView, depth: int | None) -> LayerView:
    """Layers of nested models deeper than ``depth`` levels (``inner/dense`` is 1 deep)
    merged into one node per nested model."""
    if depth is None:
        return view

    def group_of(node: LayerNode) -> str | None:
        parts = node.name.split("/")
        if node.kind != "layer" or len(parts) - 1 <= depth:
            return None
        return "/".join(parts[: depth + 1]) + "/"

    return regroup(view, group_of)


def drawn_ops(node: LayerNode) -> list[tf.Operation]:
    """The ops an expanded node shows: its ops but the variable reads (a line on the op
    that uses each read)."""
    return [op for op in node.ops if op.type != "ReadVariableOp"]


def count_drawn(view: LayerView, expanded: set[str]) -> int:
    """Nodes drawn: one per node, an expanded node's ops instead of it."""
    return sum(len(drawn_ops(n)) if n.id in expanded else 1 for n in view.nodes)


# --------------------------------------------------------------------------------------------
# DOT
# --------------------------------------------------------------------------------------------


def _params_text(node: LayerNode) -> str:
    n_vars = len(node.variables)
    if not n_vars:
        return ""
    params = "? params" if node.params is None else f"{node.params:,} params"
    return f"{params} ({n_vars} var{'s' if n_vars > 1 else ''})"


def _node_line(node: LayerNode, highlighted: bool) -> str:
    shapes = [_shape_text(t.shape) for t in node.outputs[:2]]
    shape = ", ".join(shapes) + (", ..." if len(node.outputs) > 2 else "")
    parts = [node.name, f"{node.type}  {shape}".strip()]
    params = _params_text(node)
    if params:
        parts.append(params)
    if highlighted:
        style = _STYLE_HIGHLIGHT if node.kind != "group" else (
            'shape=box3d, style="filled,bold", fillcolor="#fde68a", penwidth=2'
        )
    elif node.kind == "input":
        style = _STYLE_INPUT
    elif node.kind == "group":
        style = _STYLE_GROUP
    else:
        fill = _FILL_BY_FAMILY.get(_family(node.type) or "", "#ffffff")
        style = f'shape=box, style="rounded,filled", fillcolor="{fill}"'
    where = node.scope or (f"{node.name} ({node.type})" if node.kind == "group" else node.id)
    tip = f"{where} ({len(node.ops)} ops"
    tip += f", {len(node.folded)} folded)" if node.folded else ")"
    if node.variables:
        shapes = [_dims_text(shape) for _, shape in node.variables[:4]]
        tip += "; variables " + ", ".join(shapes) + (", ..." if len(node.variables) > 4 else "")
    return f"  {_q(node.id)} [label={_label(*parts)}, {style}, tooltip={_q(tip)}];"


def _op_line(op: tf.Operation, highlighted: bool) -> str:
    base = op.name.rsplit("/", 1)[-1]
    parts = [base] if base == op.type else [base, op.type]
    reads = [t for t in op.inputs if t.op.type == "ReadVariableOp"]
    parts += [f"reads {_shape_text(t.shape)}" for t in reads[:3]]
    style = _STYLE_OP_CONST if op.type == "Const" else _STYLE_OP
    if highlighted:
        style = _STYLE_HIGHLIGHT
    return f"    {_q(op.name)} [label={_label(*parts)}, {style}, tooltip={_q(op.name)}];"


def _expanded_block(node: LayerNode, hl_ops: set) -> list[str]:
    lines = [f"  subgraph {_q('cluster_' + node.id)} {{"]
    title = f"{node.name} ({node.type})"
    params = _params_text(node)
    lines.append(
        f"    label={_q(title + (', ' + params if params else ''))}; style=rounded; "
        'color="#9ca3af"; fontcolor="#4b5563";'
    )
    lines += [_op_line(op, op in hl_ops) for op in drawn_ops(node)]
    lines.append("  }")
    return lines


def _edges(view: LayerView, expanded: set[str], control: bool, show_shapes: bool) -> list[str]:
    """Edges between drawn nodes, deduplicated; inside expanded layers, op to op."""
    drawn_op = {op.name for n in view.nodes if n.id in expanded for op in drawn_ops(n)}
    plumbing = view.plumbing
    lines: list[str] = []
    seen: set[tuple[str, str, str]] = set()

    def add(src: str, dst: str, t: tf.Tensor | None, label: bool) -> None:
        key = (src, dst, "^" if t is None else t.name)
        if key in seen or src == dst:
            return
        seen.add(key)
        if t is None:
            lines.append(
                f'  {_q(src)} -> {_q(dst)} [style=dashed, color="#6b7280", arrowhead=odot];'
            )
            return
        attrs = f"tooltip={_q(f'{t.name} {t.dtype.name}{_shape_text(t.shape)}')}"
        if label and show_shapes:
            attrs += f", label={_q(t.dtype.name + _shape_text(t.shape))}"
        lines.append(f"  {_q(src)} -> {_q(dst)} [{attrs}];")

    for node in view.nodes:
        for e in node.inputs:
            if e.control and not control:
                continue
            src = e.src
            if src in expanded:
                if e.tensor is None or e.tensor.op.name not in drawn_op:
                    continue
                src = e.tensor.op.name
            dst = e.dst_op.name if node.id in expanded else node.id
            add(src, dst, e.tensor, src in drawn_op or node.id in expanded)
        if node.id not in expanded:
            continue
        own = {op.name for op in drawn_ops(node)}
        for op in drawn_ops(node):
            for t in op.inputs:
                t = _through_plumbing(t, plumbing)
                if t.op.name in own and t.dtype != tf.resource:
                    add(t.op.name, op.name, t, True)
            if control:
                for c in op.control_inputs:
                    if c.name in own:
                        add(c.name, op.name, None, False)
    return lines


def layer_dot(
    view: LayerView,
    *,
    expanded: set[str],
    hl_ops: set,
    control: bool,
    show_shapes: bool,
    rankdir: str,
    title: str | None,
) -> str:
    """The DOT text of ``view`` with the nodes in ``expanded`` drawn as their ops."""
    lines = ['digraph "G" {']
    lines.append(
        f"  graph [rankdir={_q(rankdir)}, fontname=Helvetica, fontsize=11, {LAYOUT_ATTRS}];"
    )
    lines.append("  node [fontname=Helvetica, fontsize=10];")
    lines.append("  edge [fontname=Helvetica, fontsize=8];")
    if title:
        lines.append(f"  label={_q(title)}; labelloc=t;")
    for node in view.nodes:
        if node.id in expanded:
            lines += _expanded_block(node, hl_ops)
        else:
            lines.append(_node_line(node, any(op in hl_ops for op in node.ops)))
    lines += _edges(view, expanded, control, show_shapes)
    lines.append("}")
    return "\n".join(lines) + "\n"
