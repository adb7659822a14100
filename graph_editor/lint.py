"""Check an edited graph, and find where a model can be cut in two.

- :func:`validate` lists what edits can break and TensorFlow does not check when editing:
  cycles, dtype mismatches, inputs from other graphs, functional control-flow ops whose
  functions are missing from the graph's library, ops fed by graph_editor's stand-in
  placeholders, variables nothing initialises and variables collected twice. Run it after
  every surgery::

      for problem in ge.validate(graph):
          print(problem)
      ge.validate(graph, raise_on_error=True)      # or raise GraphValidationError

- :func:`find_cut_points` lists the tensors through which every path from some inputs to
  some outputs flows: the places where a model can be cut into a head and a tail that
  exchange a single tensor (dominators of the outputs, computed with networkx), as
  :class:`CutPoint` objects: tensor names that also carry their tensor.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Any

import networkx as nx
import tensorflow as tf

from graph_editor import _frames, _resolve, _tf, util
from graph_editor._names import resolve_tensors
from graph_editor.errors import (
    GraphEditTypeError,
    GraphEditValueError,
    GraphValidationError,
    _renamed_argument,
)
from graph_editor.subgraph import SubGraphView

__all__ = ["Problem", "CutPoint", "validate", "find_cut_points"]

#: Ops whose data input closes a v1 while loop (a legitimate cycle).
_LOOP_BACK_EDGE_TYPES = frozenset({"NextIteration", "RefNextIteration"})
#: Name prefix of the placeholders graph_editor creates (see ``ge.placeholder_name``).
_GE_PLACEHOLDER_PREFIX = "geph"
_MAX_NAMES = 10


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem found by :func:`validate`.

    Attributes:
        kind: ``"cycle"``, ``"frame"``, ``"dtype-mismatch"``, ``"foreign-graph"``,
            ``"missing-function"``, ``"orphan-placeholder"``, ``"uninitializable-variable"``
            or ``"duplicate-variable"``.
        ops: names of the ops involved.
        message: what is wrong.
        hint: how to fix it.
        severity: ``"error"`` (the graph cannot run as is) or ``"warning"``.
    """

    kind: str
    ops: tuple[str, ...]
    message: str
    hint: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.severity} [{self.kind}] {self.message} Hint: {self.hint}"


def _names(ops: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in ops[:_MAX_NAMES])
    if len(ops) > _MAX_NAMES:
        shown += f", ... ({len(ops) - _MAX_NAMES} more)"
    return shown


def _ops_to_check(obj: Any) -> tuple[list[tf.Operation], list[Problem]]:
    """The ops to check, plus a foreign-graph problem when they come from several graphs."""
    if isinstance(obj, tf.Graph):
        return obj.get_operations(), []
    if isinstance(obj, SubGraphView):
        return list(obj.ops), []
    if isinstance(obj, tf.Operation):
        return [obj], []
    found = _resolve.whole_graph(obj, "validate")  # a function or a Keras model
    if found is not None:
        return found[0].get_operations(), []
    if util.is_iterable(obj) and not isinstance(obj, (str, bytes)):
        ops = util.make_list_of_op(obj, check_graph=False, allow_graph=False)
        by_graph: dict[int, list[str]] = {}
        for op in ops:
            by_graph.setdefault(id(op.graph), []).append(op.name)
        problems = []
        if len(by_graph) > 1:
            groups = list(by_graph.values())
            others = [n for g in groups[1:] for n in g]
            problems.append(
                Problem(
                    "foreign-graph",
                    tuple(others),
                    f"The ops come from {len(groups)} different graphs: {_names(others)} are not "
                    f"in the graph of '{groups[0][0]}'.",
                    "Edit one tf.Graph at a time; bring ops of another graph over with ge.copy().",
                )
            )
        return ops, problems
    raise GraphEditTypeError(
        "validate expects a tf.Graph, a ConcreteFunction, a Keras model, a SubGraphView, an "
        f"op or a list of ops, got {util._describe(obj)}."
    )


