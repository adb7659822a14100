"""See the graph: tables, networkx, DOT / SVG pictures and TensorBoard event files.

"Always visualize! Print out everything and visualize everything after each action!"
Every function here takes a ``tf.Graph``, a :class:`~graph_editor.SubGraphView`, an op or a
list of ops (``to_networkx`` / ``summary`` / ``to_dot`` / ``render`` also accept a Keras
model, a ``GraphDef`` or anything with a ``.graph``, such as a ``ConcreteFunction``)::

    print(ge.summary(graph))                      # name, type, inputs, outputs, device
    nxg = ge.to_networkx(graph)                   # networkx.MultiDiGraph
    text = ge.to_dot(graph, highlight=sgv)        # Graphviz DOT source, view highlighted
    ge.render(model, "model.svg")                 # Keras: one node per layer
    ge.render(sgv, "view.svg", timeout=30)        # needs Graphviz's dot program
    ge.write_tensorboard(graph, "logs/")          # TensorBoard's Graphs tab

Only :func:`render` to SVG / PNG / PDF needs Graphviz (the ``dot`` program, run with a time
limit); everything else needs TensorFlow and networkx only. The layer grouping lives in
``graph_editor._layer_view``, the two DOT writers in ``_layer_dot`` and ``_op_dot``.
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

from graph_editor import _draw_plan, _files, _graphdef, _layer_dot, _op_dot, util
from graph_editor import _resolve as _graphs
from graph_editor._layer_dot import _q as _q  # re-exported: tests and callers use them
from graph_editor._op_dot import _INPUT_COLOR as _INPUT_COLOR
from graph_editor._op_dot import _OUTPUT_COLOR as _OUTPUT_COLOR
from graph_editor.errors import (
    GraphEditTypeError,
    GraphEditValueError,
    GraphvizNotFoundError,
    RenderTimeoutError,
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
    "DEFAULT_TIMEOUT",
    "INSTALL_HINT",
]

#: Default ``max_ops`` of :func:`to_dot` / :func:`render`: Graphviz layouts of more nodes
#: take long and are unreadable.
DEFAULT_MAX_OPS = 500

#: Default ``timeout`` of :func:`render`, in seconds: Graphviz is stopped after this long.
DEFAULT_TIMEOUT = 60.0

#: How to get Graphviz, as said by :class:`~graph_editor.errors.GraphvizNotFoundError`.
INSTALL_HINT = (
    "Install Graphviz's `dot` program (`apt-get install graphviz`, `brew install graphviz` "
    "or `conda install graphviz`); `pip install tf-graph-editor[viz]` adds the Python "
    "helpers (graphviz, pydot). Without it, write DOT text with ge.to_dot() or "
    "render(..., 'out.dot')."
)

_TEXT_FORMATS = ("dot", "gv")
_IMAGE_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "eps")
_CELL_WIDTH = 60


# --------------------------------------------------------------------------------------------
# What to show
# --------------------------------------------------------------------------------------------


_keras_model = _graphs.keras_model


def _resolve(obj: Any, what: str) -> tuple[tf.Graph, list[tf.Operation], SubGraphView | None]:
    """``(graph, ops, view)`` for a Keras model, function, graph, GraphDef, view, op, list of
    ops or ``.graph`` holder."""
    return _graphs.shown(obj, what)[:3]


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
        obj: a Keras model, function, graph, GraphDef, view, op or list of ops.

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
        obj: a Keras model (the ops of ``ge.graph_from_keras(model)``), a ``tf.Graph``, a
            ``GraphDef``, a ``ConcreteFunction`` or ``tf.function`` (with an
            ``input_signature``), a :class:`SubGraphView`, an op or a list of ops.
        max_rows: show at most this many ops (None: all); a last line says how many were
            left out.

    Returns:
        The table as one string (lines separated by ``\\n``, no trailing newline).

    Raises:
        GraphEditTypeError: ``obj`` is of another type.
        GraphEditValueError: ``max_rows`` is negative, or the view is empty.

    Example:
        >>> print(ge.summary(graph, max_rows=3))
        Graph: 6 ops (5 types)
        #  name  type         inputs    outputs     device
        -  ----  -----------  --------  ----------  ------
        0  a     Placeholder            float32[2]
        1  b     Placeholder            float32[2]
        2  c     AddV2        a:0, b:0  float32[2]
        ... 3 more ops (max_rows=3).
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
        obj: a Keras model (its ``ge.graph_from_keras`` graph), function, graph, GraphDef,
            view, op or list of ops.
        control: include control edges.

    Returns:
        The networkx graph.

    Example:
        >>> nxg = ge.to_networkx(graph)
        >>> nxg.nodes["c"]["type"], nxg.edges["a", "c", 0]["tensor"]
        ('AddV2', 'a:0')
    """
    control = util.check_flag(control, "control")
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
    layers: bool | None = None,
    expand: str | list[str] | None = None,
) -> str:
    """Graphviz DOT source of a graph: one node per Keras layer, or per op in scope clusters.

    **Keras / TF2 graphs** (a Keras model, ``ge.graph_from_keras(model)``, a model's
    ``tf.function`` graph, an inlined SavedModel signature) are drawn one node per layer:
    its name, type, output shape and parameter count, with edges between layers. Variable
    placeholders and reads, constants and call plumbing (``Func/...`` identities) are folded
    into the layer that uses them (the ``params (N vars)`` line), never drawn.
    ``expand=["block_3"]`` draws the named layers (or every layer whose name starts with
    ``block_3_``) as their ops, in a cluster. ``layers=False`` draws every op instead.

    **Other graphs** (plain ``tf.compat.v1`` graphs, views, lists of ops) are drawn one node
    per op with name scopes as nested clusters. A :class:`SubGraphView` is drawn with its ops
    highlighted, plus (``context=True``) the ops just outside it, dashed. Edges carrying the
    view's inputs are blue and labelled ``in i``, those carrying its outputs red and labelled
    ``out j``. ``highlight=`` does the same for a view or ops inside a whole drawn graph.
    Control edges are dashed. The DOT text needs no Graphviz; :func:`render` draws it.

    Args:
        obj: a Keras model, graph, GraphDef, ``ConcreteFunction``, ``tf.function`` (with an
            ``input_signature``), view, op or list of ops.
        highlight: a view or ops (of the drawn graph) to highlight.
        max_ops: refuse to draw more than this many nodes (what is drawn: layers, expanded
            ops, collapsed scopes); None: no limit.
        collapse_depth: op level: draw each name scope nested deeper than this many levels
            as one node ``scope/ (N ops)`` (0 collapses every top-level scope); layer level:
            the same for nested models' layers. None: no collapsing.
        control: draw control edges.
        show_shapes: label op-level data edges with dtype and shape (``float32[?,4]``);
            layer nodes always show their output shape.
        context: for a view, also draw the ops around it.
        rankdir: Graphviz layout direction (``"TB"`` or ``"LR"``).
        title: a title drawn above the graph.
        layers: None: one node per layer when the graph has Keras layer structure (whole
            graphs only), else per op; True: per layer (an error without structure); False:
            per op.
        expand: layer level: layers to draw as their ops (names, name prefixes such as
            ``"block_3"``, or scopes); op level: name scopes kept open by collapse_depth.

    Returns:
        The DOT text (``digraph G { ... }``).

    Raises:
        GraphEditValueError: more than ``max_ops`` nodes to draw (the message says how to
            draw less, counting each route), ``highlight`` is from another graph, or
            ``layers=True`` without layer structure.
        GraphEditKeyError: an ``expand=`` item names no layer or scope.

    Example:
        >>> print(ge.to_dot(graph, highlight=ge.sgv("c|d", graph=graph)).splitlines()[0])
        digraph "G" {
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="fc1"),
        ...                           keras.layers.Dense(2, name="fc2")])
        >>> dot = ge.to_dot(model, expand=["fc2"])   # one node per layer, fc2's ops shown
    """
    return _plan_and_dot(obj, highlight=highlight, max_ops=max_ops, collapse_depth=collapse_depth,
                         control=control, show_shapes=show_shapes, context=context,
                         rankdir=rankdir, title=title, layers=layers, expand=expand)[1]


