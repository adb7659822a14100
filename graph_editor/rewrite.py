"""Pattern rewriting: find every match of a pattern and replace it, in place or pruned.

A pattern is either an :class:`~graph_editor.match.OpMatcher` tree or a plain Python
function of tensors written with TF ops, traced into a private graph with placeholders (as
torch.fx's ``replace_pattern`` does). Matching is anchored at the pattern's output op and
walks inputs: ops match by type and connectivity; a placeholder of the pattern matches any
tensor (the same placeholder twice means the same tensor); a ``Const`` matches any ``Const``
unless ``match_const_values=True``.

Example::

    def pattern(x):
        return tf.nn.relu(tf.nn.relu(x))

    def replacement(m):                         # m: a Match
        return tf.nn.relu(m.inputs[0])

    report = ge.rewrite(graph, pattern, replacement)
    report.matches, report.replaced_ops, report.iterations

Rules:

- matches never overlap (an op belongs to one match at most; matched ``Const`` ops are
  shared leaves, never replaced);
- rounds repeat to a fixed point (at most ``max_iterations``): replaced ops and the roots
  of matches never match again, the replacements' new ops and the matched ops they still
  read can (in a ``SubGraphView`` too);
- every matched op other than the root must be consumed only inside the match (data and
  control edges), so that replacing it is safe;
- ``replacement(match)`` runs with the match's graph as default graph, under a name scope
  next to the root, with no active control dependencies; it returns a tensor or a list of
  tensors (``None`` leaves that output alone) that replace ``match.outputs`` pairwise;
- every replacement of an iteration is validated (count, graph, dtype, static shape) before
  the first pre-existing node is touched; a failure later on (a cycle, an error in another
  iteration) undoes the edits already made, so a failed rewrite leaves every pre-existing
  node as it was;
- control inputs of the matched ops go to the replacement (to its source ops, or, if it
  created no op, to the rerouted consumers); ops that had the root as a control input now
  wait for the replacement's output ops;
- TensorFlow cannot delete ops: replaced ops stay in the graph, unreachable. With
  ``prune=True`` the rewrite runs on a copy and ``report.graph`` holds only what the
  graph's outputs need (the input graph is untouched).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import tensorflow as tf

from graph_editor import _edits, _graphdef, _patterns, _tf, reroute, subgraph, util
from graph_editor._callable_module import make_callable
from graph_editor.errors import (
    GraphEditTypeError,
    GraphEditValueError,
    GraphFinalizedError,
)

__all__ = ["Match", "MatchOps", "RewriteReport", "find_matches", "rewrite"]


# --------------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------------


class MatchOps(Sequence):
    """The ops of a match, by pattern position (``ops[0]`` is the root) or by name.

    Names are the op names of a traced function pattern (``"MatMul"``, or what the pattern
    passed as ``name=``), or the op types for an ``OpMatcher`` pattern (first one in
    pattern order).
    """

    __slots__ = ("_ops", "_by_name")

    def __init__(self, ops: list[tf.Operation], names: list[str]) -> None:
        self._ops = ops
        self._by_name: dict[str, tf.Operation] = {}
        for name, op in zip(names, ops):
            self._by_name.setdefault(name, op)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return self._by_name[key]
            except KeyError:
                raise GraphEditValueError(
                    f"No op named {key!r} in this match; names: {sorted(self._by_name)}."
                ) from None
        return self._ops[key]

    def __len__(self) -> int:
        return len(self._ops)

    def __iter__(self) -> Iterator[tf.Operation]:
        return iter(self._ops)

    def __contains__(self, op: object) -> bool:
        return any(o is op for o in self._ops)

    def keys(self) -> list[str]:
        """The names usable as keys."""
        return list(self._by_name)

    def __repr__(self) -> str:
        return "MatchOps([" + ", ".join(op.name for op in self._ops) + "])"


class Match:
    """One occurrence of a pattern in a graph.

    Attributes:
        graph: the graph.
        root: the op whose outputs are replaced (the pattern's output op).
        ops: the matched ops (:class:`MatchOps`), root first.
        inputs: tensors feeding the pattern from outside, in pattern-argument order (function
            patterns) or in discovery order (``OpMatcher`` patterns).
        outputs: the root's outputs, which the replacement replaces pairwise.
    """

    __slots__ = ("graph", "root", "ops", "inputs", "outputs", "_shared")

    def __init__(self, root: tf.Operation, ops: MatchOps, inputs: list, shared: set) -> None:
        self.graph = root.graph
        self.root = root
        self.ops = ops
        self.inputs = inputs
        self.outputs = list(root.outputs)
        self._shared = shared  # matched Const ops: shared leaves, never replaced

    def __repr__(self) -> str:
        return f"<Match root={self.root.name!r} ops={[o.name for o in self.ops]}>"


@dataclass
class RewriteReport:
    """What a rewrite (or a pass) did.

    Attributes:
        matches: matches replaced, over all iterations.
        replaced_ops: original ops replaced (now unused unless also fetched by name).
        new_ops: ops created by the replacements.
        iterations: match-and-replace rounds run (the last one found nothing unless
            ``max_iterations`` was reached).
        graph: with ``prune=True``, the new pruned graph; else the edited graph.
    """

    matches: int = 0
    replaced_ops: list = field(default_factory=list)
    new_ops: list = field(default_factory=list)
    iterations: int = 0
    graph: tf.Graph | None = None

    def __bool__(self) -> bool:
        return self.matches > 0

    def __repr__(self) -> str:
        return (
            f"RewriteReport(matches={self.matches}, replaced_ops={len(self.replaced_ops)}, "
            f"new_ops={len(self.new_ops)}, iterations={self.iterations})"
        )


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def _target(graph_or_view: Any) -> tuple[tf.Graph, list | None]:
    if isinstance(graph_or_view, tf.Graph):
        return graph_or_view, None
    if isinstance(graph_or_view, subgraph.SubGraphView):
        if graph_or_view.graph is None:
            raise GraphEditValueError("The SubGraphView is empty: it has no graph to rewrite.")
        return graph_or_view.graph, list(graph_or_view.ops)
    raise GraphEditTypeError(
        f"Expected a tf.Graph or a SubGraphView, got {util._describe(graph_or_view)}."
    )


def _find(
    graph: tf.Graph,
    compiled: Any,
    view_ops: list | None,
    excluded: set,
    filter_fn: Callable | None,
    dead: frozenset | set = frozenset(),
) -> list[Match]:
    ops = view_ops if view_ops is not None else graph.get_operations()
    in_view = set(view_ops) if view_ops is not None else None
    claimed: set = set()
    root_types = compiled.root_types
    control_outputs = _tf.control_outputs
    found = []
    for op in reversed(ops):
        if root_types is not None and op.type not in root_types:
            continue
        if op in claimed or op in excluded:
            continue
        res = compiled.match(op)
        if res is None:
            continue
        mops, names, inputs = res
        if not compiled.allows_control_flow and any(_patterns.is_plumbing(o) for o in mops):
            continue  # a cond pivot or loop op: replacing it breaks the construct
        shared = {o for o in mops[1:] if o.type == "Const"}
        members = set(mops)
        ok = True
        for o in mops:
            if (in_view is not None and o not in in_view) or (
                o not in shared and (o in claimed or o in excluded)
            ):
                ok = False
                break
        if ok:
            for o in mops[1:]:
                if o in shared:
                    continue
                if any(
                    c not in members and c not in dead for t in o.outputs for c in t.consumers()
                ) or any(c not in members and c not in dead for c in control_outputs(o)):
                    ok = False
                    break
        if not ok:
            continue
        m = Match(op, MatchOps(mops, names), inputs, shared)
        if filter_fn is not None and not filter_fn(m):
            continue
        claimed.update(o for o in mops if o not in shared)
        found.append(m)
    return found


def find_matches(
    graph_or_view: tf.Graph | subgraph.SubGraphView,
    pattern: Any,
    filter: Callable[[Match], bool] | None = None,  # noqa: A002 - the contract's name
    pattern_dtypes: Any = None,
    match_const_values: bool = False,
) -> list[Match]:
    """Every non-overlapping match of ``pattern``, without changing anything.

    Args:
        graph_or_view: a ``tf.Graph`` or a ``SubGraphView`` (only its ops are matched).
        pattern: an ``OpMatcher`` or a function of tensors (see :func:`rewrite`).
        filter: ``filter(match) -> bool``; False rejects the match.
        pattern_dtypes: dtype(s) of a function pattern's placeholders (float32 by default).
        match_const_values: a pattern ``Const`` only matches a ``Const`` of equal value.

    Returns:
        The matches, roots in reverse creation order.

    Example:
        >>> with graph.as_default():
        ...     h = tf.nn.relu(tf.matmul(tf.reshape(e, [1, 2]), tf.ones([2, 3])), name="dense/Relu")
        >>> matrix = tf.TensorSpec([None, None], tf.float32)   # rank 2: traces to MatMul
        >>> ms = ge.find_matches(graph, lambda x, y: tf.nn.relu(tf.matmul(x, y)),
        ...                      pattern_dtypes=matrix)
        >>> [m.root.name for m in ms]
        ['dense/Relu']
    """
    graph, view_ops = _target(graph_or_view)
    compiled = _patterns.compile_pattern(pattern, pattern_dtypes, match_const_values)
    if filter is not None and not callable(filter):
        raise GraphEditTypeError(f"filter must be callable, got {util._describe(filter)}.")
    return _find(graph, compiled, view_ops, set(), filter)


# --------------------------------------------------------------------------------------------
# Replacing
# --------------------------------------------------------------------------------------------


def _new_ops_of(results: list, last_id: int) -> list[tf.Operation]:
    """Ops with an id above ``last_id`` reachable backwards from ``results`` (creation order)."""
    seen: set = set()
    stack = [t.op for t in results if t is not None]
    out = []
    op_id = _tf.op_id
    while stack:
        op = stack.pop()
        if op in seen or op_id(op) <= last_id:
            continue
        seen.add(op)
        out.append(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    out.sort(key=op_id)
    return out


def _call_replacement(replacement: Callable, m: Match) -> tuple[list, list]:
    graph = m.graph
    last_id = _tf.last_op_id(graph)
    scope = _tf.unique_name_at_root(graph, m.root.name + "_rewrite")
    with graph.as_default(), graph.name_scope(scope + "/"), graph.control_dependencies(None):
        result = replacement(m)
    if isinstance(result, (list, tuple)):
        results = list(result)
    else:
        results = [result]
    n = len(m.outputs)
    if len(results) != n:
        raise GraphEditValueError(
            f"The replacement for the match at {m.root.name!r} returned {len(results)} "
            f"tensor(s), but the root has {n} output(s): return one tensor (or None to keep "
            f"it) per output of {m.root.name!r}."
        )
    for i, (new, old) in enumerate(zip(results, m.outputs)):
        if new is None:
            continue
        if not isinstance(new, tf.Tensor) or isinstance(new, tf.Variable):
            raise GraphEditTypeError(
                f"The replacement for {old.name!r} must be a tf.Tensor (or None), got "
                f"{util._describe(new)}."
            )
        util.check_stand_in(
            old, new, f"The replacement for output {i} of {m.root.name!r} (built in the "
            "match's graph, the default graph during the call)"
        )
    return results, _new_ops_of(results, last_id)


def _add_controls(op: tf.Operation, cops: list) -> None:
    """Add the control inputs ``op`` does not have yet (validated, through ``reroute``)."""
    have = set(op.control_inputs)
    cops = [c for c in cops if c not in have and c is not op]
    if cops:
        reroute.add_control_inputs(op, cops)


def _apply(m: Match, results: list, new_ops: list, forward: dict, report: Any) -> None:
    """Replace one match; every edit is validated by ``reroute`` and recorded by the
    channel the rounds run in."""
    new_set = set(new_ops)
    members = [o for o in m.ops if o not in m._shared]
    member_set = set(members)
    cins: list = []
    seen_c: set = set()
    for o in members:
        for c in o.control_inputs:
            if c not in member_set and c not in seen_c:
                seen_c.add(c)
                cins.append(c)
    rerouted: list = []
    out_ops: list = []
    for old, new in zip(m.outputs, results):
        if new is None:
            continue
        while new.name in forward:
            new = forward[new.name]
        if new.op not in out_ops:
            out_ops.append(new.op)
        if new is old or new.name == old.name:
            continue
        consumers = [c for c in old.consumers() if c not in new_set]
        if consumers:
            reroute.reroute_ts([new], [old], can_modify=consumers)
            rerouted.extend(consumers)
        forward[old.name] = new
    if cins:
        sources = [o for o in new_ops if not any(t.op in new_set for t in o.inputs)]
        targets = sources or list(dict.fromkeys(rerouted))
        for target in targets:
            _add_controls(target, [c for c in cins if c is not target])
    if out_ops:
        # Ops that waited for the root wait for the replacement (and, if it created no
        # op, for the matched ops' control inputs too).
        waits = out_ops + ([] if new_ops else cins)
        for c in list(_tf.control_outputs(m.root)):
            if c in member_set or c in new_set:
                continue
            reroute.remove_control_inputs(c, [m.root])
            _add_controls(c, waits)
    # Matched ops the replacement still reads are kept, not replaced.
    read = {t.op for o in new_ops for t in o.inputs}
    read.update(t.op for t in results if t is not None)
    report.replaced_ops.extend(o for o in members if o not in read)
    report.new_ops.extend(new_ops)


def _sinks(graph: tf.Graph) -> list[str]:
    control_outputs = _tf.control_outputs
    return [
        op.name
        for op in graph.get_operations()
        if not any(t.consumers() for t in op.outputs) and not control_outputs(op)
    ]


def _rounds(graph: tf.Graph, compiled: Any, replacement: Callable, filter_fn: Any,
            view_ops: list | None, max_iterations: int, report: RewriteReport,
            sink_set: set, prune: bool) -> tuple[list[str], set]:
    """Find-and-replace rounds until none matches; undone as a whole if one fails.

    Returns the sinks the replacements added and the original sinks they replaced.
    """
    forward: dict = {}
    excluded: set = set()
    dead: set = set()  # replaced ops: their reads do not count as consumers
    extra_sinks: list[str] = []
    dead_sinks: set = set()
    top = _tf.ops_created_after(graph, 1 << 62)[1]
    try:
        with _edits.EdgeEdits(graph):  # a failure undoes the edits of every round
            for _ in range(max_iterations):
                report.iterations += 1
                matches = _find(graph, compiled, view_ops, excluded, filter_fn, dead)
                if not matches:
                    break
                planned = [(m, *_call_replacement(replacement, m)) for m in matches]
                for m, results, new_ops in planned:
                    n_before = len(report.replaced_ops)
                    _apply(m, results, new_ops, forward, report)
                    replaced = report.replaced_ops[n_before:]
                    dead.update(replaced)
                    # Replaced ops and the root never match again; matched ops the replacement
                    # still reads (Relu(Relu(x)) -> the inner Relu) can, and so can new ops.
                    excluded.update(replaced)
                    excluded.add(m.root)
                    if view_ops is not None:
                        view_ops.extend(new_ops)
                    if m.root.name in sink_set:
                        dead_sinks.update(o.name for o in replaced)
                        extra_sinks.extend(t.op.name for t in results if t is not None)
                report.matches += len(matches)
    except BaseException as e:
        left = [op.name for op in _tf.ops_created_after(graph, top)[0]]
        if left and not prune:  # TF cannot delete ops: say which ones stay behind
            e.add_note(
                f"graph_editor: the rewrite was undone (every edge is as before); the "
                f"{len(left)} op(s) the replacement built before the failure stay in the graph, "
                f"unreachable: {', '.join(left[:8])}{', ...' if len(left) > 8 else ''}."
            )
        raise
    return extra_sinks, dead_sinks


def rewrite(
    graph_or_view: tf.Graph | subgraph.SubGraphView,
    pattern: Any,
    replacement: Callable[[Match], Any],
    filter: Callable[[Match], bool] | None = None,  # noqa: A002 - the contract's name
    max_iterations: int = 10,
    prune: bool = False,
    pattern_dtypes: Any = None,
    match_const_values: bool = False,
) -> RewriteReport:
    """Replace every non-overlapping match of ``pattern`` by what ``replacement`` builds.

    Rounds of "find all matches, replace them" repeat until a round finds nothing or
    ``max_iterations`` rounds ran, so ``Relu(Relu(x)) -> Relu(x)`` reduces a chain of any
    length to one ``Relu``. Replaced ops and the roots of matches are never matched again;
    the ops a replacement creates, and matched ops it still reads, can be.

    Args:
        graph_or_view: a ``tf.Graph`` (edited in place) or a ``SubGraphView`` (only its ops,
            and the ops that replacements of its matches create, are matched).
        pattern: an :class:`~graph_editor.match.OpMatcher` tree (ops matched by nested
            ``input_ops`` matchers belong to the match) or a function of tensors, traced with
            placeholders (ops match by type and connectivity).
        replacement: ``replacement(match) -> tensor | list`` (see :class:`Match`); ``None`` in
            the list keeps that output.
        filter: ``filter(match) -> bool``; False rejects the match.
        max_iterations: the most rounds to run (>= 1).
        prune: rewrite a copy and return, in ``report.graph``, a new graph with only what
            the outputs need (ops nobody consumes, in the graph before the rewrite, and
            their replacements). The input graph is untouched.
        pattern_dtypes: a dtype, or one per argument, for a function pattern's placeholders
            (float32 by default); a ``tf.TensorSpec`` also gives a shape, for ops whose
            traced form depends on it (``tf.matmul`` of unknown rank traces to
            ``BatchMatMulV2``, of rank 2 to ``MatMul``).
        match_const_values: a pattern ``Const`` only matches a ``Const`` of equal value.

    Returns:
        A :class:`RewriteReport`; ``report.matches == 0`` if nothing matched (nothing changed).

    Raises:
        GraphEditTypeError: a bad pattern / replacement / filter, or a replacement that is
            not a tensor.
        GraphEditValueError: a replacement of the wrong count, dtype or shape, or a reroute
            that would close a cycle. Pre-existing nodes are then left as they were.
        GraphFinalizedError: the graph is finalized (``prune=True`` works on a copy).

    Example:
        >>> with graph.as_default():
        ...     y = tf.nn.relu(tf.nn.relu(tf.nn.relu(e)))
        >>> report = ge.rewrite(graph, lambda x: tf.nn.relu(x),
        ...                     lambda m: tf.nn.relu6(m.inputs[0]))
        >>> report.matches
        3
    """
    graph, view_ops = _target(graph_or_view)
    compiled = _patterns.compile_pattern(pattern, pattern_dtypes, match_const_values)
    if not callable(replacement):
        raise GraphEditTypeError(
            f"replacement must be callable (match -> tensors), got {util._describe(replacement)}."
        )
    if filter is not None and not callable(filter):
        raise GraphEditTypeError(f"filter must be callable, got {util._describe(filter)}.")
    if not isinstance(max_iterations, int) or max_iterations < 1:
        raise GraphEditValueError(f"max_iterations must be an int >= 1, got {max_iterations!r}.")
    if graph.finalized and not prune:
        raise GraphFinalizedError(
            "The graph is finalized: rewrite cannot add ops to it (use prune=True to work on "
            "a copy)."
        )
    sinks: list[str] = []
    if prune:
        graph = _graphdef.copy_graph(graph)
        if view_ops is not None:
            view_ops = [graph.get_operation_by_name(op.name) for op in view_ops]
        sinks = _sinks(graph)
    report = RewriteReport(graph=graph)
    extra_sinks, dead_sinks = _rounds(graph, compiled, replacement, filter, view_ops,
                                      max_iterations, report, set(sinks), prune)
    if prune:
        outputs = [s for s in sinks if s not in dead_sinks]
        outputs += [s for s in dict.fromkeys(extra_sinks) if s not in set(sinks)]
        roots = [graph.get_operation_by_name(name) for name in outputs]
        report.graph = _graphdef.extract(graph, _graphdef.needed_ops(roots))
    return report


make_callable(__name__, rewrite)