def _check_inputs(ops: list[tf.Operation]) -> list[Problem]:
    """dtype mismatches and inputs from other graphs."""
    problems = []
    for op in ops:
        expected = _tf.input_types(op)
        for i, t in enumerate(op.inputs):
            if t.graph is not op.graph:
                problems.append(
                    Problem(
                        "foreign-graph",
                        (op.name, t.op.name),
                        f"Input {i} of op '{op.name}' ({op.type}) is '{t.name}', from "
                        "another graph.",
                        "Reroute a tensor of the op's own graph into it, or copy the producer "
                        "over with ge.copy().",
                    )
                )
                continue
            if i >= len(expected):
                continue
            want, got = expected[i], t.dtype
            if got == want or (got.base_dtype == want and want.base_dtype == want):
                continue  # equal, or a ref tensor read by a value input (auto-deref)
            problems.append(
                Problem(
                    "dtype-mismatch",
                    (op.name, t.op.name),
                    f"Input {i} of op '{op.name}' ({op.type}) reads '{t.name}' of dtype "
                    f"{got.name}, but the op expects {want.name}.",
                    f"Reroute a {want.name} tensor into it, or insert a tf.cast(..., "
                    f"tf.{want.base_dtype.name}) between '{t.name}' and '{op.name}'.",
                )
            )
    return problems


def _check_frames(ops: list[tf.Operation]) -> list[Problem]:
    """Ops whose inputs come from two v1 while-loop frames (an edge skipped Enter/Exit)."""
    if not ops or not any(op.type in _frames.ENTER_TYPES for op in ops):
        return []
    frame_of = _frames.frames(ops[0].graph)
    problems = []
    for op in ops:
        merge = op.type in ("Merge", "RefMerge")
        seen: dict = {}  # frame -> the first input op read from it
        for p in [t.op for t in op.inputs] + list(op.control_inputs):
            if not (merge and p.type in _LOOP_BACK_EDGE_TYPES):
                seen.setdefault(_frames.out_frame(p, frame_of), p)
        if len(seen) < 2:
            continue
        (f0, p0), (f1, p1) = list(seen.items())[:2]
        problems.append(Problem(
            "frame", (op.name, p0.name, p1.name),
            f"'{op.name}' reads from two while-loop frames: '{p0.name}' in "
            f"{_frames.frame_text(f0)} and '{p1.name}' in {_frames.frame_text(f1)}. "
            "TensorFlow fails with 'inputs from different frames'.",
            "v1 while-loop frames connect only through Enter (into a loop) and Exit (out of "
            "it); undo the edit that crossed the frames, or rebuild the loop.",
        ))
    return problems


def _check_cycles(ops: list[tf.Operation]) -> list[Problem]:
    """Cycles through data or control edges (v1 while-loop back edges excluded)."""
    dg = nx.DiGraph()
    inside = set(ops)
    dg.add_nodes_from(op.name for op in ops)
    for op in ops:
        if op.type in _LOOP_BACK_EDGE_TYPES:
            continue  # a loop's cycle closes through its NextIteration: never an error
        for t in op.inputs:
            if t.op in inside:
                dg.add_edge(t.op.name, op.name)
        for c in op.control_inputs:
            if c in inside:
                dg.add_edge(c.name, op.name)
    problems = []
    for component in nx.strongly_connected_components(dg):
        if len(component) == 1:
            (name,) = component
            if not dg.has_edge(name, name):
                continue
        cycle = nx.find_cycle(dg.subgraph(component))
        path = [u for u, _ in cycle] + [cycle[0][0]]
        names = [op.name for op in ops if op.name in component]
        problems.append(
            Problem(
                "cycle",
                tuple(names),
                f"Cycle through {len(component)} op(s): {' -> '.join(path[: _MAX_NAMES + 1])}"
                + (" -> ..." if len(path) > _MAX_NAMES + 1 else "")
                + ". The graph cannot run.",
                "A reroute made an op read (directly or through others) its own output; "
                "exclude the new ops with can_modify=/cannot_modify= when rerouting, or "
                "reroute the original tensor back.",
            )
        )
    return problems


def _func_names(attr_value: Any) -> list[str]:
    kind = attr_value.WhichOneof("value")
    if kind == "func":
        return [attr_value.func.name]
    if kind == "list":
        return [f.name for f in attr_value.list.func]
    return []


