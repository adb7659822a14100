"""See the graph: tables, networkx, DOT / SVG pictures and TensorBoard event files.

"Always visualize! Print out everything and visualize everything after each action!"
Every function here takes a ``tf.Graph``, a :class:`~graph_editor.SubGraphView`, an op or a
list of ops (``to_networkx`` / ``summary`` / ``to_dot`` / ``render`` also accept a
``GraphDef`` or anything with a ``.graph``, such as a ``ConcreteFunction``)::

    print(ge.summary(graph))                      # name, type, inputs, outputs, device
    nxg = ge.to_networkx(graph)                   # networkx.MultiDiGraph
    text = ge.to_dot(graph, highlight=sgv)        # Graphviz DOT source, view highlighted
    ge.render(sgv, "view.svg")                    # needs Graphviz (the ``viz`` extra)
    ge.write_tensorboard(graph, "logs/")          # TensorBoard's Graphs tab

Only :func:`render` to SVG / PNG / PDF needs Graphviz (the ``graphviz`` Python package or
the ``dot`` program); everything else needs TensorFlow and networkx only.
"""

from __future__ import annotations

import collections
import itertools
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import networkx as nx
import tensorflow as tf

from graph_editor import util
from graph_editor.errors import (
    GraphEditTypeError,
    GraphEditValueError,
    GraphvizNotFoundError,
)
from graph_editor.subgraph import SubGraphView

__all__ = [
    "summary",
    "to_networkx",
    "to_dot",
    "render",
    "write_tensorboard",
    "has_graphviz",
    "op_type_histogram",
    "DEFAULT_MAX_OPS",
    "INSTALL_HINT",
]

#: Default ``max_ops`` of :func:`to_dot` / :func:`render`: Graphviz layouts of more nodes
#: take long and are unreadable.
DEFAULT_MAX_OPS = 500

#: How to get Graphviz, as said by :class:`~graph_editor.errors.GraphvizNotFoundError`.
INSTALL_HINT = (
    "Install Graphviz: `pip install tf-graph-editor[viz]` (the Python bindings) and the "
    "`dot` program (`apt-get install graphviz`, `brew install graphviz` or "
    "`conda install graphviz`). Without it, write DOT text with ge.to_dot() or "
    "render(..., 'out.dot')."
)

_TEXT_FORMATS = ("dot", "gv")
_IMAGE_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "eps")
_CELL_WIDTH = 60


# --------------------------------------------------------------------------------------------
# What to show
# --------------------------------------------------------------------------------------------


def _graph_from_graph_def(gd: Any) -> tf.Graph:
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    return graph


def _resolve(obj: Any, what: str) -> tuple[tf.Graph, list[tf.Operation], SubGraphView | None]:
    """``(graph, ops, view)`` for a graph, GraphDef, view, op, list of ops or ``.graph`` holder."""
    if isinstance(obj, SubGraphView):
        if not obj:
            raise GraphEditValueError(f"{what}: the SubGraphView is empty, nothing to show.")
        return obj.graph, list(obj.ops), obj
    if isinstance(obj, tf.Graph):
        return obj, obj.get_operations(), None
    if isinstance(obj, tf.compat.v1.GraphDef):
        graph = _graph_from_graph_def(obj)
        return graph, graph.get_operations(), None
    if isinstance(obj, tf.Operation):
        return obj.graph, [obj], None
    if isinstance(obj, tf.Tensor):
        raise GraphEditTypeError(
            f"{what} expects a graph, a view or ops, got {util._describe(obj)}. "
            "Pass its op (`t.op`) or a view around it (ge.sgv(t.op))."
        )
    if isinstance(getattr(obj, "graph", None), tf.Graph):  # ConcreteFunction & co.
        graph = obj.graph
        return graph, graph.get_operations(), None
    if util.is_iterable(obj) and not isinstance(obj, (str, bytes)):
        ops = util.make_list_of_op(obj, allow_graph=False)
        if not ops:
            raise GraphEditValueError(f"{what}: the list of ops is empty, nothing to show.")
        return ops[0].graph, ops, None
    raise GraphEditTypeError(
        f"{what} expects a tf.Graph, a GraphDef, a SubGraphView, an op or a list of ops, "
        f"got {util._describe(obj)}."
    )


