"""DOT text of an op-level picture: one node per op, name scopes as nested clusters.

Moved out of ``visualize`` (which chooses between this and the layer-level picture of
``_layer_dot``); the drawing is unchanged: collapsed scopes are ``scope/ (N ops)`` nodes, a
view's ops are highlighted with the ops around it dashed, its input edges blue and its output
edges red, control edges dashed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import tensorflow as tf

from graph_editor import util
from graph_editor._layer_dot import LIMIT_ATTRS, _label, _q, _shape_text
from graph_editor.errors import GraphEditKeyError, GraphEditValueError
from graph_editor.subgraph import SubGraphView

__all__ = ["highlight_sets", "node_id_fn", "op_members", "op_dot", "expand_scopes"]

_NODE_STYLE = {
    "Placeholder": 'shape=invhouse, style=filled, fillcolor="#dbeafe"',
    "PlaceholderWithDefault": 'shape=invhouse, style=filled, fillcolor="#dbeafe"',
    "Const": 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", fontsize=9',
    "VarHandleOp": 'shape=cylinder, style=filled, fillcolor="#dcfce7"',
    "VariableV2": 'shape=cylinder, style=filled, fillcolor="#dcfce7"',
    "Variable": 'shape=cylinder, style=filled, fillcolor="#dcfce7"',
}
_DEFAULT_STYLE = 'shape=box, style="rounded,filled", fillcolor="#ffffff"'
_HIGHLIGHT_STYLE = 'shape=box, style="rounded,filled,bold", fillcolor="#fde68a", penwidth=2'
_CONTEXT_STYLE = 'shape=box, style="rounded,dashed", color="#9ca3af", fontcolor="#6b7280"'
#: Op-level pictures of more nodes than this bound dot's passes (``LIMIT_ATTRS``).
BIG_PICTURE = 150
_INPUT_COLOR = "#2563eb"
_OUTPUT_COLOR = "#dc2626"


def _tensor_text(t: tf.Tensor) -> str:
    return f"{t.dtype.name}{_shape_text(t.shape)}"


def highlight_sets(highlight: Any, graph: tf.Graph) -> tuple[set, dict[int, int], dict[int, int]]:
    """(ops, {id(input): position}, {id(output): position}) to highlight."""
    if highlight is None:
        return set(), {}, {}
    view = highlight if isinstance(highlight, SubGraphView) else SubGraphView(highlight)
    if view and view.graph is not graph:
        raise GraphEditValueError(
            "to_dot: highlight= belongs to another graph than the one drawn; pass a view or "
            "ops of the drawn graph."
        )
    hl_in: dict[int, int] = {}
    hl_out: dict[int, int] = {}
    for i, t in enumerate(view.inputs):
        hl_in.setdefault(id(t), i)
    for i, t in enumerate(view.outputs):
        hl_out.setdefault(id(t), i)
    return set(view.ops), hl_in, hl_out


def check_collapse_depth(collapse_depth: Any) -> None:
    if collapse_depth is not None and (
        not isinstance(collapse_depth, int) or isinstance(collapse_depth, bool)
        or collapse_depth < 0
    ):
        raise GraphEditValueError(
            f"collapse_depth must be None or an int >= 0, got {collapse_depth!r}."
        )


def expand_scopes(ops: list, expand: Any) -> list[str]:
    """``expand`` as scopes with a trailing ``/``; each must hold one of ``ops``."""
    if expand is None:
        return []
    items = [expand] if isinstance(expand, str) else list(expand)
    scopes = []
    for item in items:
        if not isinstance(item, str) or not item.strip("/"):
            raise GraphEditValueError(f"expand= takes name scopes (strings), got {item!r}.")
        scope = item.rstrip("/") + "/"
        if not any(op.name.startswith(scope) for op in ops):
            raise GraphEditKeyError(
                f"to_dot: expand={item!r} names no scope of the drawn ops (no op name starts "
                f"with '{scope}')."
            )
        scopes.append(scope)
    return scopes


def node_id_fn(collapse_depth: int | None, keep_open: Sequence[str] = ()):
    """op name -> DOT node id; collapsed scopes get the id ``scope/`` (op names never end in
    /). Ops under a scope of ``keep_open`` are never collapsed."""
    check_collapse_depth(collapse_depth)
    if collapse_depth is None:
        return lambda name: name

    def node_id(name: str) -> str:
        parts = name.split("/")
        if len(parts) - 1 > collapse_depth:  # scope deeper than collapse_depth levels
            if keep_open and any(name.startswith(s) for s in keep_open):
                return name
            return "/".join(parts[: collapse_depth + 1]) + "/"
        return name

    return node_id


def op_members(drawn: list, collapse_depth: int | None, keep_open: Sequence[str] = ()):
    """(``{op: node id}``, ``{node id: [ops]}``) of an op-level picture."""
    node_id = node_id_fn(collapse_depth, keep_open)
    node_of: dict[tf.Operation, str] = {}
    members: dict[str, list[tf.Operation]] = {}
    for op in drawn:
        nid = node_id(op.name)
        node_of[op] = nid
        members.setdefault(nid, []).append(op)
    return node_of, members


def nested_clusters(
    root: Any,
    nodes_in: dict,
    children: dict,
    node_line: Callable[[Any, str], str],
    label: Callable[[Any], str],
) -> list[str]:
    """DOT lines: the nodes of each scope inside one rounded cluster per scope, nested.

    ``nodes_in[scope]`` lists a scope's own node keys, ``children[scope]`` its sub-scopes;
    ``node_line(key, indent)`` writes one node and ``label(scope)`` names a cluster.
    """
    lines: list[str] = []

    def emit(scope: Any, indent: str) -> None:
        for key in nodes_in.get(scope, ()):
            lines.append(node_line(key, indent))
        for sub in children.get(scope, ()):
            lines.append(f"{indent}subgraph {_q(f'cluster_{sub}')} {{")
            lines.append(
                f"{indent}  label={_q(label(sub))}; style=rounded; "
                'color="#9ca3af"; fontcolor="#4b5563";'
            )
            emit(sub, indent + "  ")
            lines.append(f"{indent}}}")

    emit(root, "  ")
    return lines


def _cluster_tree(members: dict) -> tuple[dict, dict]:
    """(scope -> node ids directly in it, parent scope -> sub-scopes in order)."""
    tree: dict[str, list[str]] = {}
    for nid in members:
        parent = util.scope_dirname(nid.rstrip("/"))
        tree.setdefault(parent, []).append(nid)
    children: dict[str, dict[str, None]] = {}
    for scope in list(tree):
        while scope:
            parent = util.scope_dirname(scope[:-1])
            kids = children.setdefault(parent, {})
            if scope in kids:
                break
            kids[scope] = None
            scope = parent
    return tree, children


def _node_line(nid: str, group: list, hl_ops: set, context_ops: set, indent: str) -> str:
    if nid.endswith("/"):
        label = _label(util.scope_basename(nid[:-1]) + "/", f"({len(group)} ops)")
        style = 'shape=box3d, style=filled, fillcolor="#e5e7eb"'
        if any(op in hl_ops for op in group):
            style = 'shape=box3d, style="filled,bold", fillcolor="#fde68a", penwidth=2'
        tooltip = nid
    else:
        op = group[0]
        label = _label(util.scope_basename(op.name), op.type)
        if op in hl_ops:
            style = _HIGHLIGHT_STYLE
        elif op in context_ops:
            style = _CONTEXT_STYLE
        else:
            style = _NODE_STYLE.get(op.type, _DEFAULT_STYLE)
        tooltip = f"{op.name} ({op.type}) {op.device}".strip()
    return f"{indent}{_q(nid)} [label={label}, {style}, tooltip={_q(tooltip)}];"


def _edge_lines(drawn, node_of, hl, control: bool, show_shapes: bool) -> list[str]:
    hl_ops, hl_in, hl_out = hl
    lines = []
    seen_edges: set[tuple[str, str, str]] = set()
    for op in drawn:
        dst = node_of[op]
        for t in op.inputs:
            src = node_of.get(t.op)
            if src is None or src == dst or (src, dst, t.name) in seen_edges:
                continue
            seen_edges.add((src, dst, t.name))
            attrs = [f"tooltip={_q(t.name)}"]
            label = _tensor_text(t) if show_shapes else ""
            if id(t) in hl_in and op in hl_ops:
                attrs.append(f'color="{_INPUT_COLOR}", penwidth=2')
                label = f"in {hl_in[id(t)]}" + (f" {label}" if label else "")
            elif id(t) in hl_out and t.op in hl_ops and op not in hl_ops:
                attrs.append(f'color="{_OUTPUT_COLOR}", penwidth=2')
                label = f"out {hl_out[id(t)]}" + (f" {label}" if label else "")
            if label:
                attrs.append(f"label={_q(label)}")
            lines.append(f"  {_q(src)} -> {_q(dst)} [{', '.join(attrs)}];")
        if not control:
            continue
        for c in op.control_inputs:
            src = node_of.get(c)
            if src is None or src == dst or (src, dst, "^") in seen_edges:
                continue
            seen_edges.add((src, dst, "^"))
            lines.append(
                f'  {_q(src)} -> {_q(dst)} [style=dashed, color="#6b7280", '
                f"arrowhead=odot, tooltip={_q('^' + c.name)}];"
            )
    return lines


def op_dot(
    drawn: list,
    node_of: dict,
    members: dict,
    *,
    hl: tuple[set, dict, dict],
    context_ops: set,
    control: bool,
    show_shapes: bool,
    rankdir: str,
    title: str | None,
) -> str:
    """The DOT text: nodes in nested scope clusters, then the edges."""
    tree, children = _cluster_tree(members)
    lines = [f"digraph {_q('G')} {{"]
    limits = f", {LIMIT_ATTRS}" if len(members) > BIG_PICTURE else ""
    lines.append(f"  graph [rankdir={_q(rankdir)}, fontname=Helvetica, fontsize=11{limits}];")
    lines.append("  node [fontname=Helvetica, fontsize=10];")
    lines.append("  edge [fontname=Helvetica, fontsize=8];")
    if title:
        lines.append(f"  label={_q(title)}; labelloc=t;")

    lines += nested_clusters(
        "", tree, children,
        lambda nid, indent: _node_line(nid, members[nid], hl[0], context_ops, indent),
        lambda sub: util.scope_basename(sub[:-1]),
    )
    lines += _edge_lines(drawn, node_of, hl, control, show_shapes)
    lines.append("}")
    return "\n".join(lines) + "\n"