def _check_functions(graph: tf.Graph, names: set[str] | None) -> list[Problem]:
    """Functional ops (If, While, PartitionedCall, ...) naming functions the library lacks."""
    gd = graph.as_graph_def()
    library = {f.signature.name for f in gd.library.function}
    problems = []

    def check(owner: str, op_type: str, node_attrs: Any) -> None:
        for attr_name, value in node_attrs.items():
            for fname in _func_names(value):
                if fname and fname not in library and not _is_registered_op(fname):
                    problems.append(
                        Problem(
                            "missing-function",
                            (owner,),
                            f"Op '{owner}' ({op_type}) calls function '{fname}' (attr "
                            f"'{attr_name}'), which is not in the graph's function library.",
                            "Copy the function library along with the ops (import the whole "
                            "GraphDef including `library`, or copy with ge.copy()).",
                        )
                    )

    for node in gd.node:
        if names is None or node.name in names:
            check(node.name, node.op, node.attr)
    if names is None:
        for fdef in gd.library.function:
            for node in fdef.node_def:
                check(f"{fdef.signature.name}/{node.name}", node.op, node.attr)
    return problems


def _is_registered_op(name: str) -> bool:
    """True if ``name`` is a registered op type (func attrs may name a primitive op)."""
    return hasattr(tf.raw_ops, name)


def _check_placeholders(ops: list[tf.Operation]) -> list[Problem]:
    """Ops fed by graph_editor's stand-in placeholders (left by detach / copy)."""
    problems = []
    for op in ops:
        if op.type != "Placeholder":
            continue
        if not util.scope_basename(op.name).startswith(_GE_PLACEHOLDER_PREFIX):
            continue
        consumers = sorted({c.name for t in op.outputs for c in t.consumers()})
        if not consumers:
            continue
        problems.append(
            Problem(
                "orphan-placeholder",
                (op.name, *consumers),
                f"Op(s) {_names(consumers)} read placeholder '{op.name}', a stand-in that "
                "graph_editor created (detach, or a copy whose inputs were outside); it has "
                "no value unless fed.",
                "Connect the real tensor (ge.connect / ge.reroute_ts) or feed the "
                "placeholder when running; ignore this warning if it is meant as an input.",
                severity="warning",
            )
        )
    return problems


#: Variable ops, and the ops that set a variable for the first time (per variable op type).
_VARIABLE_TYPES = frozenset({"VarHandleOp", "VariableV2", "Variable"})
_INITIALIZER_TYPES = frozenset({"AssignVariableOp", "Assign"})


def _variable_key(op: tf.Operation) -> tuple[str, str]:
    """(container, shared name) of a variable op: ops with equal keys share one variable."""
    try:
        container = op.get_attr("container").decode()
        shared = op.get_attr("shared_name").decode()
    except (ValueError, AttributeError):
        return "", op.name
    return container, shared or op.name


#: Common consumers of a variable that never set it first (skips reading their attrs).
_READER_TYPES = frozenset({
    "ReadVariableOp", "VarIsInitializedOp", "Identity", "ResourceGather", "ResourceGatherNd",
    "AssignAddVariableOp", "AssignSubVariableOp", "IsVariableInitialized", "AssignAdd",
    "AssignSub", "DestroyResourceOp",
})


def _may_initialize(consumer: tf.Operation) -> bool:
    """An assignment, or a call whose function may assign (a restore in a function)."""
    op_type = consumer.type
    if op_type in _INITIALIZER_TYPES:
        return True
    if op_type in _READER_TYPES or op_type.startswith(("ResourceApply", "ResourceSparseApply")):
        return False
    return any(_func_names(v) for v in consumer.node_def.attr.values())