def _shape_text(shape: tf.TensorShape) -> str:
    if shape.rank is None:
        return "[?]"  # unknown rank
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


def _tensor_text(t: tf.Tensor) -> str:
    return f"{t.dtype.name}{_shape_text(t.shape)}"


def _shape_value(shape: tf.TensorShape) -> tuple[int | None, ...] | None:
    return None if shape.rank is None else tuple(shape.as_list())


def _clip(text: str, width: int = _CELL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def op_type_histogram(obj: Any) -> list[tuple[str, int]]:
    """Count the ops of each type, most frequent first (ties by name).

    Args:
        obj: a graph, GraphDef, view, op or list of ops.

    Returns:
        ``[(op_type, count), ...]``.

    Example:
        >>> ge.visualize.op_type_histogram(graph)[:2]
        [('Placeholder', 2), ('AddV2', 1)]
    """
    _, ops, _ = _resolve(obj, "op_type_histogram")
    counts = collections.Counter(op.type for op in ops)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------


def _format_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return lines


def summary(obj: Any, max_rows: int | None = None) -> str:
    """A readable table of ops: name, type, inputs, output dtypes/shapes and device.

    ``str(sgv)`` keeps contrib's short format; ``ge.summary(sgv)`` is the rich version: the
    view's ops in a table, then its inputs and outputs with their dtypes and shapes.

    Args:
        obj: a ``tf.Graph``, a ``GraphDef``, a :class:`SubGraphView`, an op or a list of ops.
        max_rows: show at most this many ops (None: all); a last line says how many were
            left out.

    Returns:
        The table as one string (lines separated by ``\\n``, no trailing newline).

    Raises:
        GraphEditTypeError: ``obj`` is of another type.
        GraphEditValueError: ``max_rows`` is negative, or the view is empty.

    Example:
        >>> print(ge.summary(graph, max_rows=3))
        Graph: 6 ops (3 types)
        #  name  type         inputs    outputs        device
        ...
    """
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 0):
        raise GraphEditValueError(f"max_rows must be None or an int >= 0, got {max_rows!r}.")
    graph, ops, view = _resolve(obj, "summary")
    n_types = len({op.type for op in ops})
    if view is not None:
        title = (
            f"SubGraphView: {len(ops)} ops, {len(view.inputs)} inputs, "
            f"{len(view.outputs)} outputs, {len(view.passthroughs)} passthroughs"
        )
    elif not isinstance(obj, tf.Operation) and not util.is_iterable(obj):
        title = f"Graph: {len(ops)} ops ({n_types} types)"
    else:
        title = f"{len(ops)} ops ({n_types} types)"
    shown = ops if max_rows is None else ops[:max_rows]
    rows = []
    for i, op in enumerate(shown):
        inputs = [t.name for t in op.inputs] + [f"^{c.name}" for c in op.control_inputs]
        outputs = [_tensor_text(t) for t in op.outputs]
        rows.append(
            [
                str(i),
                op.name,
                op.type,
                _clip(", ".join(inputs)),
                _clip(", ".join(outputs)),
                op.device,
            ]
        )
    lines = [title]
    lines += _format_table(["#", "name", "type", "inputs", "outputs", "device"], rows)
    if len(shown) < len(ops):
        lines.append(f"... {len(ops) - len(shown)} more ops (max_rows={max_rows}).")
    if view is not None:
        pt = {id(t) for t in view.passthroughs}
        for title_, ts in (("inputs", view.inputs), ("outputs", view.outputs)):
            if not ts:
                lines.append(f"{title_}: none")
                continue
            lines.append(f"{title_}:")
            for j, t in enumerate(ts):
                mark = "  (passthrough)" if id(t) in pt else ""
                lines.append(f"  {j}: {t.name}  {_tensor_text(t)}{mark}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# networkx
# --------------------------------------------------------------------------------------------


def _attr_value_text(value: Any) -> str:
    kind = value.WhichOneof("value")
    if kind == "type":
        return tf.dtypes.as_dtype(value.type).name
    if kind == "shape":
        return _shape_text(tf.TensorShape(value.shape))
    if kind == "tensor":
        return f"tensor<{tf.dtypes.as_dtype(value.tensor.dtype).name}" + (
            f"{_shape_text(tf.TensorShape(value.tensor.tensor_shape))}>"
        )
    if kind == "func":
        return f"func {value.func.name}"
    if kind == "s":
        return _clip(value.s.decode("utf-8", "replace"), 40)
    if kind == "list":
        items: list[str] = []
        lst = value.list
        items += [tf.dtypes.as_dtype(x).name for x in lst.type]
        items += [_shape_text(tf.TensorShape(x)) for x in lst.shape]
        items += [x.decode("utf-8", "replace") for x in lst.s]
        items += [str(x) for x in itertools.chain(lst.i, lst.f, lst.b)]
        items += [f"func {x.name}" for x in lst.func]
        items += [f"tensor<{tf.dtypes.as_dtype(x.dtype).name}>" for x in lst.tensor]
        return _clip("[" + ", ".join(items) + "]", 40)
    if kind is None:
        return ""
    return _clip(str(getattr(value, kind)), 40)


def _attrs_summary(op: tf.Operation) -> dict[str, str]:
    return {k: _attr_value_text(v) for k, v in sorted(op.node_def.attr.items())}


def to_networkx(obj: Any, control: bool = True) -> nx.MultiDiGraph:
    """The graph as a ``networkx.MultiDiGraph``: one node per op, one edge per input.

    Nodes are keyed by op name, with attributes ``type``, ``device``, ``scope`` (name scope
    with a trailing ``/``) and ``attrs`` (a dict ``{attr name: short text}``). Every edge has
    ``tensor`` (its name), ``output_index``, ``input_index``, ``dtype`` (name), ``shape``
    (a tuple with None for unknown dims, None for unknown rank) and ``control`` (bool);
    control edges have ``tensor``/``dtype``/``shape``/indices set to None. For a view, only
    the view's ops and the edges between them are included, and ``G.graph["inputs"]`` /
    ``G.graph["outputs"]`` list the names of its boundary tensors.

    Args:
        obj: a graph, GraphDef, view, op or list of ops.
        control: include control edges.

    Returns:
        The networkx graph.

    Example:
        >>> nxg = ge.to_networkx(graph)
        >>> nxg.nodes["c"]["type"], nxg.edges["a", "c", 0]["tensor"]
        ('AddV2', 'a:0')
    """
    graph, ops, view = _resolve(obj, "to_networkx")
    result = nx.MultiDiGraph()
    inside = set(ops)
    for op in ops:
        result.add_node(
            op.name,
            type=op.type,
            device=op.device,
            scope=util.scope_dirname(op.name),
            attrs=_attrs_summary(op),
        )
    for op in ops:
        for slot, t in enumerate(op.inputs):
            if t.op not in inside:
                continue
            result.add_edge(
                t.op.name,
                op.name,
                tensor=t.name,
                output_index=t.value_index,
                input_index=slot,
                dtype=t.dtype.name,
                shape=_shape_value(t.shape),
                control=False,
            )
        if control:
            for c in op.control_inputs:
                if c in inside:
                    result.add_edge(
                        c.name,
                        op.name,
                        tensor=None,
                        output_index=None,
                        input_index=None,
                        dtype=None,
                        shape=None,
                        control=True,
                    )
    if view is not None:
        result.graph["inputs"] = [t.name for t in view.inputs]
        result.graph["outputs"] = [t.name for t in view.outputs]
    return result


# --------------------------------------------------------------------------------------------
# DOT
# --------------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A DOT double-quoted ID."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*parts: str) -> str:
    """A DOT label of several lines (each escaped)."""
    return '"' + "\\n".join(p.replace("\\", "\\\\").replace('"', '\\"') for p in parts) + '"'


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
_INPUT_COLOR = "#2563eb"
_OUTPUT_COLOR = "#dc2626"


def _highlight_sets(
    highlight: Any, graph: tf.Graph
) -> tuple[set, dict[int, int], dict[int, int]]:
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


def _node_id_fn(collapse_depth: int | None):
    """op name -> DOT node id; collapsed scopes get the id ``scope/`` (op names never end in /)."""
    if collapse_depth is None:
        return lambda name: name
    if not isinstance(collapse_depth, int) or collapse_depth < 0:
        raise GraphEditValueError(
            f"collapse_depth must be None or an int >= 0, got {collapse_depth!r}."
        )

    def node_id(name: str) -> str:
        parts = name.split("/")
        if len(parts) - 1 > collapse_depth:  # scope deeper than collapse_depth levels
            return "/".join(parts[: collapse_depth + 1]) + "/"
        return name

    return node_id


def to_dot(
    obj: Any,
    *,
    highlight: Any = None,
    max_ops: int | None = DEFAULT_MAX_OPS,
    collapse_depth: int | None = None,
    control: bool = True,
    show_shapes: bool = True,
    context: bool = True,
    rankdir: str = "TB",
    title: str | None = None,
) -> str:
    """Graphviz DOT source of a graph, with name scopes drawn as nested clusters.

    A :class:`SubGraphView` is drawn with its ops highlighted, plus (``context=True``) the
    ops just outside it, dashed: the producers of its inputs and the consumers of its
    outputs. Edges carrying the view's inputs are blue and labelled ``in i``, those carrying
    its outputs red and labelled ``out j``. ``highlight=`` does the same for a view or ops
    inside a whole drawn graph. Control edges are dashed. The DOT text needs no Graphviz;
    turn it into a picture with :func:`render` or any Graphviz tool.

    Args:
        obj: a graph, GraphDef, view, op or list of ops.
        highlight: a view or ops (of the drawn graph) to highlight.
        max_ops: refuse to draw more than this many nodes (after collapsing); None: no limit.
        collapse_depth: draw each name scope nested deeper than this many levels as one
            node ``scope/ (N ops)``; 0 collapses every top-level scope. None: no collapsing.
        control: draw control edges.
        show_shapes: label data edges with dtype and shape (e.g. ``float32[?,4]``).
        context: for a view, also draw the ops around it.
        rankdir: Graphviz layout direction (``"TB"`` or ``"LR"``).
        title: a title drawn above the graph.

    Returns:
        The DOT text (``digraph G { ... }``).

    Raises:
        GraphEditValueError: more than ``max_ops`` nodes to draw (the message says how to
            draw less), or ``highlight`` is from another graph.

    Example:
        >>> print(ge.to_dot(graph, highlight=ge.sgv("c|d", graph=graph))[:30])
        digraph G {
    """
    graph, ops, view = _resolve(obj, "to_dot")
    if view is not None and highlight is None:
        highlight = view
    hl_ops, hl_in, hl_out = _highlight_sets(highlight, graph)
    drawn = list(ops)
    context_ops: set[tf.Operation] = set()
    if view is not None and context:
        seen = set(drawn)
        for t in view.inputs:
            if t.op not in seen:
                seen.add(t.op)
                context_ops.add(t.op)
                drawn.append(t.op)
        for t in view.outputs:
            for consumer in t.consumers():
                if consumer not in seen:
                    seen.add(consumer)
                    context_ops.add(consumer)
                    drawn.append(consumer)
    node_id = _node_id_fn(collapse_depth)

    # Nodes: op nodes, or collapsed scope nodes with their op counts.
    node_of: dict[tf.Operation, str] = {}
    members: dict[str, list[tf.Operation]] = {}
    for op in drawn:
        nid = node_id(op.name)
        node_of[op] = nid
        members.setdefault(nid, []).append(op)
    if max_ops is not None and len(members) > max_ops:
        raise GraphEditValueError(
            f"to_dot: {len(members)} nodes to draw ({len(drawn)} ops), more than "
            f"max_ops={max_ops}. Draw a part (e.g. ge.sgv_scope('<scope>', graph=graph)), "
            "collapse name scopes (collapse_depth=1), or raise max_ops (None: no limit)."
        )

    # Cluster tree: scope path -> node ids directly in it.
    tree: dict[str, list[str]] = {}
    for nid in members:
        parent = util.scope_dirname(nid.rstrip("/"))
        tree.setdefault(parent, []).append(nid)
    children: dict[str, dict[str, None]] = {}  # parent scope -> sub-scopes, ordered
    for scope in list(tree):
        while scope:
            parent = util.scope_dirname(scope[:-1])
            kids = children.setdefault(parent, {})
            if scope in kids:
                break
            kids[scope] = None
            scope = parent

    lines = [f"digraph {_q('G')} {{"]
    lines.append(f"  graph [rankdir={_q(rankdir)}, fontname=Helvetica, fontsize=11];")
    lines.append("  node [fontname=Helvetica, fontsize=10];")
    lines.append("  edge [fontname=Helvetica, fontsize=8];")
    if title:
        lines.append(f"  label={_q(title)}; labelloc=t;")

    def node_line(nid: str, indent: str) -> str:
        group = members[nid]
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

    def emit(scope: str, indent: str) -> None:
        for nid in tree.get(scope, []):
            lines.append(node_line(nid, indent))
        for sub in children.get(scope, []):
            lines.append(f"{indent}subgraph {_q('cluster_' + sub)} {{")
            lines.append(
                f"{indent}  label={_q(util.scope_basename(sub[:-1]))}; style=rounded; "
                'color="#9ca3af"; fontcolor="#4b5563";'
            )
            emit(sub, indent + "  ")
            lines.append(f"{indent}}}")

    emit("", "  ")

    # Edges, deduplicated for collapsed nodes.
    seen_edges: set[tuple[str, str, str]] = set()
    for op in drawn:
        dst = node_of[op]
        for t in op.inputs:
            src = node_of.get(t.op)
            if src is None or src == dst:
                continue
            key = (src, dst, t.name)
            if key in seen_edges:
                continue
            seen_edges.add(key)
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
        if control:
            for c in op.control_inputs:
                src = node_of.get(c)
                if src is None or src == dst:
                    continue
                key = (src, dst, "^")
                if key in seen_edges:
                    continue
                seen_edges.add(key)
                lines.append(
                    f'  {_q(src)} -> {_q(dst)} [style=dashed, color="#6b7280", '
                    f"arrowhead=odot, tooltip={_q('^' + c.name)}];"
                )
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def has_graphviz() -> bool:
    """True if :func:`render` can make pictures: the ``dot`` program is on the PATH.

    (The ``graphviz`` Python package alone is not enough: it calls the ``dot`` program.)

    Example:
        >>> fmt = "svg" if ge.visualize.has_graphviz() else "dot"
    """
    return shutil.which("dot") is not None


def _run_graphviz(dot_text: str, fmt: str, engine: str) -> bytes:
    try:
        import graphviz  # type: ignore[import-not-found]
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            return graphviz.Source(dot_text, engine=engine).pipe(format=fmt)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(
                f"render: the Graphviz program '{engine}' was not found. {INSTALL_HINT}"
            ) from e
        except graphviz.CalledProcessError as e:
            stderr = e.stderr.decode("utf-8", "replace") if e.stderr else str(e)
            raise GraphEditValueError(f"render: Graphviz failed: {stderr.strip()}") from e
    exe = shutil.which(engine)
    if exe is None:
        raise GraphvizNotFoundError(
            f"render: Graphviz is not installed (no Python package 'graphviz', no '{engine}' "
            f"program on the PATH). {INSTALL_HINT}"
        )
    proc = subprocess.run(
        [exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise GraphEditValueError(
            f"render: Graphviz '{engine} -T{fmt}' failed: "
            f"{proc.stderr.decode('utf-8', 'replace').strip()}"
        )
    return proc.stdout


def render(
    obj: Any,
    path: str | os.PathLike,
    format: str | None = None,  # noqa: A002 - the graphviz package's name
    *,
    engine: str = "dot",
    **dot_kwargs: Any,
) -> Path:
    """Draw ``obj`` into a file: SVG / PNG / PDF through Graphviz, or DOT text.

    The format comes from ``format`` or the file extension. ``.dot`` / ``.gv`` files are
    written without Graphviz. Nothing is written when drawing fails.

    Args:
        obj: a graph, GraphDef, view, op or list of ops.
        path: the file to write.
        format: ``"svg"``, ``"png"``, ``"pdf"``, ``"dot"``, ... (default: the extension).
        engine: the Graphviz layout program (``"dot"``, ``"neato"``, ...).
        **dot_kwargs: passed to :func:`to_dot` (``highlight``, ``max_ops``,
            ``collapse_depth``, ``control``, ``show_shapes``, ``context``, ``rankdir``,
            ``title``).

    Returns:
        The path written.

    Raises:
        GraphvizNotFoundError: (an ``ImportError``) Graphviz is missing; the message says
            how to install it.
        GraphEditValueError: unknown format, too many ops (see :func:`to_dot`), or Graphviz
            failed.

    Example:
        >>> ge.render(ge.sgv_scope("net", graph=graph), "net.svg")
        PosixPath('net.svg')
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if not fmt:
        raise GraphEditValueError(
            f"render: cannot tell the format of '{path}': give it an extension "
            "(.svg, .png, .pdf, .dot) or pass format=."
        )
    if fmt not in _TEXT_FORMATS + _IMAGE_FORMATS:
        raise GraphEditValueError(
            f"render: unknown format '{fmt}'; use one of "
            f"{', '.join(_TEXT_FORMATS + _IMAGE_FORMATS)}."
        )
    dot_text = to_dot(obj, **dot_kwargs)
    if fmt in _TEXT_FORMATS:
        data = dot_text.encode("utf-8")
    else:
        data = _run_graphviz(dot_text, fmt, engine)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------
# TensorBoard
# --------------------------------------------------------------------------------------------

_event_file_counter = itertools.count()


def _graph_def_of(obj: Any) -> Any:
    if isinstance(obj, tf.compat.v1.GraphDef):
        return obj
    if isinstance(obj, SubGraphView):
        if not obj:
            raise GraphEditValueError("write_tensorboard: the SubGraphView is empty.")
        names = {op.name for op in obj.ops}
        full = obj.graph.as_graph_def()
        gd = tf.compat.v1.GraphDef()
        gd.versions.CopyFrom(full.versions)
        gd.library.CopyFrom(full.library)
        gd.node.extend(n for n in full.node if n.name in names)
        return gd
    if isinstance(obj, tf.Graph):
        return obj.as_graph_def()
    if isinstance(getattr(obj, "graph", None), tf.Graph) and not isinstance(
        obj, (tf.Operation, tf.Tensor)
    ):
        return obj.graph.as_graph_def()
    raise GraphEditTypeError(
        "write_tensorboard expects a tf.Graph, a GraphDef, a SubGraphView or an object with a "
        f".graph (e.g. a ConcreteFunction), got {util._describe(obj)}."
    )


def write_tensorboard(graph: Any, logdir: str | os.PathLike) -> Path:
    """Write an event file whose graph TensorBoard's *Graphs* tab shows.

    Works in eager mode and in graph mode alike: the event file is written directly
    (``tf.io.TFRecordWriter`` + ``Event`` protos); no summary op is created and no
    default graph is touched. Run ``tensorboard --logdir LOGDIR`` to look at it.

    Args:
        graph: a ``tf.Graph``, a ``GraphDef``, a :class:`SubGraphView` (only its ops) or
            an object with a ``.graph`` such as a ``ConcreteFunction``.
        logdir: the directory (created if missing).

    Returns:
        The path of the new event file (``events.out.tfevents.*``).

    Example:
        >>> path = ge.write_tensorboard(graph, "logs/edited")
    """
    gd = _graph_def_of(graph)
    logdir = Path(logdir)
    logdir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    name = (
        f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}."
        f"{os.getpid()}.{next(_event_file_counter)}.graph_editor"
    )
    path = logdir / name
    with tf.io.TFRecordWriter(str(path)) as writer:
        version = tf.compat.v1.Event(wall_time=now, file_version="brain.Event:2")
        writer.write(version.SerializeToString())
        event = tf.compat.v1.Event(wall_time=now, step=0, graph_def=gd.SerializeToString())
        writer.write(event.SerializeToString())
    return path
