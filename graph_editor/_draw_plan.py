"""What a picture will draw, and the smaller routes to suggest when it is too big or too slow.

``visualize.to_dot`` makes a :class:`Plan` (layer level or op level, what is collapsed or
expanded, how many nodes that draws); the ``max_ops`` guard and ``render``'s time limit turn
:func:`routes` into their error messages. A route is only suggested when it differs from what
the call already uses, and it says how many nodes it would draw.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import tensorflow as tf

from graph_editor import _layer_dot, _op_dot
from graph_editor._layer_view import LayerView, layer_view
from graph_editor.errors import GraphEditValueError
from graph_editor.subgraph import SubGraphView

__all__ = ["Plan", "make_plan", "routes", "too_many_message"]


@dataclasses.dataclass
class Plan:
    """One picture: the ops or layers drawn and the options that chose them."""

    graph: tf.Graph
    drawn: list  # op level: the ops drawn (context included)
    view: SubGraphView | None
    context_ops: set
    structure: LayerView | None  # the layer structure found (whole graphs only)
    use_layers: bool
    layers_arg: Any
    collapse_depth: int | None
    shown: LayerView | None = None  # layer level: after collapse_depth
    expanded: set = dataclasses.field(default_factory=set)  # layer level: expanded node ids
    keep_open: list = dataclasses.field(default_factory=list)  # op level: expand= scopes
    node_of: dict = dataclasses.field(default_factory=dict)  # op level
    members: dict = dataclasses.field(default_factory=dict)  # op level
    n_nodes: int = 0

    @property
    def layer_nodes(self) -> LayerView:
        """The layer structure after ``collapse_depth`` (set whenever ``use_layers``)."""
        assert self.shown is not None, "a layer-level plan always has its layer structure"
        return self.shown

    def describe(self) -> str:
        if self.use_layers:
            n_layers = sum(1 for n in self.layer_nodes.nodes if n.kind in ("layer", "group"))
            text = f"one node per layer: {n_layers} layers"
            if self.expanded:
                text += f", {len(self.expanded)} expanded into their ops"
            return text + f"; {len(self.graph.get_operations())} ops in the graph"
        return f"{len(self.drawn)} ops"


def _check_layers_arg(layers: Any) -> None:
    if layers is not None and not isinstance(layers, bool):
        raise GraphEditValueError(f"layers must be None, True or False, got {layers!r}.")


def make_plan(
    graph: tf.Graph,
    ops: list,
    view: SubGraphView | None,
    *,
    whole: bool,
    model: Any,
    layers: Any,
    collapse_depth: Any,
    expand: Any,
    context: bool,
) -> Plan:
    """Choose layer or op level and count the nodes to draw."""
    _check_layers_arg(layers)
    _op_dot.check_collapse_depth(collapse_depth)
    structure = layer_view(graph, model) if whole else None
    if layers is True and structure is None:
        why = (
            "it draws whole graphs, not a view or a list of ops"
            if not whole
            else "no Keras layer scopes were found (a plain tf.compat.v1 graph, or a TF2 "
            "graph whose ops are not under <model>/<layer>/ name scopes)"
        )
        raise GraphEditValueError(f"to_dot: layers=True cannot be drawn: {why}; use layers=None.")
    use_layers = structure is not None and layers is not False
    plan = Plan(graph, list(ops), view, set(), structure, use_layers, layers, collapse_depth)
    if structure is not None and use_layers:
        plan.shown = shown = _layer_dot.collapse_layers(structure, collapse_depth)
        plan.expanded = _layer_dot.match_expand(shown, expand)
        plan.n_nodes = _layer_dot.count_drawn(shown, plan.expanded)
        return plan
    if view is not None and context:
        _add_context(plan, view)
    plan.keep_open = _op_dot.expand_scopes(plan.drawn, expand)
    plan.node_of, plan.members = _op_dot.op_members(plan.drawn, collapse_depth, plan.keep_open)
    plan.n_nodes = len(plan.members)
    return plan


def _add_context(plan: Plan, view: SubGraphView) -> None:
    """The producers of the view's inputs and the consumers of its outputs."""
    seen = set(plan.drawn)
    for t in view.inputs:
        if t.op not in seen:
            seen.add(t.op)
            plan.context_ops.add(t.op)
            plan.drawn.append(t.op)
    for t in view.outputs:
        for consumer in t.consumers():
            if consumer not in seen:
                seen.add(consumer)
                plan.context_ops.add(consumer)
                plan.drawn.append(consumer)


