"""``SubGraphView``: a view of a subgraph of a ``tf.Graph`` with an ordered boundary.

Follows ``tf.contrib.graph_editor.subgraph`` (TF 1.15). A view holds:

- ``ops``: the ops inside, in the caller's order (duplicates removed);
- ``inputs``: tensors consumed inside and produced outside, by op then input slot, then
  the passthroughs;
- ``outputs``: every output of every inside op, in op order, except tensors consumed only
  inside the view, then the passthroughs;
- ``passthroughs``: tensors given to the view that no inside op touches (they are both an
  input and an output).

Control edges are never part of the boundary. The order of the boundary is part of the
contract: reroute, edit and transform pair tensors by position.

A view does not own anything: it is a cheap description of part of a graph. Most methods
return a new view; ``ge.swap_inputs`` and friends remap the views they are given in place,
as contrib did.
"""

from __future__ import annotations

import copy as _copy
import io
from typing import Any

import tensorflow as tf

from graph_editor import select, util
from graph_editor.errors import (
    GraphEditAssertionError,
    GraphEditTypeError,
    GraphEditValueError,
    GraphMismatchError,
)

__all__ = ["SubGraphView", "make_view", "make_view_from_scope"]


def _index_of(t: tf.Tensor, ts: list[tf.Tensor]) -> int | None:
    for i, x in enumerate(ts):
        if x is t:
            return i
    return None


def _finalize_indices(indices: Any, ts: list[tf.Tensor], what: str) -> list[int]:
    """Turn a list of ints and/or tensors into positions in ``ts``."""
    if isinstance(indices, (int, tf.Tensor)):
        indices = [indices]
    positions: list[int] = []
    pos_by_id: dict[int, int] | None = None
    for item in indices:
        if isinstance(item, bool) or not isinstance(item, (int, tf.Tensor)):
            raise GraphEditTypeError(
                f"remap_{what}s expects ints or tensors, got {util._describe(item)}."
            )
        if isinstance(item, int):
            positions.append(item)
            continue
        if pos_by_id is None:
            pos_by_id = {}
            for i, x in enumerate(ts):
                pos_by_id.setdefault(id(x), i)
        if id(item) not in pos_by_id:
            raise GraphEditValueError(
                f"{util._describe(item)} is not an {what} of the view; "
                f"its {what}s are: {[x.name for x in ts]}."
            )
        positions.append(pos_by_id[id(item)])
    return positions


def _check_within_range(positions: list[int], n: int, repetition: bool, what: str) -> None:
    for i in positions:
        if not 0 <= i < n:
            raise GraphEditValueError(
                f"{what} index {i} is out of range [0, {n}[ (the view has {n} {what}s)."
            )
    if not repetition and len(set(positions)) != len(positions):
        raise GraphEditValueError(
            f"Found repetition in the {what} mapping {positions}: each {what} may appear once."
        )


def _boundary_ts(ops: list, ops_set: set) -> tuple[list, list, list]:
    """``select.compute_boundary_ts`` of ops already checked and unique, in one pass.

    Returns ``(inputs, outputs, inside)`` exactly as ``compute_boundary_ts`` does.
    """
    seen: set[int] = set()
    inputs: list = []
    inside: list = []
    only_inside: set[int] = set()
    for op in ops:
        for t in op.inputs:
            if id(t) in seen:
                continue
            seen.add(id(t))
            if t.op in ops_set:
                inside.append(t)
                if all(c in ops_set for c in t.consumers()):
                    only_inside.add(id(t))
            else:
                inputs.append(t)
    outputs = [t for op in ops for t in op.outputs if id(t) not in only_inside]
    return inputs, outputs, inside