def _plan_and_dot(obj: Any, *, highlight: Any, max_ops: int | None, collapse_depth: Any,
                  control: bool, show_shapes: bool, context: bool, rankdir: str,
                  title: str | None, layers: Any, expand: Any) -> tuple[_draw_plan.Plan, str]:
    model = _keras_model(obj)
    graph, ops, view = _resolve(obj, "to_dot")
    whole = view is None and (
        model is not None
        or isinstance(obj, (tf.Graph, tf.compat.v1.GraphDef))
        or (isinstance(getattr(obj, "graph", None), tf.Graph) and not isinstance(obj, tf.Operation))
    )
    plan = _draw_plan.make_plan(graph, ops, view, whole=whole, model=model, layers=layers,
                                collapse_depth=collapse_depth, expand=expand, context=context)
    if max_ops is not None and plan.n_nodes > max_ops:
        raise GraphEditValueError(_draw_plan.too_many_message(plan, max_ops))
    if view is not None and highlight is None:
        highlight = view
    hl = _op_dot.highlight_sets(highlight, graph)
    if plan.use_layers:
        text = _layer_dot.layer_dot(plan.layer_nodes, expanded=plan.expanded, hl_ops=hl[0],
                                    control=control, show_shapes=show_shapes, rankdir=rankdir,
                                    title=title)
    else:
        text = _op_dot.op_dot(plan.drawn, plan.node_of, plan.members, hl=hl,
                              context_ops=plan.context_ops, control=control,
                              show_shapes=show_shapes, rankdir=rankdir, title=title)
    return plan, text


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


def _check_timeout(timeout: Any) -> None:
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise GraphEditValueError(f"render: timeout must be None or seconds > 0, got {timeout!r}.")