# --------------------------------------------------------------------------------------------
# Smaller routes
# --------------------------------------------------------------------------------------------


def _depth_route(counts: dict[int, int], current: int | None, target: int, n_now: int,
                 what: str) -> str | None:
    """Suggest the deepest ``collapse_depth`` (shallower than ``current``) whose picture fits
    ``target`` nodes; else the one drawing fewest nodes, if it draws fewer than now."""
    depths = sorted((d for d in counts if current is None or d < current), reverse=True)
    for d in depths:
        if counts[d] <= target:
            return f"{what} (collapse_depth={d}: {counts[d]} nodes)"
    if depths:
        best = min(depths, key=lambda d: (counts[d], -d))
        if counts[best] < n_now:
            return f"{what} (collapse_depth={best}: still {counts[best]} nodes)"
    return None


def _layer_routes(plan: Plan, target: int) -> list[str]:
    out = []
    if plan.expanded:
        n0 = _layer_dot.count_drawn(plan.layer_nodes, set())
        out.append(f"expand fewer layers (expand= opens {len(plan.expanded)}; none: {n0} nodes)")
    structure = plan.structure
    assert structure is not None, "a layer-level plan always has its layer structure"
    max_depth = max((n.name.count("/") for n in structure.nodes if n.kind == "layer"), default=0)
    counts = {}
    for d in range(max_depth):
        shown = _layer_dot.collapse_layers(structure, d)
        ids = {n.id for n in shown.nodes}
        counts[d] = _layer_dot.count_drawn(shown, plan.expanded & ids)
    route = _depth_route(counts, plan.collapse_depth, target, plan.n_nodes,
                         "collapse nested models")
    if route:
        out.append(route)
    return out


def _op_routes(plan: Plan, target: int) -> list[str]:
    out = []
    if plan.structure is not None:  # layers=False on a Keras graph
        n = _layer_dot.count_drawn(plan.structure, set())
        out.append(f"draw one node per layer (layers=None, the default here: {n} nodes)")
    if plan.keep_open:
        out.append(f"expand fewer scopes (expand= keeps {len(plan.keep_open)} open)")
    max_depth = max((op.name.count("/") for op in plan.drawn), default=0)
    counts = {
        d: len(_op_dot.op_members(plan.drawn, d, plan.keep_open)[1]) for d in range(max_depth)
    }
    route = _depth_route(counts, plan.collapse_depth, target, plan.n_nodes,
                         "collapse name scopes")
    if route:
        out.append(route)
    return out


def routes(plan: Plan, target: int) -> list[str]:
    """Ways to draw fewer than ``target`` nodes that the call does not use yet."""
    out = _layer_routes(plan, target) if plan.use_layers else _op_routes(plan, target)
    if plan.view is not None:
        out.append("draw a smaller view")
    else:
        out.append("draw a part (e.g. ge.sgv_scope('<scope>', graph=graph))")
    package = sys.modules.get("graph_editor")
    if package is not None and hasattr(package, "view"):
        out.append("open it in the HTML viewer, which needs no layout (ge.view(obj, 'x.html'))")
    return out


def too_many_message(plan: Plan, max_ops: int) -> str:
    return (
        f"to_dot: {plan.n_nodes} nodes to draw ({plan.describe()}), more than "
        f"max_ops={max_ops}. Draw less: {'; '.join(routes(plan, max_ops))}; or raise max_ops "
        "(None: no limit)."
    )