class SubGraphView:
    """A subgraph of a ``tf.Graph``: its ops and its ordered input/output tensors.

    Args:
        inside_ops: a graph, an op, or an iterable of ops (all of one graph).
        passthrough_ts: tensors to add as passthroughs (both input and output). A tensor
            that an inside op already touches is silently not a passthrough.

    Example:
        >>> sgv = ge.SubGraphView([c.op, d.op])
        >>> [t.name for t in sgv.inputs], [t.name for t in sgv.outputs]   # f reads c outside
        (['a:0', 'b:0'], ['c:0', 'd:0'])
    """

    def __init__(self, inside_ops: Any = (), passthrough_ts: Any = ()) -> None:
        inside = util.make_list_of_op(inside_ops)
        passthroughs = util.make_list_of_t(passthrough_ts)
        if inside or passthroughs:
            # Each list is of one graph already: compare the two lists' graphs only.
            self._graph: tf.Graph | None = util.get_unique_graph(inside[:1] + passthroughs)
            seen: set[tf.Operation] = set()
            self._ops: list[tf.Operation] = []
            for op in inside:
                if op not in seen:
                    seen.add(op)
                    self._ops.append(op)
            inputs, outputs, insides = _boundary_ts(self._ops, seen)
            touched = {id(t) for t in inputs}
            touched.update(id(t) for t in outputs)
            touched.update(id(t) for t in insides)
            self._passthrough_ts: list[tf.Tensor] = []
            for t in passthroughs:
                if id(t) not in touched:
                    touched.add(id(t))
                    self._passthrough_ts.append(t)
            self._input_ts: list[tf.Tensor] = inputs + self._passthrough_ts
            self._output_ts: list[tf.Tensor] = outputs + self._passthrough_ts
        else:
            self._graph = None
            self._ops = []
            self._passthrough_ts = []
            self._input_ts = []
            self._output_ts = []

    # ----------------------------------------------------------------------------------------
    # Copies and remapping
    # ----------------------------------------------------------------------------------------

    @classmethod
    def _from_parts(cls, graph: tf.Graph | None, ops: list, inputs: list, outputs: list,
                    passthroughs: list | None = None) -> SubGraphView:
        """A view from parts the caller already computed and checked (no boundary pass).

        The library's copies and in-place edits know a view's ops and boundary tensors
        exactly; this is the one place besides ``__init__`` that sets a view's fields. The
        lists are taken as they are (not copied).
        """
        res = cls.__new__(cls)
        res._graph = graph
        res._ops = ops
        res._passthrough_ts = passthroughs if passthroughs is not None else []
        res._input_ts = inputs
        res._output_ts = outputs
        return res

    @classmethod
    def _for_copy(cls, graph: tf.Graph, ops: list) -> SubGraphView:
        """A view of ``ops`` (unique, of ``graph``) with its inputs but no outputs, for a
        copy whose copied view is not returned (``graph_replace``): a copy reads only a
        view's ops and inputs, and the outputs would cost a consumer lookup per tensor."""
        inside = set(ops)
        seen: set[int] = set()
        inputs = []
        for op in ops:
            for t in op.inputs:
                if id(t) not in seen:
                    seen.add(id(t))
                    if t.op not in inside:
                        inputs.append(t)
        return cls._from_parts(graph, ops, inputs, [])

    def __copy__(self) -> SubGraphView:
        return self._from_parts(self._graph, list(self._ops), list(self._input_ts),
                                list(self._output_ts), list(self._passthrough_ts))

    def copy(self) -> SubGraphView:
        """A new view with copies of the lists (the graph itself is not copied).

        Example:
            >>> sgv = ge.sgv(c.op, d.op)
            >>> sgv.copy().ops == sgv.ops
            True
        """
        return _copy.copy(self)

    def _assign_from(self, other: SubGraphView) -> None:
        """Make this view identical to ``other`` (used by in-place reroutes)."""
        if not isinstance(other, SubGraphView):
            raise GraphEditTypeError(f"Expected a SubGraphView, got {util._describe(other)}.")
        self._graph = other._graph
        self._ops = other._ops
        self._passthrough_ts = other._passthrough_ts
        self._input_ts = other._input_ts
        self._output_ts = other._output_ts

    def _remap_default(self, remove_input_map: bool = True, remove_output_map: bool = True) -> None:
        if not remove_input_map and not remove_output_map:
            return
        inputs, outputs, _ = select.compute_boundary_ts(self._ops)
        if remove_input_map:
            self._input_ts = inputs + self._passthrough_ts
        if remove_output_map:
            self._output_ts = outputs + self._passthrough_ts

    def remap_default(
        self, remove_input_map: bool = True, remove_output_map: bool = True
    ) -> SubGraphView:
        """A new view whose inputs/outputs are recomputed from ``ops`` and passthroughs.

        Example:
            >>> sgv = ge.sgv(c.op, d.op)
            >>> sgv.remap_inputs([1]).remap_default().inputs == sgv.inputs
            True
        """
        res = self.copy()
        res._remap_default(remove_input_map, remove_output_map)
        return res

    def _remap_inputs(self, new_input_indices: Any) -> None:
        positions = _finalize_indices(new_input_indices, self._input_ts, "input")
        _check_within_range(positions, len(self._input_ts), repetition=False, what="input")
        self._input_ts = [self._input_ts[i] for i in positions]

    def _remap_outputs(self, new_output_indices: Any) -> None:
        positions = _finalize_indices(new_output_indices, self._output_ts, "output")
        _check_within_range(positions, len(self._output_ts), repetition=True, what="output")
        self._output_ts = [self._output_ts[i] for i in positions]

    def _remap_outputs_make_unique(self) -> None:
        self._output_ts = util.concatenate_unique([], self._output_ts)

    def _remap_outputs_to_consumers(self) -> None:
        self._remap_outputs_make_unique()
        res: list[tf.Tensor] = []
        for t in self._output_ts:
            res.extend([t] * len(t.consumers()))
        self._output_ts = res

    def remap_outputs_make_unique(self) -> SubGraphView:
        """A new view where each output appears once.

        Example:
            >>> sgv = ge.sgv(c.op, d.op)
            >>> [t.name for t in sgv.remap_outputs([0, 0]).remap_outputs_make_unique().outputs]
            ['c:0']
        """
        res = self.copy()
        res._remap_outputs_make_unique()
        return res

    def remap_outputs_to_consumers(self) -> SubGraphView:
        """A new view where each output is repeated once per consumer (inside ones included).

        Example:
            >>> sgv = ge.sgv(c.op)
            >>> len(sgv.remap_outputs_to_consumers().outputs)   # c is read by d and f
            2
        """
        res = self.copy()
        res._remap_outputs_to_consumers()
        return res

    def _remove_unused_ops(self, control_inputs: bool = True) -> None:
        keep = set(
            select.get_walks_union_ops(
                self.connected_inputs,
                self.connected_outputs,
                within_ops=self._ops,
                control_inputs=control_inputs,
            )
        )
        self._ops = [op for op in self._ops if op in keep]

    def remove_unused_ops(self, control_inputs: bool = True) -> SubGraphView:
        """A new view without the ops that neither inputs reach nor outputs need.

        Keeps the union of the forward walk from the connected inputs and the backward walk
        from the connected outputs (within the view; control inputs followed if asked).

        Example:
            >>> sgv = ge.sgv(c.op, d.op, e.op)   # outputs c:0 (read by f) and e:0
            >>> [op.name for op in sgv.remap_inputs([]).remap_outputs([0]).remove_unused_ops().ops]
            ['c']
        """
        res = self.copy()
        res._remove_unused_ops(control_inputs)
        return res

    def remap_inputs(self, new_input_indices: Any) -> SubGraphView:
        """A new view with the inputs reordered / subset by position or tensor.

        Args:
            new_input_indices: ints or tensors; no repetition.

        Example:
            >>> sgv = ge.sgv(c.op, d.op)
            >>> sgv.remap_inputs([1, 0]).inputs[0] is sgv.inputs[1]
            True
        """
        res = self.copy()
        res._remap_inputs(new_input_indices)
        return res

    def remap_outputs(self, new_output_indices: Any) -> SubGraphView:
        """A new view with the outputs reordered / subset / repeated by position or tensor.

        Example:
            >>> sgv = ge.sgv(c.op, d.op)
            >>> [t.name for t in sgv.remap_outputs([0, 0]).outputs]
            ['c:0', 'c:0']
        """
        res = self.copy()
        res._remap_outputs(new_output_indices)
        return res

    def remap(self, new_input_indices: Any = None, new_output_indices: Any = None) -> SubGraphView:
        """Remap inputs and outputs at once (None leaves one side unchanged).

        Example:
            >>> sgv = ge.sgv(c.op, d.op)
            >>> sgv.remap([0], [1])
            <SubGraphView: 2 ops, 1 inputs, 1 outputs, 0 passthroughs>
        """
        res = self.copy()
        if new_input_indices is not None:
            res._remap_inputs(new_input_indices)
        if new_output_indices is not None:
            res._remap_outputs(new_output_indices)
        return res

    # ----------------------------------------------------------------------------------------
    # Queries
    # ----------------------------------------------------------------------------------------

    def find_op_by_name(self, op_name: str) -> tf.Operation:
        """The op of the view named ``op_name``.

        Raises:
            GraphEditValueError: no such op in the view.
            GraphEditAssertionError: several ops of the view have that name.

        Example:
            >>> sgv = ge.sgv(c.op, d.op)
            >>> sgv.find_op_by_name("c").type
            'AddV2'
        """
        res = [op for op in self._ops if op.name == op_name]
        if not res:
            raise GraphEditValueError(
                f"No op named '{op_name}' in the subgraph view (it has {len(self._ops)} ops)."
            )
        if len(res) > 1:
            raise GraphEditAssertionError(f"More than one op of the view is named '{op_name}'.")
        return res[0]

    def __str__(self) -> str:
        if not self:
            return "SubGraphView: empty"
        passthrough_ids = {id(t) for t in self._passthrough_ts}

        def tensor_name(t: tf.Tensor) -> str:
            return f"{t.name} *" if id(t) in passthrough_ids else t.name

        out = io.StringIO()
        out.write(f"SubGraphView (graphid={id(self._graph)}):\n")
        for title, items, name_of in (
            ("ops", self._ops, lambda op: op.name),
            ("inputs", self._input_ts, tensor_name),
            ("outputs", self._output_ts, tensor_name),
        ):
            if items:
                out.write(f"** {title}[{len(items)}]:\n")
                out.write("".join(f"  {name_of(x)}\n" for x in items))
            else:
                out.write(f"** {title}: empty\n")
        return out.getvalue()

    def __repr__(self) -> str:
        if not self:
            return "<SubGraphView: empty>"
        return (
            f"<SubGraphView: {len(self._ops)} ops, {len(self._input_ts)} inputs, "
            f"{len(self._output_ts)} outputs, {len(self._passthrough_ts)} passthroughs>"
        )

    @property
    def graph(self) -> tf.Graph | None:
        """The graph of the view (None for an empty view)."""
        return self._graph

    @property
    def ops(self) -> list[tf.Operation]:
        """The ops inside the view, in the caller's order. Do not modify the list."""
        return self._ops

    @property
    def inputs(self) -> util.ListView:
        """The input tensors (read-only), passthroughs last."""
        return util.ListView(self._input_ts)

    @property
    def connected_inputs(self) -> list[tf.Tensor]:
        """The inputs that are not passthroughs."""
        pt = {id(t) for t in self._passthrough_ts}
        return [t for t in self._input_ts if id(t) not in pt]

    @property
    def outputs(self) -> util.ListView:
        """The output tensors (read-only), passthroughs last."""
        return util.ListView(self._output_ts)

    @property
    def connected_outputs(self) -> list[tf.Tensor]:
        """The outputs that are not passthroughs."""
        pt = {id(t) for t in self._passthrough_ts}
        return [t for t in self._output_ts if id(t) not in pt]

    @property
    def passthroughs(self) -> util.ListView:
        """Tensors both input and output of the view, touched by no inside op."""
        return util.ListView(self._passthrough_ts)

    def __bool__(self) -> bool:
        return self._graph is not None

    def op(self, op_id: int) -> tf.Operation:
        """The op at position ``op_id`` in :attr:`ops`."""
        return self._ops[op_id]

    def is_passthrough(self, t: tf.Tensor) -> bool:
        """True if ``t`` is a passthrough of the view."""
        return _index_of(t, self._passthrough_ts) is not None

    def __enter__(self) -> SubGraphView:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        return None

    def input_index(self, t: tf.Tensor) -> int:
        """Position of ``t`` in :attr:`inputs`.

        Raises:
            GraphEditValueError: ``t`` is not an input (contrib raised AttributeError).
        """
        i = _index_of(t, self._input_ts)
        if i is None:
            raise GraphEditValueError(
                f"{util._describe(t)} is not an input of the subgraph view; its inputs are: "
                f"{[x.name for x in self._input_ts]}."
            )
        return i

    def output_index(self, t: tf.Tensor) -> int:
        """Position of ``t`` in :attr:`outputs`.

        Raises:
            GraphEditValueError: ``t`` is not an output (contrib raised AttributeError).
        """
        i = _index_of(t, self._output_ts)
        if i is None:
            raise GraphEditValueError(
                f"{util._describe(t)} is not an output of the subgraph view; its outputs are: "
                f"{[x.name for x in self._output_ts]}."
            )
        return i

    def consumers(self) -> list[tf.Operation]:
        """Unique ops outside the view that consume its outputs, in output order."""
        inside = set(self._ops)
        seen: set[tf.Operation] = set()
        res: list[tf.Operation] = []
        for t in self._output_ts:
            for op in t.consumers():
                if op not in inside and op not in seen:
                    seen.add(op)
                    res.append(op)
        return res