def _run_graphviz(dot_text: str, fmt: str, engine: str, timeout: float | None, plan) -> bytes:
    """Run the Graphviz program, killed after ``timeout`` seconds."""
    exe = shutil.which(engine)
    if exe is None:
        raise GraphvizNotFoundError(
            f"render: the Graphviz program '{engine}' was not found on the PATH. {INSTALL_HINT}"
        )
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
            check=False, timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:  # subprocess.run has killed it
        routes = _draw_plan.routes(plan, max(1, plan.n_nodes // 2))
        raise RenderTimeoutError(
            f"render: Graphviz '{engine}' did not finish within {timeout:g} s laying out "
            f"{plan.n_nodes} nodes ({plan.describe()}). Draw less: {'; '.join(routes)}; or "
            "raise timeout= (None: no limit)."
        ) from e
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
    timeout: float | None = DEFAULT_TIMEOUT,
    **dot_kwargs: Any,
) -> Path:
    """Draw ``obj`` into a file: SVG / PNG / PDF through Graphviz, or DOT text.

    The format comes from ``format`` or the file extension. ``.dot`` / ``.gv`` files are
    written without Graphviz. Keras / TF2 graphs are drawn one node per layer (see
    :func:`to_dot`). Graphviz is stopped after ``timeout`` seconds. Nothing is written when
    drawing fails.

    Args:
        obj: a Keras model, graph, GraphDef, ``ConcreteFunction``, ``tf.function`` (with an
            ``input_signature``), view, op or list of ops.
        path: the file to write.
        format: ``"svg"``, ``"png"``, ``"pdf"``, ``"dot"``, ... (default: the extension).
        engine: the Graphviz layout program (``"dot"``, ``"neato"``, ...).
        timeout: seconds Graphviz may take (None: no limit).
        **dot_kwargs: passed to :func:`to_dot` (``highlight``, ``max_ops``,
            ``collapse_depth``, ``control``, ``show_shapes``, ``context``, ``rankdir``,
            ``title``, ``layers``, ``expand``).

    Returns:
        The path written.

    Raises:
        GraphvizNotFoundError: (an ``ImportError``) Graphviz is missing; the message says
            how to install it.
        RenderTimeoutError: (a ``GraphEditValueError``) Graphviz took longer than
            ``timeout``; the message names smaller pictures (with their node counts).
        GraphEditValueError: unknown format, too many ops (see :func:`to_dot`), or Graphviz
            failed.

    Example:
        >>> ge.render(ge.sgv(c.op, d.op), "part.svg")  # doctest: +SKIP
        PosixPath('part.svg')
        >>> ge.render(model, "model.svg", expand=["fc2"], timeout=30)  # doctest: +SKIP
        PosixPath('model.svg')
    """
    if not isinstance(path, (str, os.PathLike)):
        raise GraphEditTypeError(f"render: path must be a str or os.PathLike, got "
                                 f"{util._describe(path)}.")
    if format is not None and not isinstance(format, str):
        raise GraphEditTypeError(f"render: format must be a string such as 'svg', got "
                                 f"{util._describe(format)}.")
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
    _check_timeout(timeout)
    path = _files.target(path, (path.suffix.lower(),), "render")  # before any work
    unknown = set(dot_kwargs) - _DOT_KWARGS
    if unknown:
        raise GraphEditTypeError(
            f"render: unexpected keyword(s) {sorted(unknown)}; to_dot takes "
            f"{sorted(_DOT_KWARGS)}."
        )
    kwargs = {**_DOT_DEFAULTS, **dot_kwargs}
    plan, dot_text = _plan_and_dot(obj, **kwargs)
    if fmt in _TEXT_FORMATS:
        data = dot_text.encode("utf-8")
    else:
        data = _run_graphviz(dot_text, fmt, engine, timeout, plan)
    _files.write(path, data)  # whole or not at all
    return path


_DOT_DEFAULTS = {
    "highlight": None,
    "max_ops": DEFAULT_MAX_OPS,
    "collapse_depth": None,
    "control": True,
    "show_shapes": True,
    "context": True,
    "rankdir": "TB",
    "title": None,
    "layers": None,
    "expand": None,
}
_DOT_KWARGS = frozenset(_DOT_DEFAULTS)


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
        return _graphdef.subset(obj.ops[0].graph.as_graph_def(), keep={op.name for op in obj.ops})
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
    if not isinstance(logdir, (str, os.PathLike)):
        raise GraphEditTypeError(f"write_tensorboard: logdir must be a directory path, got "
                                 f"{util._describe(logdir)}.")
    logdir = Path(logdir)
    if logdir.exists() and not logdir.is_dir():
        raise GraphEditValueError(
            f"write_tensorboard: '{logdir}' is a file, not a directory; give a log directory "
            "(it is created if missing) and run `tensorboard --logdir` on it."
        )
    gd = _graph_def_of(graph)
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