def _check_uninitializable(graph: tf.Graph, ops: list[tf.Operation]) -> list[Problem]:
    """Variable ops that nothing in the graph can initialise (no assignment reads them)."""
    checked = [op for op in ops if op.type in _VARIABLE_TYPES]
    if not checked:
        return []
    initialized: set[tuple[str, str]] = set()
    for op in graph.get_operations():
        if op.type in _VARIABLE_TYPES and any(
            _may_initialize(c) for t in op.outputs for c in t.consumers()
        ):
            initialized.add(_variable_key(op))
    problems = []
    for op in checked:
        if _variable_key(op) in initialized:
            continue
        readers = sorted({c.name for t in op.outputs for c in t.consumers()})
        problems.append(
            Problem(
                "uninitializable-variable",
                (op.name, *readers),
                f"Variable '{op.name}' ({op.type}) has no initializer: no assignment in the "
                "graph sets it, so global_variables_initializer() skips it and "
                + (f"{_names(readers)} fail(s) with FailedPreconditionError ('Could not find "
                   "variable ...')." if readers else "nothing can read it."),
                "A copy took the variable op without its initializer: add the source "
                "variable's name-scope ops to the copied view (ge.get_name_scope_ops(graph, "
                "var.op.name): initializer, initial value, read op) so the copy is a "
                "tf.Variable, or assign it yourself / restore it from a checkpoint.",
                severity="error" if readers else "warning",
            )
        )
    return problems


def _check_duplicate_variables(graph: tf.Graph, names: set[str] | None) -> list[Problem]:
    """Collections holding several ``tf.Variable`` objects (or one twice) for one variable."""
    problems = []
    for key in graph.get_all_collection_keys():
        by_name: dict[str, list[Any]] = {}
        for v in graph.get_collection(key):
            if not isinstance(v, tf.Variable):
                continue
            op = getattr(v, "op", None)
            if isinstance(op, tf.Operation):
                by_name.setdefault(op.name, []).append(v)
        for name, group in by_name.items():
            if len(group) < 2 or (names is not None and name not in names):
                continue
            distinct = len({id(v) for v in group})
            problems.append(
                Problem(
                    "duplicate-variable",
                    (name,),
                    f"Collection '{key}' holds variable '{name}' {len(group)} times "
                    f"({distinct} distinct tf.Variable object(s)): tf.compat.v1.train.Saver() "
                    "fails with 'At least two variables have the same name'.",
                    "graph_editor's copies already make each copied variable a tf.Variable in "
                    "the original's collections (info.transformed(var) is it): delete manual "
                    "re-wraps (tf.Variable(variable_def=...) + add_to_collection) after a copy. "
                    f"To repair this graph, keep one: coll = graph.get_collection_ref({key!r}) "
                    "and remove the extra entries.",
                )
            )
    return problems


def validate(graph: Any, raise_on_error: bool = False) -> list[Problem]:
    """Look for the problems that graph edits can introduce and TensorFlow does not check.

    Checks: cycles through data or control edges (v1 while loops' ``NextIteration`` back
    edges are fine); inputs whose dtype differs from what the op expects (``_update_input``
    does not check dtypes); inputs from another graph; functional ops (``If``, ``While``,
    ``PartitionedCall``...) whose functions are missing from the function library; ops fed
    by graph_editor's ``geph__*`` placeholders (a warning); variable ops that nothing in the
    graph initialises (a copy without the initializer); collections holding one variable
    twice (a manual ``tf.Variable(variable_def=...)`` re-wrap after a copy, which breaks
    ``Saver``). Each problem names the ops and gives a hint.

    Args:
        graph: a ``tf.Graph``, a ``ConcreteFunction`` (its graph), a ``tf.function`` with an
            ``input_signature`` or a Keras model (its ``ge.graph_from_keras``); or a
            :class:`SubGraphView`, an op or a list of ops (then only those ops are checked).
        raise_on_error: raise :class:`~graph_editor.errors.GraphValidationError` if a problem
            of severity ``"error"`` is found (warnings never raise).

    Returns:
        The problems found, errors first (empty for a clean graph).

    Raises:
        GraphValidationError: see ``raise_on_error``; its ``.problems`` holds the list.
        GraphEditTypeError: ``graph`` is of another type.

    Example:
        >>> ge.validate(graph)
        []
    """
    raise_on_error = util.check_flag(raise_on_error, "raise_on_error")
    ops, problems = _ops_to_check(graph)
    names: set[str] | None = None
    problems += _check_cycles(ops)
    problems += _check_frames(ops)
    problems += _check_inputs(ops)
    if ops:
        partial = isinstance(graph, (SubGraphView, tf.Operation)) or (
            not isinstance(graph, tf.Graph) and util.is_iterable(graph)
        )
        names = {op.name for op in ops} if partial else None
        problems += _check_functions(ops[0].graph, names)
    problems += _check_placeholders(ops)
    if ops:
        problems += _check_uninitializable(ops[0].graph, ops)
        problems += _check_duplicate_variables(ops[0].graph, names)
    problems.sort(key=lambda p: p.severity != "error")
    if raise_on_error:
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            lines = "\n".join(f"  {p}" for p in errors)
            raise GraphValidationError(
                f"validate: {len(errors)} problem(s) found:\n{lines}", problems
            )
    return problems