def _check_graph(sgv: SubGraphView, graph: tf.Graph | None) -> SubGraphView:
    if not isinstance(sgv, SubGraphView):
        raise GraphEditTypeError(f"Expected a SubGraphView, got {util._describe(sgv)}.")
    if graph is None or not sgv.graph:
        return sgv
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(f"graph must be a tf.Graph, got {util._describe(graph)}.")
    if sgv.graph is not graph:
        raise GraphMismatchError(
            "Graph mismatch: the view belongs to another graph than the given graph=."
        )
    return sgv


def make_view(*args: Any, **kwargs: Any) -> SubGraphView:
    """Make a :class:`SubGraphView` from ops, tensors, regexes or a view (alias ``ge.sgv``).

    Args:
        *args: a single view (returned as is after a graph check), or anything
            :func:`~graph_editor.select.select_ops_and_ts` accepts: ops, tensors, iterables,
            graphs, regexes (``(?#ts)`` regexes select passthrough tensors).
        **kwargs: ``graph`` (required for regexes) and ``positive_filter``.

    Returns:
        The view.

    Example:
        >>> with graph.as_default():
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), tf.ones([2, 1]), name="net/y")
        >>> sgv = ge.sgv("^net/", graph=graph)
        >>> [t.name for t in sgv.inputs], [t.name for t in sgv.outputs]
        (['Reshape:0', 'ones:0'], ['net/y:0'])
    """
    graph = kwargs.get("graph")
    if len(args) == 1 and isinstance(args[0], SubGraphView):
        return _check_graph(args[0], graph)
    ops, ts = select.select_ops_and_ts(*args, **kwargs)
    return _check_graph(SubGraphView(ops, ts), graph)


def make_view_from_scope(scope: str, graph: tf.Graph) -> SubGraphView:
    """A view of all the ops of ``graph`` under name scope ``scope`` (alias ``ge.sgv_scope``).

    Example:
        >>> with graph.as_default():
        ...     w = tf.ones([2, 1], name="net/w")
        ...     y = tf.matmul(tf.reshape(e, [1, 2]), w, name="net/y")
        >>> [op.name for op in ge.sgv_scope("net", graph=graph).ops]
        ['net/w', 'net/y']
    """
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(
            f"make_view_from_scope needs graph=<tf.Graph>, got {util._describe(graph)}."
        )
    return SubGraphView(select.get_name_scope_ops(graph, scope))

