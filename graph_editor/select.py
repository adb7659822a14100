"""Selecting ops and tensors: filters, regexes, name scopes and graph walks.

Names, signatures and result order follow ``tf.contrib.graph_editor.select`` (TF 1.15).
Differences, all deliberate:

- every walk is linear in the ops it visits (sets and deques; the original was quadratic);
- walk results are deterministic: breadth first, level by level, and within a level in the
  order ops are discovered (seed order, then output/input slot order, then control edges in
  creation order). The original's order within a level depended on memory addresses;
- ``within_ops=[]`` means "no op is within" (the original treated an empty list as no
  restriction for the seeds but as an empty set for the rest of the walk);
- ``get_name_scope_ops`` matches the scope literally (the original did not escape regex
  characters such as ``.`` in scope names).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

import tensorflow as tf

from graph_editor import util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError

__all__ = [
    "can_be_regex",
    "make_regex",
    "filter_ts",
    "filter_ts_from_regex",
    "filter_ops",
    "filter_ops_from_regex",
    "get_name_scope_ops",
    "check_cios",
    "get_ops_ios",
    "compute_boundary_ts",
    "get_within_boundary_ops",
    "get_forward_walk_ops",
    "get_backward_walk_ops",
    "get_walks_intersection_ops",
    "get_walks_union_ops",
    "select_ops",
    "select_ts",
    "select_ops_and_ts",
]

_RE_TYPE = type(re.compile(""))
_OP_OF = operator.attrgetter("op")
_OPS_MARKER = "(?#ops)"
_TS_MARKER = "(?#ts)"


# --------------------------------------------------------------------------------------------
# Regexes and filters
# --------------------------------------------------------------------------------------------


def can_be_regex(obj: Any) -> bool:
    """Return True if ``obj`` is a string or a compiled regex.

    Example:
        >>> ge.select.can_be_regex("^foo/"), ge.select.can_be_regex(c.op)
        (True, False)
    """
    return isinstance(obj, (str, _RE_TYPE))


def make_regex(obj: str | re.Pattern) -> re.Pattern:
    """Compile ``obj`` into a regex (a compiled regex is returned as is).

    Raises:
        GraphEditValueError: ``obj`` is neither a string nor a regex, or does not compile.

    Example:
        >>> ge.select.make_regex("^foo/").pattern
        '^foo/'
    """
    if isinstance(obj, _RE_TYPE):
        return obj
    if isinstance(obj, str):
        try:
            return re.compile(obj)
        except re.error as e:
            raise GraphEditValueError(f"Invalid regex {obj!r}: {e}.") from None
    raise GraphEditValueError(
        f"Expected a string or a compiled regex, got {util._describe(obj)}."
    )


def _get_input_ts(ops: Any) -> list[tf.Tensor]:
    """Unique input tensors of ``ops``, ordered by op then input slot."""
    seen: set[int] = set()
    ts: list[tf.Tensor] = []
    for op in util.make_list_of_op(ops):
        for t in op.inputs:
            if id(t) not in seen:
                seen.add(id(t))
                ts.append(t)
    return ts


def _get_output_ts(ops: Any) -> list[tf.Tensor]:
    """All output tensors of ``ops``, ordered by op then output index."""
    ts: list[tf.Tensor] = []
    for op in util.make_list_of_op(ops):
        ts.extend(op.outputs)
    return ts


def filter_ts(ops: Any, positive_filter: Callable[[tf.Tensor], Any] | bool) -> list[tf.Tensor]:
    """Unique input tensors, then output tensors, of ``ops`` that pass the filter.

    Args:
        ops: a graph, an op or an iterable of ops.
        positive_filter: a predicate on tensors, or ``True`` to keep all.

    Returns:
        The tensors, inputs first (op then slot order), then outputs not already listed.

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> [t.name for t in ge.filter_ts(graph, lambda t: t.dtype == tf.int32)]
        ['Reshape/shape:0']
    """
    ops = util.make_list_of_op(ops)
    ts = _get_input_ts(ops)
    seen = {id(t) for t in ts}
    for t in _get_output_ts(ops):
        if id(t) not in seen:
            seen.add(id(t))
            ts.append(t)
    if positive_filter is not True:
        keep = util.check_callable(positive_filter, "positive_filter (a predicate or True)", False)
        ts = [t for t in ts if keep(t)]
    return ts


def filter_ts_from_regex(ops: Any, regex: str | re.Pattern) -> list[tf.Tensor]:
    """Like :func:`filter_ts`, keeping tensors whose name matches ``regex`` (``search``).

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> [t.name for t in ge.filter_ts_from_regex(graph, r"^net/.*:0$")]
        ['net/w:0', 'net/y:0']
    """
    ops = util.make_list_of_op(ops)
    regex_obj = make_regex(regex)
    return filter_ts(ops, positive_filter=lambda t: regex_obj.search(t.name))


def filter_ops(
    ops: Any, positive_filter: Callable[[tf.Operation], Any] | bool
) -> list[tf.Operation]:
    """Ops of ``ops`` that pass the filter (``True`` keeps all).

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> ge.filter_ops(graph, lambda op: op.type == "MatMul")
        [<tf.Operation 'net/y' type=MatMul>]
    """
    ops = util.make_list_of_op(ops)
    if positive_filter is not True:
        keep = util.check_callable(positive_filter, "positive_filter (a predicate or True)", False)
        ops = [op for op in ops if keep(op)]
    return ops


def filter_ops_from_regex(ops: Any, regex: str | re.Pattern) -> list[tf.Operation]:
    """Ops of ``ops`` whose name matches ``regex`` (``re.search``, not ``re.match``).

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> [op.name for op in ge.filter_ops_from_regex(graph, "^net/")]
        ['net/w', 'net/y']
    """
    ops = util.make_list_of_op(ops)
    regex_obj = make_regex(regex)
    return filter_ops(ops, lambda op: regex_obj.search(op.name))


def get_name_scope_ops(ops: Any, scope: str) -> list[tf.Operation]:
    """Ops of ``ops`` that are in name scope ``scope`` (the scope op itself included).

    Args:
        ops: a graph, an op or an iterable of ops.
        scope: a name scope, with or without its trailing ``/``.

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> [op.name for op in ge.get_name_scope_ops(graph, "net/")]
        ['net/w', 'net/y']
    """
    if util.check_scope(scope) and scope.endswith("/"):
        scope = scope[:-1]
    return filter_ops_from_regex(ops, f"^{re.escape(scope)}(/.*)?$")


# --------------------------------------------------------------------------------------------
# Neighbourhoods and boundaries
# --------------------------------------------------------------------------------------------


def check_cios(
    control_inputs: bool = False,
    control_outputs: util.ControlOutputs | None = None,
    control_ios: util.ControlOutputs | None = None,
) -> tuple[bool, util.ControlOutputs | None]:
    """Normalise the control-edge flags to ``(control_inputs, control_outputs)``.

    ``control_ios`` turns on both directions and must not be combined with
    ``control_outputs``.

    Raises:
        GraphEditTypeError: a control map is not a :class:`~graph_editor.util.ControlOutputs`.
        GraphEditValueError: both ``control_outputs`` and ``control_ios`` are given.

    Example:
        >>> ge.check_cios(control_ios=ge.ControlOutputs(graph))
        (True, <graph_editor.util.ControlOutputs object at ...>)
    """
    control_inputs = util.check_flag(control_inputs, "control_inputs")
    if control_ios is not None:
        if not isinstance(control_ios, util.ControlOutputs):
            raise GraphEditTypeError(
                f"control_ios must be a ge.ControlOutputs, got {util._describe(control_ios)}."
            )
        if control_outputs is not None:
            raise GraphEditValueError(
                "control_outputs should be None when using control_ios: pass one of them."
            )
        control_inputs = True
        control_outputs = control_ios
    elif control_outputs is not None and not isinstance(control_outputs, util.ControlOutputs):
        raise GraphEditTypeError(
            "control_outputs must be a ge.ControlOutputs, got "
            f"{util._describe(control_outputs)}. Build one with ge.ControlOutputs(graph)."
        )
    if control_outputs is not None:
        control_outputs.update()
    return control_inputs, control_outputs


def _neighbours(
    op: tf.Operation, control_inputs: bool, control_outputs: util.ControlOutputs | None
) -> Iterable[tf.Operation]:
    """Producers of inputs, consumers of outputs, control outputs, control inputs."""
    for t in op.inputs:
        yield t.op
    for t in op.outputs:
        yield from t.consumers()
    if control_outputs is not None:
        yield from control_outputs.get(op)
    if control_inputs:
        yield from op.control_inputs


def get_ops_ios(
    ops: Any,
    control_inputs: bool = False,
    control_outputs: util.ControlOutputs | None = None,
    control_ios: util.ControlOutputs | None = None,
) -> list[tf.Operation]:
    """Unique ops connected to ``ops``: producers of inputs and consumers of outputs.

    Optionally also control outputs (``control_outputs``/``control_ios``) and control
    inputs. The ops themselves appear if they are connected to each other.

    Example:
        >>> [op.name for op in ge.get_ops_ios(graph.get_operation_by_name("c"))]
        ['a', 'b', 'd', 'f']
    """
    control_inputs, control_outputs = check_cios(control_inputs, control_outputs, control_ios)
    seen: set[tf.Operation] = set()
    res: list[tf.Operation] = []
    for op in util.make_list_of_op(ops):
        for other in _neighbours(op, control_inputs, control_outputs):
            if other not in seen:
                seen.add(other)
                res.append(other)
    return res


def compute_boundary_ts(
    ops: Any,
) -> tuple[list[tf.Tensor], list[tf.Tensor], list[tf.Tensor]]:
    """Compute the tensors at the boundary of a set of ops.

    Returns ``(inputs, outputs, inside)``:

    - inputs: unique tensors consumed by ``ops`` and produced outside, by op then slot;
    - outputs: every output of every op, in op order, except those consumed by ``ops``
      *only* (dangling outputs are outputs; a tensor consumed inside and outside is both
      an output and inside);
    - inside: tensors produced and consumed within ``ops``.

    Control edges never count.

    Example:
        >>> ins, outs, inside = ge.compute_boundary_ts([c.op, d.op])
        >>> [t.name for t in ins], [t.name for t in outs], [t.name for t in inside]
        (['a:0', 'b:0'], ['c:0', 'd:0'], ['c:0'])
    """
    ops = util.make_list_of_op(ops)
    input_ts = _get_input_ts(ops)
    output_ts = _get_output_ts(ops)
    output_ids = {id(t) for t in output_ts}
    ops_set = set(ops)
    inside_ts: list[tf.Tensor] = []
    inside_ids: set[int] = set()
    only_inside_ids: set[int] = set()
    for t in input_ts:
        if id(t) not in output_ids:
            continue
        inside_ts.append(t)
        inside_ids.add(id(t))
        if all(c in ops_set for c in t.consumers()):
            only_inside_ids.add(id(t))
    outputs = [t for t in output_ts if id(t) not in only_inside_ids]
    inputs = [t for t in input_ts if id(t) not in inside_ids]
    return inputs, outputs, inside_ts


def get_within_boundary_ops(
    ops: Any,
    seed_ops: Any,
    boundary_ops: Any = (),
    inclusive: bool = True,
    control_inputs: bool = False,
    control_outputs: util.ControlOutputs | None = None,
    control_ios: util.ControlOutputs | None = None,
) -> list[tf.Operation]:
    """Ops of ``ops`` reachable from the seeds (in any direction) without crossing a boundary.

    A flood fill from ``seed_ops`` through data edges (and control edges if asked), stopped
    at ``boundary_ops``, which are part of the result if ``inclusive``. The result keeps the
    order of ``ops``.

    Raises:
        GraphEditValueError: a seed op is also a boundary op.

    Example:
        >>> ops = ge.get_within_boundary_ops(graph, seed_ops=[c.op], boundary_ops=[b.op, e.op])
        >>> [op.name for op in ops]
        ['a', 'b', 'c', 'd', 'e', 'f']
    """
    control_inputs, control_outputs = check_cios(control_inputs, control_outputs, control_ios)
    ops = util.make_list_of_op(ops)
    seeds = util.make_list_of_op(seed_ops, allow_graph=False)
    boundary = set(util.make_list_of_op(boundary_ops))
    for op in seeds:
        if op in boundary:
            raise GraphEditValueError(
                f"Boundary is intersecting with the seeds: {util._describe(op)} is both. "
                "Remove it from seed_ops or boundary_ops."
            )
    res = set(seeds)
    stack = list(res)
    while stack:
        op = stack.pop()
        for other in _neighbours(op, control_inputs, control_outputs):
            if other in res:
                continue
            if other in boundary:
                if inclusive:
                    res.add(other)
            else:
                res.add(other)
                stack.append(other)
    return [op for op in ops if op in res]


# --------------------------------------------------------------------------------------------
# Walks
# --------------------------------------------------------------------------------------------


def _walk_seeds(seed_ops: Any, forward: bool) -> list[tf.Operation]:
    """Seed ops of a walk; tensor seeds mean their consumers (forward) or producers."""
    seeds = util._as_list(seed_ops)
    if not seeds:
        return []
    if isinstance(seeds[0], tf.Tensor):
        ts = util.make_list_of_t(seeds, allow_graph=False)
        ops = util.get_consuming_ops(ts) if forward else util.get_generating_ops(ts)
    else:
        ops = util.make_list_of_op(seeds, allow_graph=False)
    seen: set[tf.Operation] = set()
    unique = []
    for op in ops:
        if op not in seen:
            seen.add(op)
            unique.append(op)
    return unique


def _within_set(within_ops: Any) -> set[tf.Operation] | None:
    if within_ops is None:
        return None
    return set(util.make_list_of_op(within_ops, allow_graph=False))


def _walk(
    seeds: list[tf.Operation],
    next_ops: Callable[[tf.Operation], Iterable[tf.Operation]],
    inclusive: bool,
    within: set[tf.Operation] | None,
    within_ops_fn: Callable[[tf.Operation], Any] | None,
) -> list[tf.Operation]:
    """Breadth-first walk shared by the forward and backward walks."""
    inclusive = util.check_flag(inclusive, "inclusive")
    util.check_callable(within_ops_fn, "within_ops_fn")
    if within is not None:
        seeds = [op for op in seeds if op in within]
    result = list(seeds)
    visited = set(seeds)
    i = 0
    while i < len(result):
        op = result[i]
        i += 1
        for new_op in next_ops(op):
            if new_op in visited:
                continue
            visited.add(new_op)
            if (within is None or new_op in within) and (
                within_ops_fn is None or within_ops_fn(new_op)
            ):
                result.append(new_op)
    if not inclusive:
        seed_set = set(seeds)
        result = [op for op in result if op not in seed_set]
    return result


def get_forward_walk_ops(
    seed_ops: Any,
    inclusive: bool = True,
    within_ops: Any = None,
    within_ops_fn: Callable[[tf.Operation], Any] | None = None,
    stop_at_ts: Any = (),
    control_outputs: util.ControlOutputs | None = None,
) -> list[tf.Operation]:
    """Ops reached by walking forward (towards consumers) from the seeds.

    Args:
        seed_ops: ops, or tensors (then their consumers are the seeds).
        inclusive: keep the seed ops in the result.
        within_ops: if given, only these ops may be visited (seeds included).
        within_ops_fn: if given, only ops for which it is true are visited (not applied to
            the seeds, as in contrib).
        stop_at_ts: tensors the walk does not cross.
        control_outputs: a :class:`~graph_editor.util.ControlOutputs` to also follow
            control edges.

    Returns:
        The ops in breadth-first order (seeds first).

    Example:
        >>> [op.name for op in ge.get_forward_walk_ops([a.op], stop_at_ts=[d])]
        ['a', 'c', 'd', 'f']
    """
    _, control_outputs = check_cios(False, control_outputs)
    seeds = _walk_seeds(seed_ops, forward=True)
    if not seeds:
        return []
    stop = {id(t) for t in util.make_list_of_t(stop_at_ts)}

    def next_ops(op: tf.Operation) -> Iterable[tf.Operation]:
        res: list[tf.Operation] = []
        for t in op.outputs:
            if id(t) not in stop:
                res += t.consumers()
        if control_outputs is not None:
            res += control_outputs.get(op)
        return res

    return _walk(seeds, next_ops, inclusive, _within_set(within_ops), within_ops_fn)


def get_backward_walk_ops(
    seed_ops: Any,
    inclusive: bool = True,
    within_ops: Any = None,
    within_ops_fn: Callable[[tf.Operation], Any] | None = None,
    stop_at_ts: Any = (),
    control_inputs: bool = False,
) -> list[tf.Operation]:
    """Ops reached by walking backward (towards producers) from the seeds.

    Args:
        seed_ops: ops, or tensors (then their producers are the seeds).
        inclusive: keep the seed ops in the result.
        within_ops: if given, only these ops may be visited (seeds included).
        within_ops_fn: if given, only ops for which it is true are visited.
        stop_at_ts: tensors the walk does not cross.
        control_inputs: also follow control inputs.

    Returns:
        The ops in breadth-first order (seeds first).

    Example:
        >>> [op.name for op in ge.get_backward_walk_ops([e.op], inclusive=False)]
        ['d', 'c', 'b', 'a']
    """
    control_inputs, _ = check_cios(control_inputs, None)
    seeds = _walk_seeds(seed_ops, forward=False)
    if not seeds:
        return []
    stop = {id(t) for t in util.make_list_of_t(stop_at_ts)}

    def next_ops(op: tf.Operation) -> Iterable[tf.Operation]:
        if stop:
            res = [t.op for t in op.inputs if id(t) not in stop]
        else:
            res = list(map(_OP_OF, op.inputs))
        if control_inputs:
            res += op.control_inputs
        return res

    return _walk(seeds, next_ops, inclusive, _within_set(within_ops), within_ops_fn)


def _both_walks(
    forward_seed_ops: Any,
    backward_seed_ops: Any,
    forward_inclusive: bool,
    backward_inclusive: bool,
    within_ops: Any,
    within_ops_fn: Callable[[tf.Operation], Any] | None,
    control_inputs: bool,
    control_outputs: util.ControlOutputs | None,
    control_ios: util.ControlOutputs | None,
) -> tuple[list[tf.Operation], list[tf.Operation]]:
    control_inputs, control_outputs = check_cios(control_inputs, control_outputs, control_ios)
    forward_ops = get_forward_walk_ops(
        forward_seed_ops,
        inclusive=forward_inclusive,
        within_ops=within_ops,
        within_ops_fn=within_ops_fn,
        control_outputs=control_outputs,
    )
    backward_ops = get_backward_walk_ops(
        backward_seed_ops,
        inclusive=backward_inclusive,
        within_ops=within_ops,
        within_ops_fn=within_ops_fn,
        control_inputs=control_inputs,
    )
    return forward_ops, backward_ops


def get_walks_intersection_ops(
    forward_seed_ops: Any,
    backward_seed_ops: Any,
    forward_inclusive: bool = True,
    backward_inclusive: bool = True,
    within_ops: Any = None,
    within_ops_fn: Callable[[tf.Operation], Any] | None = None,
    control_inputs: bool = False,
    control_outputs: util.ControlOutputs | None = None,
    control_ios: util.ControlOutputs | None = None,
) -> list[tf.Operation]:
    """Ops downstream of the forward seeds *and* upstream of the backward seeds.

    This is "the ops between" two sets of ops or tensors. Ordered like the forward walk.

    Example:
        >>> [op.name for op in ge.get_walks_intersection_ops([a], [e])]
        ['c', 'd', 'e']
    """
    forward_ops, backward_ops = _both_walks(
        forward_seed_ops, backward_seed_ops, forward_inclusive, backward_inclusive,
        within_ops, within_ops_fn, control_inputs, control_outputs, control_ios,
    )
    backward_set = set(backward_ops)
    return [op for op in forward_ops if op in backward_set]


def get_walks_union_ops(
    forward_seed_ops: Any,
    backward_seed_ops: Any,
    forward_inclusive: bool = True,
    backward_inclusive: bool = True,
    within_ops: Any = None,
    within_ops_fn: Callable[[tf.Operation], Any] | None = None,
    control_inputs: bool = False,
    control_outputs: util.ControlOutputs | None = None,
    control_ios: util.ControlOutputs | None = None,
) -> list[tf.Operation]:
    """Ops downstream of the forward seeds *or* upstream of the backward seeds.

    Forward-walk ops first, then backward-walk ops not already listed.

    Example:
        >>> [op.name for op in ge.get_walks_union_ops([a], [e])]
        ['c', 'd', 'f', 'e', 'b', 'a']
    """
    forward_ops, backward_ops = _both_walks(
        forward_seed_ops, backward_seed_ops, forward_inclusive, backward_inclusive,
        within_ops, within_ops_fn, control_inputs, control_outputs, control_ios,
    )
    seen = set(forward_ops)
    return forward_ops + [op for op in backward_ops if op not in seen]


# --------------------------------------------------------------------------------------------
# select_ops / select_ts
# --------------------------------------------------------------------------------------------


def _check_select_kwargs(graph: Any, kwargs: dict[str, Any], allowed: str) -> None:
    unknown = [k for k in kwargs if k != allowed]
    if unknown:
        raise GraphEditValueError(
            f"Wrong keyword argument(s): {', '.join(sorted(unknown))}. Accepted: graph, "
            "positive_filter, restrict_ops_regex, restrict_ts_regex."
        )
    if graph is not None and not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(f"graph must be a tf.Graph, got {util._describe(graph)}.")


def _regex_arg(arg: Any, graph: tf.Graph | None) -> re.Pattern:
    if graph is None:
        raise GraphEditValueError(
            f"Regex {getattr(arg, 'pattern', arg)!r} needs a graph: use the keyword argument "
            "'graph' to select by regex (the default graph is never used)."
        )
    return make_regex(arg)


def select_ops(
    *args: Any,
    graph: tf.Graph | None = None,
    positive_filter: Callable[[tf.Operation], Any] | None = None,
    restrict_ops_regex: bool = False,
    **kwargs: Any,
) -> list[tf.Operation]:
    """Select ops by regexes, ops, iterables of ops or graphs (legacy alias ``ge.ops``).

    Args:
        *args: regexes (matched with ``search`` against op names; they need ``graph``),
            ops, iterables of ops, or graphs. Tensors are ignored; regexes starting with
            ``(?#ts)`` are skipped.
        graph: the graph regexes are matched in.
        positive_filter: keep only ops for which it returns true.
        restrict_ops_regex: only use regexes starting with ``(?#ops)``.
        **kwargs: ``restrict_ts_regex`` is accepted and ignored; anything else raises.

    Returns:
        Unique ops, in argument order (a regex adds ops in graph order).

    Raises:
        GraphEditValueError: a regex without ``graph``, or an unknown keyword argument.
        GraphEditTypeError: ``graph`` is not a ``tf.Graph``.

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> [op.name for op in ge.select_ops("^net/", graph=graph)]
        ['net/w', 'net/y']
    """
    _check_select_kwargs(graph, kwargs, "restrict_ts_regex")
    ops: list[tf.Operation] = []
    seen: set[tf.Operation] = set()
    for arg in args:
        if can_be_regex(arg):
            regex = _regex_arg(arg, graph)
            if regex.pattern.startswith(_TS_MARKER):
                continue
            if restrict_ops_regex and not regex.pattern.startswith(_OPS_MARKER):
                continue
            candidates = filter_ops_from_regex(graph, regex)
        else:
            candidates = util.make_list_of_op(arg, ignore_ts=True)
        for op in candidates:
            if op not in seen and (positive_filter is None or positive_filter(op)):
                seen.add(op)
                ops.append(op)
    return ops


def select_ts(
    *args: Any,
    graph: tf.Graph | None = None,
    positive_filter: Callable[[tf.Tensor], Any] | None = None,
    restrict_ts_regex: bool = False,
    **kwargs: Any,
) -> list[tf.Tensor]:
    """Select tensors by regexes, tensors, iterables of tensors or graphs (alias ``ge.ts``).

    Args:
        *args: regexes (matched with ``search`` against tensor names; they need
            ``graph``), tensors, iterables of tensors, or graphs. Ops are ignored; regexes
            starting with ``(?#ops)`` are skipped.
        graph: the graph regexes are matched in.
        positive_filter: keep only tensors for which it returns true.
        restrict_ts_regex: only use regexes starting with ``(?#ts)``.
        **kwargs: ``restrict_ops_regex`` is accepted and ignored; anything else raises.

    Returns:
        Unique tensors, in argument order. A regex adds the graph's tensors in
        :func:`filter_ts` order (consumed tensors first, then the others).

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> [t.name for t in ge.select_ts("(?#ts)^net/y", graph=graph)]
        ['net/y:0']
    """
    _check_select_kwargs(graph, kwargs, "restrict_ops_regex")
    ts: list[tf.Tensor] = []
    seen: set[int] = set()
    for arg in args:
        if can_be_regex(arg):
            regex = _regex_arg(arg, graph)
            if regex.pattern.startswith(_OPS_MARKER):
                continue
            if restrict_ts_regex and not regex.pattern.startswith(_TS_MARKER):
                continue
            candidates = filter_ts_from_regex(graph, regex)
        else:
            candidates = util.make_list_of_t(arg, ignore_ops=True)
        for t in candidates:
            if id(t) not in seen and (positive_filter is None or positive_filter(t)):
                seen.add(id(t))
                ts.append(t)
    return ts


def select_ops_and_ts(*args: Any, **kwargs: Any) -> tuple[list[tf.Operation], list[tf.Tensor]]:
    """``(select_ops(*args, ...), select_ts(*args, ..., restrict_ts_regex=True))``.

    Regexes select ops unless they start with ``(?#ts)``, in which case they select tensors.

    Example:
        >>> ops, ts = ge.select_ops_and_ts("^net/", "(?#ts)^x:0$", graph=graph)
    """
    kwargs.pop("restrict_ops_regex", None)
    kwargs.pop("restrict_ts_regex", None)
    ops = select_ops(*args, restrict_ops_regex=False, **kwargs)
    ts = select_ts(*args, restrict_ts_regex=True, **kwargs)
    return ops, ts
