"""An offline, interactive viewer of graphs, and before/after pictures of an edit.

:func:`view` writes ONE self-contained HTML file (its script and styles are inline, no
network is needed to open it) showing a graph, a function or a Keras model: pan, zoom,
search by name, click a node to see its type, attributes, shapes, dtypes and inputs, and
open or close name scopes (a Keras model shows one node per layer at first).
:func:`diff_view` shows what an edit did: added, removed and rewired ops in colour, as the
same HTML page or, for ``.svg`` / ``.dot`` paths, as a Graphviz picture::

    ge.view(model, "model.html")
    before = graph.as_graph_def()          # ge edits change graphs in place: snapshot first
    ge.bypass(ge.sgv(op))
    ge.diff_view(before, graph, "edit.html")

Variable plumbing is folded: captured variable handles, their ``ReadVariableOp`` s and
``Const`` s read by one op are listed on the op that reads them, not drawn.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import tensorflow as tf

from graph_editor import _files, _op_dot, util
from graph_editor import _resolve as _graphs
from graph_editor import _viewer_data as vd
from graph_editor._viewer_page import page
from graph_editor.errors import (
    GraphEditKeyError,
    GraphEditTypeError,
    GraphEditValueError,
    GraphvizNotFoundError,
)

__all__ = ["view", "diff_view", "diff_ops"]

_HTML = (".html", ".htm")
_DOT = (".dot", ".gv")
_IMAGES = (".svg", ".png", ".pdf")
#: In a diff, scopes holding changed ops are opened at first when there are at most this
#: many changed ops to show.
_OPEN_CHANGES = 20


# --------------------------------------------------------------------------------------------
# What to show
# --------------------------------------------------------------------------------------------


def _resolve(obj: Any, input_specs: Any, what: str) -> tuple[tf.Graph, list, Any]:
    """``(graph, ops, keras model or None)``; functions and models as their editable copy."""
    graph, ops, _, model = _graphs.shown(obj, what, input_specs, editable=True)
    return graph, ops, model


def _side(
    obj: Any, input_specs: Any, fold: bool, what: str, raw: bool = False
) -> tuple[dict, Any, str]:
    graph, ops, model = _resolve(obj, input_specs, what)
    name = getattr(model, "name", None) or getattr(obj, "name", None) or "graph"
    return vd.graph_side(graph, ops, fold=fold, raw=raw), model, str(name)


def _check_expand(expand: Any, scopes: list[dict], what: str) -> Any:
    if expand is None or expand == "all":
        return expand
    if isinstance(expand, str):
        expand = [expand]
    names = {sc["n"] for sc in scopes}
    for name in expand:
        if not isinstance(name, str):
            raise GraphEditTypeError(
                f"{what}: expand= takes scope names (str), 'all' or None, got {name!r}."
            )
        if name.rstrip("/") not in names:
            close = difflib.get_close_matches(name.rstrip("/"), sorted(names), n=5)
            raise GraphEditKeyError(
                f"{what}: no scope '{name}' among the drawn ops (expand=). "
                f"Closest: {close or sorted(names)[:8]}."
            )
    return expand


def _page_data(side: dict, model: Any, expand: Any, what: str) -> dict:
    if not side["ops"]:
        raise GraphEditValueError(f"{what}: the graph has no ops, nothing to show.")
    scopes_paths = sorted({util.scope_dirname(r["n"])[:-1] for r in side["ops"]} - {""})
    all_paths: set[str] = set()
    for path in scopes_paths:
        while path:
            all_paths.add(path)
            path = util.scope_dirname(path)[:-1]
    ordered = sorted(all_paths, key=lambda p: (p.count("/"), p))
    layer_types = vd.keras_layer_types(model, ordered) if model is not None else {}
    scopes = vd.build_scopes(side, layer_types)
    expand = _check_expand(expand, scopes, what)
    wrappers = vd.initial_expanded(scopes, len(side["ops"]), None)
    opened = vd.initial_expanded(scopes, len(side["ops"]), expand)
    return {
        "mode": "view",
        "ops": side["ops"],
        "edges": side["edges"],
        "scopes": scopes,
        "expanded": opened,
        "wrappers": wrappers,
        "folded": len(side["folded"]),
    }


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------




def view(
    obj: Any,
    path: str | os.PathLike,
    *,
    title: str | None = None,
    expand: Any = None,
    fold: bool = True,
    input_specs: Any = None,
) -> Path:
    """Write an interactive, self-contained HTML page of a graph, function or Keras model.

    The page needs no network: open it in any browser, offline. It shows the graph laid out
    top-down; name scopes are drawn closed (one node each, labelled with the Keras layer
    class, its main op type and output shape), and double-clicking opens them. Search by
    name or type, click a node to see its op type, attributes, output dtypes and shapes and
    its inputs; drag to pan, wheel to zoom.

    Scopes that hold at least half of all ops (a model's outer scope) start open, so a
    Keras model shows one node per layer. Captured variable handles, their reads and
    single-use constants are folded into the ops that read them (listed in the details).

    Args:
        obj: a ``tf.Graph``, a ``GraphDef``, a :class:`SubGraphView` (only its ops), an op or
            a list of ops, a ``tf.function`` or ``ConcreteFunction`` (its graph with nested
            calls inlined), or a Keras model (its inference graph, by
            :func:`graph_editor.graph_from_keras`).
        path: the ``.html`` file to write (its directory must exist).
        title: the page title (default: the model's, function's or graph's name).
        expand: scope names to show open at first (their parents too), ``"all"``, or None.
        fold: fold variable reads, single-use constants and call plumbing (False: draw
            every op).
        input_specs: ``tf.TensorSpec`` (s) to trace a ``tf.function`` without an input
            signature, or a Keras model's input specs.

    Returns:
        The path written.

    Raises:
        GraphEditValueError: bad path (wrong suffix, missing directory, a directory), or
            an empty view.
        GraphEditKeyError: an ``expand`` name that is no scope of the graph.
        GraphEditTypeError: ``obj`` is of another type.

    Example:
        >>> ge.view(graph, "graph.html")
        PosixPath('graph.html')
    """
    target = _files.target(path, _HTML, "view")
    side, model, name = _side(obj, input_specs, fold, "view")
    data = _page_data(side, model, expand, "view")
    text = page(title or name, data)
    _files.write(target, text.encode("utf-8"))
    return target


# --------------------------------------------------------------------------------------------
# Before / after
# --------------------------------------------------------------------------------------------


def diff_ops(before: Any, after: Any, *, input_specs: Any = None) -> dict[str, list[str]]:
    """What changed between two graphs, matching ops by name.

    Args:
        before: the graph before the edit: a ``GraphDef`` snapshot
            (``graph.as_graph_def()``, taken before editing in place), a graph, a view, a
            function or a Keras model.
        after: the graph after the edit (same kinds).
        input_specs: specs to trace functions or Keras models with.

    Returns:
        ``{"added": [...], "removed": [...], "rewired": [...], "changed": [...]}`` op names:
        ops only in ``after``, ops only in ``before``, ops in both with different inputs
        (data or control), ops in both with the same inputs but another type or attributes.

    Example:
        >>> before = graph.as_graph_def()
        >>> ge.reroute_ts(a, b, can_modify=d.op)   # d = c * a
        1
        >>> ge.viewer.diff_ops(before, graph)["rewired"]
        ['d']
    """
    b, _, _ = _side(before, input_specs, True, "diff_ops", raw=True)
    a, _, _ = _side(after, input_specs, True, "diff_ops", raw=True)
    return vd.diff_sets(b, a)


def _diff_expanded(data: dict, sets: dict[str, list[str]]) -> list[int]:
    opened = set(data["expanded"])
    changed = [r for r in data["ops"] if r.get("st")]
    if len(changed) <= _OPEN_CHANGES:
        scopes = data["scopes"]
        for r in changed:
            s = r["s"]
            while s >= 0:
                opened.add(s)
                s = scopes[s]["p"]
    return sorted(opened)


def diff_view(
    before: Any,
    after: Any,
    path: str | os.PathLike,
    *,
    title: str | None = None,
    expand: Any = None,
    input_specs: Any = None,
    timeout: float = 60.0,
) -> Path:
    """Picture of an edit: added, removed and rewired ops highlighted.

    Ops are matched by name: *added* ops exist only after, *removed* ops only before,
    *rewired* ops have other inputs after, *changed* ops the same inputs but another type or
    attributes. ``.html`` writes the :func:`view` page with these colours, a legend (click
    an entry to list its ops) and change counts on closed scopes; scopes with changes are
    opened at first when there are at most 20 changed ops. ``.dot`` writes Graphviz text
    and ``.svg`` / ``.png`` / ``.pdf`` run Graphviz's ``dot`` on it (closed scopes as single
    nodes, no clusters, so layout stays fast).

    ge edits change graphs in place: snapshot the graph with ``graph.as_graph_def()``
    before editing and pass that snapshot as ``before``.

    Args:
        before: the graph before the edit (a ``GraphDef`` snapshot, or anything
            :func:`view` takes).
        after: the graph after the edit.
        path: the file to write: ``.html``, ``.svg``, ``.png``, ``.pdf`` or ``.dot``.
        title: the page title.
        expand: scope names to show open at first, ``"all"``, or None.
        input_specs: specs to trace functions or Keras models with.
        timeout: seconds Graphviz may take for images.

    Returns:
        The path written.

    Raises:
        GraphEditValueError: bad path, or Graphviz failed or took longer than ``timeout``.
        GraphvizNotFoundError: an image was asked for and Graphviz's ``dot`` is missing.

    Example:
        >>> before = graph.as_graph_def()
        >>> ge.reroute_ts(a, b, can_modify=d.op)   # d = c * a
        1
        >>> ge.diff_view(before, graph, "edit.html")
        PosixPath('edit.html')
    """
    target = _files.target(path, _HTML + _DOT + _IMAGES, "diff_view")
    b_side, b_model, b_name = _side(before, input_specs, True, "diff_view", raw=True)
    a_side, a_model, a_name = _side(after, input_specs, True, "diff_view", raw=True)
    merged, sets = vd.merge_sides(b_side, a_side)
    data = _page_data(merged, a_model or b_model, expand, "diff_view")
    data["mode"] = "diff"
    data["diff"] = sets
    if expand is None:
        data["expanded"] = _diff_expanded(data, sets)
    title = title or f"{a_name}: before / after"
    suffix = target.suffix.lower()
    if suffix in _HTML:
        _files.write(target, page(title, data).encode("utf-8"))
        return target
    dot_text = _diff_dot(data, title)
    if suffix in _DOT:
        _files.write(target, dot_text.encode("utf-8"))
    else:
        _files.write(target, _run_dot(dot_text, suffix[1:], timeout))
    return target


# --------------------------------------------------------------------------------------------
# DOT for diffs
# --------------------------------------------------------------------------------------------

_FILL = {"added": "#dcfce7", "removed": "#fee2e2", "rewired": "#fef3c7", "changed": "#ede9fe"}
_LINE = {"added": "#16a34a", "removed": "#dc2626", "rewired": "#d97706", "changed": "#7c3aed"}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _visible(data: dict) -> tuple[list[str], dict[str, dict], list[str]]:
    """``(rep key per op, node info per key, keys in order)`` for the opened scopes."""
    scopes, opened = data["scopes"], set(data["expanded"])
    chains: dict[int, list[int]] = {-1: []}

    def chain(s: int) -> list[int]:
        if s not in chains:
            chains[s] = chain(scopes[s]["p"]) + [s]
        return chains[s]

    reps: list[str] = []
    nodes: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for i, r in enumerate(data["ops"]):
        key = next((f"s{s}" for s in chain(r["s"]) if s not in opened), f"o{i}")
        reps.append(key)
        info = nodes.get(key)
        if info is None:
            info = nodes[key] = {"counts": dict.fromkeys(_FILL, 0), "n": 0}
            order.append(key)
        info["n"] += 1
        if r.get("st"):
            info["counts"][r["st"]] += 1
    return reps, nodes, order


def _dot_node(key: str, info: dict, data: dict) -> str:
    counts, n = info["counts"], info["n"]
    if key[0] == "o":
        r = data["ops"][int(key[1:])]
        label = [util.scope_basename(r["n"]), r["t"]]
        status = r.get("st")
        tooltip = r["n"]
    else:
        sc = data["scopes"][int(key[1:])]
        label = [util.scope_basename(sc["n"]) + "/", sc["k"] or sc["ty"]]
        marks = "".join(f"{m}{counts[k]} " for k, m in zip(_FILL, "+-~*") if counts[k]).strip()
        if marks:
            label.append(marks)
        status = next((k for k in ("added", "removed") if counts[k] == n), None)
        if status is None and any(counts.values()):
            status = "rewired"
        tooltip = sc["n"] + "/"
    style = 'shape=box, style="rounded,filled", fillcolor="#ffffff", color="#6b7280"'
    if status:
        dash = ",dashed" if status == "removed" else ""
        style = (
            f'shape=box, style="rounded,filled{dash}", fillcolor="{_FILL[status]}", '
            f'color="{_LINE[status]}", penwidth=2'
        )
    text = "\\n".join(p.replace("\\", "\\\\").replace('"', '\\"') for p in label)
    return f'  {_q(key)} [label="{text}", {style}, tooltip={_q(tooltip)}];'


def _dot_clusters(data: dict, nodes: dict, order: list[str]) -> list[str]:
    """Node lines, inside one cluster per open scope (a model's outer scope excepted)."""
    scopes, wrappers = data["scopes"], set(data["wrappers"])
    members: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    linked: set[int] = set()
    for key in order:
        i = int(key[1:])
        s = data["ops"][i]["s"] if key[0] == "o" else scopes[i]["p"]
        while s in wrappers:
            s = scopes[s]["p"]
        members.setdefault(s, []).append(key)
        while s >= 0 and s not in linked:
            linked.add(s)
            parent = scopes[s]["p"]
            while parent in wrappers:
                parent = scopes[parent]["p"]
            children.setdefault(parent, []).append(s)
            s = parent
    return _op_dot.nested_clusters(
        -1, members, children,
        lambda key, indent: indent + _dot_node(key, nodes[key], data).strip(),
        lambda kid: util.scope_basename(scopes[kid]["n"]),
    )


def _diff_dot(data: dict, title: str) -> str:
    reps, nodes, order = _visible(data)
    lines = [
        "digraph G {",
        "  graph [rankdir=TB, fontname=Helvetica, fontsize=11, labelloc=t, label="
        + _q(title)
        + "];",
        "  node [fontname=Helvetica, fontsize=10];",
        '  edge [fontname=Helvetica, fontsize=8, color="#9ca3af"];',
    ]
    lines += _dot_clusters(data, nodes, order)
    index = {r["n"]: i for i, r in enumerate(data["ops"])}
    seen: dict[tuple[str, str], set] = {}
    for src, dst, _tensor, _text, ctl, *status in data["edges"]:
        a, b = reps[index[src]], reps[index[dst]]
        if a != b:
            seen.setdefault((a, b), set()).add((status[0] if status else "same", ctl))
    for (a, b), kinds in seen.items():
        sts = {k[0] for k in kinds}
        st = sts.pop() if len(sts) == 1 else "same"
        attrs = []
        if st in _LINE:
            attrs.append(f'color="{_LINE[st]}", penwidth=2')
            if st == "removed":
                attrs.append("style=dashed")
        elif all(k[1] for k in kinds):
            attrs.append("style=dashed")
        lines.append(f"  {_q(a)} -> {_q(b)}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("  subgraph cluster_legend {")
    lines.append('    label="legend"; style=rounded; color="#9ca3af"; fontsize=10;')
    for k in _FILL:
        n = len(data["diff"][k])
        lines.append(
            f'    {_q("legend_" + k)} [label="{k} ({n})", shape=box, style="rounded,filled", '
            f'fillcolor="{_FILL[k]}", color="{_LINE[k]}"];'
        )
    lines.append("    " + " -> ".join(_q("legend_" + k) for k in _FILL) + " [style=invis];")
    lines.append("    {rank=same; " + "; ".join(_q("legend_" + k) for k in _FILL) + "}")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _run_dot(dot_text: str, fmt: str, timeout: float) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(
            "diff_view: Graphviz's 'dot' program is not on the PATH, so no image can be "
            "made. Install it (apt-get install graphviz, brew install graphviz or conda "
            "install graphviz), or write '.html' or '.dot' instead."
        )
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise GraphEditValueError(
            f"diff_view: Graphviz took more than timeout={timeout} s. Write '.html' instead "
            "(no Graphviz, any size), close scopes (expand=None), or raise timeout=."
        ) from e
    if proc.returncode != 0:
        raise GraphEditValueError(
            f"diff_view: Graphviz 'dot -T{fmt}' failed: "
            f"{proc.stderr.decode('utf-8', 'replace').strip()}"
        )
    return proc.stdout