# --------------------------------------------------------------------------------------------
# Cut points
# --------------------------------------------------------------------------------------------


def _resolve_fn(graph_or_fn: Any, signature: Any) -> tuple[tf.Graph, bool]:
    """(graph, is_function)."""
    found = _resolve.whole_graph(graph_or_fn, "find_cut_points", signature)
    if found is None:
        raise GraphEditTypeError(
            "find_cut_points expects a tf.Graph, a ConcreteFunction, a tf.function or a Keras "
            f"model, got {util._describe(graph_or_fn)}."
        )
    return found


def _tensor_list(graph: tf.Graph, ts: Any, what: str) -> list[tf.Tensor]:
    result = resolve_tensors(graph, ts, what)
    if not result:
        raise GraphEditValueError(f"find_cut_points: {what} is empty.")
    return result


class CutPoint(str):
    """One place to cut, from :func:`find_cut_points`: the tensor's name, carrying the tensor.

    A ``CutPoint`` is a ``str`` (``"h1/Relu:0"``), so it compares equal to the name and
    can be passed wherever ge takes a tensor name (``at=`` of ``ge.split_function``,
    ``ge.insert_at``, ``ge.saved_model.split``...), for graphs and functions alike.

    Attributes:
        name: the tensor's name (the string itself).
        tensor: the ``tf.Tensor`` in the graph that was searched (for a function, its
            graph; for a Keras model, a graph of ``ge.graph_from_keras``).
    """

    tensor: tf.Tensor

    def __new__(cls, tensor: tf.Tensor) -> CutPoint:
        if not isinstance(tensor, tf.Tensor) or not hasattr(tensor, "graph"):
            raise GraphEditTypeError(
                f"CutPoint wraps a tensor of a graph, got {util._describe(tensor)}; "
                "ge.find_cut_points makes them."
            )
        point = super().__new__(cls, tensor.name)
        point.tensor = tensor
        return point

    @property
    def name(self) -> str:
        """The tensor's name, as a plain ``str``."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"CutPoint({str.__repr__(self)})"


def _flow_graph(in_ts: list, out_ts: list, source: tuple, sink: tuple) -> nx.DiGraph:
    """The data-flow graph between ``in_ts`` and ``out_ts`` (tensors and ops as nodes)."""
    # Tensors reachable from the inputs (forward, data edges only).
    fwd: dict[int, tf.Tensor] = {id(t): t for t in in_ts}
    queue = deque(in_ts)
    while queue:
        t = queue.popleft()
        for op in t.consumers():
            for out in op.outputs:
                if id(out) not in fwd:
                    fwd[id(out)] = out
                    queue.append(out)
    # Walk back from the outputs inside that set, building the flow graph.
    flow = nx.DiGraph()
    seen: set[int] = set()
    queue = deque()
    for t in out_ts:
        if id(t) in fwd:
            flow.add_edge(t.name, sink)
            if id(t) not in seen:
                seen.add(id(t))
                queue.append(t)
    in_ids = {id(t) for t in in_ts}
    while queue:
        t = queue.popleft()
        if id(t) in in_ids:
            flow.add_edge(source, t.name)
        op = t.op
        flow.add_edge(op.name, t.name)
        for x in op.inputs:
            if id(x) in fwd:
                flow.add_edge(x.name, op.name)
                if id(x) not in seen:
                    seen.add(id(x))
                    queue.append(x)
    return flow


def find_cut_points(
    graph_or_fn: Any,
    inputs: Any = None,
    outputs: Any = None,
    *,
    input_specs: Any = None,
    signature: Any = None,
) -> list[CutPoint]:
    """The tensors through which every path from ``inputs`` to ``outputs`` flows.

    Each such tensor is a place where the model can be cut in two: a head computing it
    from ``inputs`` and a tail computing ``outputs`` from it (plus whatever the tail reads
    that does not depend on ``inputs``: variables, constants). They are the dominators of
    the outputs in the data-flow graph rooted at the inputs (control edges are ignored),
    computed with ``networkx.immediate_dominators`` in near-linear time.

    Args:
        graph_or_fn: a ``tf.Graph``; or a ``ConcreteFunction`` (anything with a ``.graph``);
            or a Keras model (its ``ge.graph_from_keras`` graph); or a ``tf.function``
            together with ``input_specs`` (a list of ``tf.TensorSpec`` given to
            ``get_concrete_function``); without them, only a tf.function with an
            ``input_signature`` is traced.
        inputs: tensors or tensor names, resolved like every ge name (``"x"`` means
            ``"x:0"``, a unique suffix works, a Keras model's layer names mean the layers'
            outputs). Required for a graph; for a function, defaults to its arguments
            (captured variables and constants excluded).
        outputs: tensors or tensor names. Required for a graph; for a function, defaults
            to its outputs.
        input_specs: see ``graph_or_fn``.
        signature: deprecated spelling of ``input_specs`` (warns
            :class:`~graph_editor.errors.GraphEditDeprecationWarning`).

    Returns:
        The cut points in topological order, excluding ``inputs`` and ``outputs``
        themselves, for graphs and functions alike: :class:`CutPoint` objects, the tensors'
        names (``str``) with the tensors as ``.tensor``.

    Raises:
        GraphEditValueError: the outputs do not depend on the inputs, or arguments are
            missing.
        GraphEditKeyError: an unknown or ambiguous tensor name (closest names listed).

    Example:
        >>> with graph.as_default():
        ...     x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        ...     h1 = tf.nn.relu(x, name="h1")
        ...     h2 = tf.nn.relu(h1 * 2.0, name="h2")
        ...     y = tf.tanh(h2) + h2               # two paths from h2: no cut inside
        >>> points = ge.find_cut_points(graph, [x], [y])
        >>> points
        [CutPoint('h1:0'), CutPoint('mul:0'), CutPoint('h2:0')]
        >>> points[2].tensor.op.type
        'Relu'
    """
    input_specs = _renamed_argument("find_cut_points", "input_specs", input_specs,
                                    "signature", signature, required=False)
    graph, is_fn = _resolve_fn(graph_or_fn, input_specs)
    if inputs is None:
        if not is_fn:
            raise GraphEditValueError("find_cut_points: pass inputs=[...] for a tf.Graph.")
        captured = {id(t) for _, t in _tf.func_graph_captures(graph)}
        inputs = [t for t in graph.inputs if id(t) not in captured and t.dtype != tf.resource]
    if outputs is None:
        if not is_fn:
            raise GraphEditValueError("find_cut_points: pass outputs=[...] for a tf.Graph.")
        outputs = [t for t in graph.outputs if t is not None]
    in_ts = _tensor_list(graph, inputs, "inputs")
    out_ts = _tensor_list(graph, outputs, "outputs")

    source, sink = ("source",), ("sink",)
    flow = _flow_graph(in_ts, out_ts, source, sink)
    if source not in flow or sink not in flow:
        raise GraphEditValueError(
            "find_cut_points: the outputs "
            f"{[t.name for t in out_ts]} do not depend on the inputs {[t.name for t in in_ts]}."
        )
    idom = nx.immediate_dominators(flow, source)
    if sink not in idom:
        raise GraphEditValueError(
            "find_cut_points: the outputs do not depend on the inputs "
            f"{[t.name for t in in_ts]}."
        )
    excluded = {t.name for t in in_ts} | {t.name for t in out_ts}
    chain = []
    node = idom[sink]
    while node != source:
        if isinstance(node, str) and ":" in node and node not in excluded:
            chain.append(node)
        node = idom[node]
    chain.reverse()
    return [CutPoint(graph.get_tensor_by_name(name)) for name in chain]
