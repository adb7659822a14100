"""Copy and transform subgraphs: ``Transformer``, ``copy``, ``graph_replace``.

Follows ``tf.contrib.graph_editor.transform`` (TF 1.15): a :class:`Transformer` copies a
:class:`~graph_editor.subgraph.SubGraphView` into a graph (the same or another one) under a
destination scope, calling six configurable handlers; :func:`copy`,
:func:`copy_with_input_replacements` and :func:`graph_replace` are its three entry points.

Beyond contrib (its known bugs, fixed):

- copies of variables are real ``tf.Variable`` objects of the destination, in the
  original's collections; same-graph resource copies get their own ``shared_name``
  (``share_variables=True`` keeps sharing); ``info.transformed(var)`` maps variables;
- colocation ``_class: loc:@`` attrs name the copies; v1 loop copies get their own frame;
- functions of the library follow cross-graph copies (``If``/``While``/``PartitionedCall``);
- deterministic topological copy order; v1 ``Merge`` back edges patched by slot;
- names never pick up the caller's active name scope; works in eager mode, outside any
  ``as_default()``; identity semantics everywhere (no ``Variable.__eq__``);
- the returned view has inputs (the replacements / placeholders), outputs aligned with
  the source view's outputs;
- with the default op handler, one GraphDef import instead of one op at a time.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any, TypeVar

import tensorflow as tf

from graph_editor import _between, _copy_fast, _edits, _tf, select, subgraph, util
from graph_editor import _copy_support as support
from graph_editor._copy_info import TransformerInfo, _TmpInfo, _warn_unwrapped_variables
from graph_editor._handlers import (
    _copy_refused,
    _is_default_op_handler,
    _is_legacy_op_handler,
    assign_renamed_collections_handler,
    copy_op_handler,
    keep_t_if_possible_handler,
    replace_t_with_placeholder_handler,
    transform_op_if_inside_handler,
)
from graph_editor.errors import (
    GraphEditError,
    GraphEditTypeError,
    GraphEditValueError,
    GraphMismatchError,
)

__all__ = [
    "replace_t_with_placeholder_handler",
    "keep_t_if_possible_handler",
    "assign_renamed_collections_handler",
    "transform_op_if_inside_handler",
    "copy_op_handler",
    "Transformer",
    "TransformerInfo",
    "copy",
    "copy_with_input_replacements",
    "graph_replace",
]


# --------------------------------------------------------------------------------------------
# Transformer
# --------------------------------------------------------------------------------------------


_INPUTS = operator.attrgetter("inputs")

#: The fast path is used when the view has at least 1/_FAST_PATH_MIN_SHARE of the ops the
#: destination graph has (measured: TF's C import costs ~0.6 us per existing node).
_FAST_PATH_MIN_SHARE = 20


class Transformer:
    """Copy a subgraph view into a graph, with six configurable handlers.

    Attributes (handlers, see "Custom handlers" in docs/transform.md):
        transform_op_handler: ``(info, op, new_inputs) -> (op_, outputs_)``; TF <= 1.7
            handlers ``(info, op, copy_shape)`` are detected and still work.
        transform_control_input_handler: ``(info, op) -> op or None``.
        assign_collections_handler: ``(info, elem, elem_)``.
        transform_external_input_handler: ``(info, t) -> t_`` for the view's inputs.
        transform_external_hidden_input_handler: ``(info, t) -> t_`` for other outside
            tensors consumed inside.
        transform_original_op_handler: ``(info, op) -> op or None``.
        share_variables: same-graph copies of variables keep the original's
            ``shared_name`` (share state). Default False: independent copies.
        fast_path: allow the GraphDef-import path when the op, control-input and
            original-op handlers are the defaults (set False to force op-by-op).

    Example:
        >>> t = ge.Transformer()
        >>> t.transform_external_input_handler = ge.keep_t_if_possible_handler
        >>> sgv_, info = t(ge.sgv(c.op, d.op), graph, "copy")
        >>> [t.name for t in sgv_.inputs]   # the copy reads the original inputs
        ['a:0', 'b:0']
    """

    def __init__(self) -> None:
        self.transform_control_input_handler = transform_op_if_inside_handler
        self.transform_op_handler = copy_op_handler
        self.transform_original_op_handler = transform_op_if_inside_handler
        self.assign_collections_handler = assign_renamed_collections_handler
        self.transform_external_input_handler = replace_t_with_placeholder_handler
        self.transform_external_hidden_input_handler = keep_t_if_possible_handler
        self.share_variables = False
        self.fast_path = True

    def __call__(
        self,
        sgv: Any,
        dst_graph: tf.Graph,
        dst_scope: str,
        src_scope: str = "",
        reuse_dst_scope: bool = False,
    ) -> tuple[subgraph.SubGraphView, TransformerInfo]:
        """Copy ``sgv`` into ``dst_graph`` under ``dst_scope``.

        Args:
            sgv: a view, or anything :func:`ge.sgv <graph_editor.subgraph.make_view>`
                accepts.
            dst_graph: the destination ``tf.Graph`` (may be the source graph).
            dst_scope: destination scope, uniquified unless ``reuse_dst_scope``.
            src_scope: scope removed from the source names.
            reuse_dst_scope: use ``dst_scope`` even if it exists (names get suffixes).

        Returns:
            ``(sgv_, info)``: the copied view (inputs: the tensors that replaced the
            source inputs; outputs aligned with the source outputs) and a
            :class:`TransformerInfo`.

        Raises:
            GraphEditTypeError: ``dst_graph`` is not a ``tf.Graph``.
            GraphEditValueError: an op is outside ``src_scope``, or ``dst_graph`` is
                finalized. Nothing is created in that case.
        """
        sgv = _as_view(sgv)
        if not isinstance(dst_graph, tf.Graph):
            raise GraphEditTypeError(
                f"Expected a tf.Graph as dst_graph, got {util._describe(dst_graph)}."
            )
        src_scope = util.scope_finalize(util.check_scope(src_scope, "src_scope"))
        dst_scope = util.scope_finalize(util.check_scope(dst_scope, "dst_scope", new=True))
        reuse_dst_scope = util.check_flag(reuse_dst_scope, "reuse_dst_scope")
        if not sgv:
            empty = _TmpInfo.empty(dst_graph, src_scope, dst_scope)
            return subgraph.SubGraphView(), TransformerInfo(empty)
        if dst_graph.finalized:
            raise GraphEditValueError(
                "dst_graph is finalized: nothing can be copied into it. Copy into a new "
                "tf.Graph, or build the copy before finalizing."
            )
        if src_scope:
            for op in sgv.ops:
                if not op.name.startswith(src_scope):
                    raise GraphEditValueError(
                        f"{util._describe(op)} does not belong to source scope "
                        f"'{src_scope}': pass a src_scope that prefixes every copied op."
                    )
        if _is_default_op_handler(self.transform_op_handler)[0]:
            support.check_function_destination(dst_graph, sgv.ops)
        if dst_scope and not reuse_dst_scope:
            dst_scope = util.scope_finalize(_tf.unique_name_at_root(dst_graph, dst_scope[:-1]))

        info = _TmpInfo(sgv, dst_graph, dst_scope, src_scope,
                        share_variables=self.share_variables, transformer=self,
                        original_op_handler=transform_op_if_inside_handler)
        top = _tf.ops_created_after(dst_graph, 1 << 62)[1]
        try:
            order = self._copy_all(info, sgv, dst_graph)
        except (ValueError, tf.errors.OpError) as e:
            if isinstance(e, GraphEditError):
                raise
            raise _copy_refused(e, dst_graph, top) from e
        self._assign_collections_and_variables(info, order)
        support.rebind_custom_gradients(info)
        return self._transform_sgv(info, sgv, order), TransformerInfo(info)

    def _copy_all(self, info: _TmpInfo, sgv: subgraph.SubGraphView,
                  dst_graph: tf.Graph) -> list[tf.Operation]:
        """Create the copies (the GraphDef import path or op by op); their order."""
        eligible, copy_shape, nodedef_fn = _is_default_op_handler(self.transform_op_handler)
        # the copies' attrs are the source's: variables can take shape / dtype from theirs
        info._attrs_as_source = eligible and nodedef_fn is None
        if (
            self.fast_path
            and eligible
            and self.transform_control_input_handler is transform_op_if_inside_handler
            and self.transform_original_op_handler is transform_op_if_inside_handler
            # TF's C importer indexes every node of the destination on each import: for a
            # view much smaller than the destination, op-by-op creation is cheaper.
            and len(sgv.ops) * _FAST_PATH_MIN_SHARE >= dst_graph.version
        ):
            order = _copy_fast.fast_copy(self, info, sgv.ops, copy_shape, nodedef_fn)
        else:
            order = None
        if order is None:
            order = support.copy_order(sgv.ops)
            self._copy_ops(info, order)
            self._finalize_cycles(info)
            self._connect_control_inputs(info, order)
            support.finalize_colocation(
                info, [info.transformed_ops[op] for op in info._pending_colocation]
            )
        return order

    # -- per-op path --------------------------------------------------------------------------

    def _copy_ops(self, info: _TmpInfo, order: list[tf.Operation]) -> None:
        node_defs = [op.node_def for op in order] if _tf.graph_functions(info.graph) else []
        support.copy_functions(info.graph, info.graph_, node_defs)
        handler: Any = self.transform_op_handler  # (info, op, new_inputs), or legacy (info, op)
        legacy = _is_legacy_op_handler(handler)
        for op in order:
            new_inputs = [self._transformed_t(info, t, op, i) for i, t in enumerate(op.inputs)]
            if legacy:
                info._legacy_call = (op, new_inputs)
                try:
                    op_, op_outputs_ = handler(info, op)
                finally:
                    info._legacy_call = None
                rewire = [
                    (op_, i, want, t_)
                    for i, (t_, want) in enumerate(zip(op_.inputs, new_inputs))
                    if t_ is not want
                ]
                if rewire:
                    with _edits.EdgeEdits(op_.graph) as edits:
                        edits.set_inputs(rewire)
            else:
                op_, op_outputs_ = handler(info, op, new_inputs)
            if op is op_:
                raise GraphEditValueError(
                    f"In-place transformation not allowed: the op handler returned "
                    f"{util._describe(op)} itself instead of a copy."
                )
            info.transformed_ops[op] = op_
            info._original_ops[op_] = op
            for t, t_ in zip(op.outputs, op_outputs_):
                info.transformed_ts[t] = t_
                info._original_ts[t_] = t

    def _external_t(self, info: _TmpInfo, t: tf.Tensor) -> tf.Tensor:
        """The destination tensor for an outside tensor (handler called once per tensor)."""
        t_ = info._input_cache.get(id(t))
        if t_ is None:
            if t in info.sgv_inputs_set:
                t_ = self.transform_external_input_handler(info, t)
            else:
                t_ = self.transform_external_hidden_input_handler(info, t)
            info._input_cache[id(t)] = t_
        return t_

    def _transformed_t(self, info: _TmpInfo, t: tf.Tensor, consumer_op: tf.Operation,
                       slot: int = -1) -> tf.Tensor:
        if t.op not in info.ops or t in info.sgv_inputs_set:
            return self._external_t(info, t)
        t_ = info.transformed_ts.get(t)
        if t_ is not None:
            return t_
        # The producer is inside but not copied yet (a cycle): use a stand-in for now.
        if consumer_op.type in ("Merge", "RefMerge") and slot > 0:
            tmp_t_ = self._transformed_t(info, consumer_op.inputs[0], consumer_op, 0)
        elif t.op.type in ("Enter", "RefEnter"):
            tmp_t_ = self._transformed_t(info, t.op.inputs[0], consumer_op, -1)
        else:
            graph_ = info.graph_
            with graph_.as_default(), graph_.name_scope(None), graph_.control_dependencies(None):
                tmp_t_ = tf.compat.v1.placeholder(
                    t.dtype.base_dtype, t.shape,
                    name=util.placeholder_name(t, scope=info.scope_, prefix="geph_tmp"),
                )
        info.tmp_cyclic_ts.append((t, tmp_t_, consumer_op))
        info._cyclic_slots.append(slot)
        return tmp_t_

    def _finalize_cycles(self, info: _TmpInfo) -> None:
        with _edits.EdgeEdits(info.graph_) as edits:
            self._patch_cycles(info, edits)

    def _patch_cycles(self, info: _TmpInfo, edits: _edits.EdgeEdits) -> None:
        for (t, tmp_t_, consumer_op), slot in zip(info.tmp_cyclic_ts, info._cyclic_slots):
            t_ = info.transformed_ts.get(t)
            if t_ is None or consumer_op not in info.transformed_ops:
                raise GraphEditValueError(
                    f"{util._describe(t)} (consumed by {util._describe(consumer_op)}) should "
                    "have been copied by now: the op handler did not map it."
                )
            consumer_op_ = info.transformed_ops[consumer_op]
            if slot < 0:  # contrib's lookup by value, for handlers that bypass slots
                slot = next(i for i, x in enumerate(consumer_op_.inputs) if x is tmp_t_)
            edits.set_inputs([(consumer_op_, slot, t_, tmp_t_)])

    def _connect_control_inputs(self, info: _TmpInfo, order: list[tf.Operation]) -> None:
        with _edits.EdgeEdits(info.graph_) as edits:
            self._connect_each(info, order, edits)

    def _connect_each(self, info: _TmpInfo, order: list[tf.Operation],
                      edits: _edits.EdgeEdits) -> None:
        for op in order:
            op_ = info.transformed_ops[op]
            orig = _tf.original_op(op)
            if orig is not None:
                _tf.set_original_op(op_, self.transform_original_op_handler(info, orig))
            control_inputs_ = []
            for ci in op.control_inputs:
                ci_ = self.transform_control_input_handler(info, ci)
                if ci_ is not None:
                    control_inputs_.append(ci_)
            edits.add_controls(op_, control_inputs_)

    # -- shared tail ----------------------------------------------------------------------

    def _assign_collections_and_variables(self, info: _TmpInfo,
                                          order: list[tf.Operation]) -> None:
        """Variables, then collections: in bulk for the default handler, else the handler
        is called for each copied op, each of its outputs, then each variable."""
        pairs, unwrapped = support.rewrap_variables(info)
        _warn_unwrapped_variables(info, unwrapped)
        if self.assign_collections_handler is assign_renamed_collections_handler:
            support.assign_collections(info, support.copy_of_collected(info))
        else:
            handler = self.assign_collections_handler
            for op in order:
                handler(info, op, info.transformed_ops[op])
                for t in op.outputs:
                    t_ = info.transformed_ts.get(t)
                    if t_ is not None:
                        handler(info, t, t_)
            for v, v_ in pairs:
                handler(info, v, v_)

    def _transform_sgv(self, info: _TmpInfo, sgv: subgraph.SubGraphView,
                       order: list[tf.Operation]) -> subgraph.SubGraphView:
        ops_ = [info.transformed_ops[op] for op in order]
        inputs_: list[tf.Tensor] = []
        seen: set[int] = set()
        for t in sgv.inputs:
            t_ = info._input_cache.get(id(t))
            if t_ is not None and id(t_) not in seen and t_.graph is info.graph_:
                seen.add(id(t_))
                inputs_.append(t_)
        ts_map = info.transformed_ts
        if isinstance(ts_map, support.OpOutputsMap):  # fast path: outputs of the op copies
            ops_map = info.transformed_ops
            outputs_ = [ops_map[t.op].outputs[t.value_index]
                        for t in sgv.outputs if t.op in ops_map]
        else:
            outputs_ = [t_ for t_ in (ts_map.get(t) for t in sgv.outputs) if t_ is not None]
        return subgraph.SubGraphView._from_parts(info.graph_, ops_, inputs_, outputs_)


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def _as_view(sgv: Any) -> subgraph.SubGraphView:
    """``ge.sgv(sgv)``, with a cheap path for a whole ``tf.Graph``.

    The view of a whole graph has no inputs and, as outputs, the tensors nothing consumes
    (what :func:`~graph_editor.select.compute_boundary_ts` gives, without its cost: the
    tensors that no op's inputs list, instead of one consumer lookup per tensor).
    """
    if not isinstance(sgv, tf.Graph):
        return subgraph.make_view(sgv)
    ops = sgv.get_operations()
    if not ops:
        return subgraph.SubGraphView()
    consumed = set(map(id, chain.from_iterable(map(_INPUTS, ops))))
    outputs = [t for op in ops for t in op.outputs if id(t) not in consumed]
    return subgraph.SubGraphView._from_parts(sgv, ops, [], outputs)


def _dst_graph(sgv: subgraph.SubGraphView, dst_graph: tf.Graph | None) -> tf.Graph:
    if dst_graph is None:
        if sgv.graph is None:
            raise GraphEditValueError("Cannot copy an empty view without a dst_graph.")
        return sgv.graph
    if not isinstance(dst_graph, tf.Graph):
        raise GraphEditTypeError(
            f"Expected a tf.Graph as dst_graph, got {util._describe(dst_graph)}."
        )
    return dst_graph


def _copier(sgv: Any, dst_graph: tf.Graph | None, share_variables: bool
            ) -> tuple[subgraph.SubGraphView, tf.Graph, Transformer]:
    """The view, the destination graph and a default Transformer for a copy."""
    sgv = _as_view(sgv)
    dst_graph = _dst_graph(sgv, dst_graph)
    copier = Transformer()
    copier.share_variables = share_variables
    return sgv, dst_graph, copier


def copy(
    sgv: Any,
    dst_graph: tf.Graph | None = None,
    dst_scope: str = "",
    src_scope: str = "",
    reuse_dst_scope: bool = False,
    share_variables: bool = False,
) -> tuple[subgraph.SubGraphView, TransformerInfo]:
    """Copy a subgraph; its inputs become placeholders (even in the same graph).

    Args:
        sgv: a view, or anything ``ge.sgv`` accepts (ops, a graph, ...).
        dst_graph: destination graph (None: the source graph).
        dst_scope: destination scope.
        src_scope: scope removed from the source names.
        reuse_dst_scope: do not uniquify ``dst_scope``.
        share_variables: same-graph variable copies share the original's state
            (graph_editor extension; default: independent copies).

    Returns:
        ``(sgv_, info)``.

    Example:
        >>> g2 = tf.Graph()
        >>> sgv_, info = ge.copy(graph, dst_graph=g2, dst_scope="copy")
        >>> info.transformed(e).name
        'copy/e:0'
    """
    sgv, dst_graph, copier = _copier(sgv, dst_graph, share_variables)
    copier.share_variables = util.check_flag(share_variables, "share_variables")
    return copier(sgv, dst_graph, dst_scope, src_scope, reuse_dst_scope=reuse_dst_scope)


def _replacement_pairs(replacement_ts: Any, dst_graph: tf.Graph
                       ) -> list[tuple[tf.Tensor, tf.Tensor]]:
    """``(original, replacement)`` pairs from a dict keyed by tensors or ``tensor.ref()``,
    or from a sequence of pairs (FuncGraph tensors are unhashable), checked."""
    if isinstance(replacement_ts, Mapping):
        items = list(replacement_ts.items())
    elif isinstance(replacement_ts, (list, tuple)) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 for p in replacement_ts
    ):
        items = [tuple(p) for p in replacement_ts]
    else:
        raise GraphEditTypeError(
            f"replacement_ts must be a dict {{original tensor: replacement tensor}} (keys "
            f"may be tensor.ref()) or a list of (original, replacement) pairs, got "
            f"{util._describe(replacement_ts)}."
        )
    pairs: list[tuple[tf.Tensor, tf.Tensor]] = []
    for k, v in items:
        if not isinstance(k, tf.Tensor) and callable(getattr(k, "deref", None)):
            k = k.deref()  # tensor.ref()
        if not isinstance(k, tf.Tensor) or not isinstance(v, tf.Tensor):
            bad = k if not isinstance(k, tf.Tensor) else v
            raise GraphEditTypeError(
                f"replacement_ts maps tensors to tensors; got {util._describe(bad)}."
                f"{util._hint_for(bad, 'tensor')}"
            )
        if v.graph is not dst_graph:
            raise GraphMismatchError(
                f"The replacement {util._describe(v)} for {util._describe(k)} is not in the "
                "destination graph: create it there (or pass dst_graph=its graph)."
            )
        util.check_stand_in(k, v, "replacement_ts", same_graph=False, same_shape=False)
        pairs.append((k, v))
    return pairs


def copy_with_input_replacements(
    sgv: Any,
    replacement_ts: Mapping[Any, tf.Tensor] | Sequence[tuple[tf.Tensor, tf.Tensor]],
    dst_graph: tf.Graph | None = None,
    dst_scope: str = "",
    src_scope: str = "",
    reuse_dst_scope: bool = False,
    share_variables: bool = False,
) -> tuple[subgraph.SubGraphView, TransformerInfo]:
    """Copy a subgraph, feeding its inputs from ``replacement_ts`` where given.

    Inputs without a replacement are kept (same graph) or become placeholders; keys that
    are not inputs of the view are ignored. Replacements must live in the destination.

    Args:
        sgv: a view, or anything ``ge.sgv`` accepts.
        replacement_ts: ``{source input tensor: destination tensor}``; keys may be
            ``tensor.ref()``, or pass a list of ``(tensor, replacement)`` pairs (tensors of
            a ``tf.function`` graph are unhashable).
        dst_graph, dst_scope, src_scope, reuse_dst_scope, share_variables: as in
            :func:`copy`.

    Returns:
        ``(sgv_, info)``.

    Example:
        >>> with graph.as_default():
        ...     a_new = tf.constant([1.0, 2.0], name="a_new")
        >>> sgv_, info = ge.copy_with_input_replacements([c.op, d.op], {a: a_new})
        >>> [t.name for t in info.transformed(c).op.inputs]
        ['a_new:0', 'b:0']
    """
    sgv, dst_graph, copier = _copier(sgv, dst_graph, share_variables)
    replacements = {id(k): v for k, v in _replacement_pairs(replacement_ts, dst_graph)}

    def replace_t_with_replacement_handler(info: Any, t: tf.Tensor) -> tf.Tensor:
        t_ = replacements.get(id(t))
        if t_ is not None:
            return t_
        return keep_t_if_possible_handler(info, t)

    copier.transform_external_input_handler = replace_t_with_replacement_handler
    return copier(sgv, dst_graph, dst_scope, src_scope, reuse_dst_scope=reuse_dst_scope)


def _add_control_flow_ops(ops: list[tf.Operation], control_ios: util.ControlOutputs) -> None:
    """Complete ``ops`` with whole v1 while loops, capture ``Enter`` ops included."""
    contexts = []
    seen_ctx: set[int] = set()
    for op in ops:
        ctx = _tf.control_flow_context(op)
        while ctx is not None and id(ctx) not in seen_ctx:
            seen_ctx.add(id(ctx))
            contexts.append(ctx)
            ctx = getattr(ctx, "outer_context", None)
    if not contexts:
        return
    present = set(ops)
    for ctx in contexts:
        if not ctx.IsWhileContext():
            continue
        body = select.get_walks_intersection_ops(
            [t.op for t in ctx.loop_enters], [t.op for t in ctx.loop_exits],
            control_ios=control_ios,
        )
        for op in body:
            if op not in present:
                present.add(op)
                ops.append(op)
    # Captured outside tensors enter the loop through their own Enter ops (contrib's
    # graph_replace left them out: tensorflow/tensorflow#20916).
    i = 0
    while i < len(ops):
        for t in ops[i].inputs:
            if t.op.type in ("Enter", "RefEnter") and t.op not in present:
                present.add(t.op)
                ops.append(t.op)
        i += 1


_Targets = TypeVar("_Targets")


def graph_replace(
    target_ts: _Targets,
    replacement_ts: Mapping[Any, tf.Tensor] | Sequence[tuple[tf.Tensor, tf.Tensor]],
    dst_scope: str = "",
    src_scope: str = "",
    reuse_dst_scope: bool = False,
) -> _Targets:
    """Recompute ``target_ts`` with ``replacement_ts`` substituted, in the same graph.

    The ops downstream of the replaced tensors and upstream of the targets (control edges
    included, whole v1 loops added) are copied with their inputs replaced.

    Args:
        target_ts: a tensor or any nested structure of tensors.
        replacement_ts: ``{tensor: replacement}``, all in the targets' graph; keys may
            be ``tensor.ref()``, or pass a list of ``(tensor, replacement)`` pairs.
        dst_scope, src_scope, reuse_dst_scope: as in :func:`copy`.

    Returns:
        ``target_ts`` with each tensor replaced by its recomputed copy (unchanged when it
        does not depend on the replacements).

    Raises:
        GraphEditValueError: targets and replacements are not connected.

    Example:
        >>> with graph.as_default():
        ...     a_new = tf.constant([1.0, 2.0], name="a_new")
        >>> e2 = ge.graph_replace(e, {a: a_new})   # e computed again from a_new
        >>> with tf.compat.v1.Session(graph=graph) as sess:
        ...     sess.run(e2, {b: [0.5, 0.5]}).round(3)
        array([0.635, 0.848], dtype=float32)
    """
    flat = util.flatten_tree(target_ts)
    graph = util.get_unique_graph(flat, check_types=tf.Tensor)
    pairs = _replacement_pairs(replacement_ts, graph)
    keys = [k for k, _ in pairs]
    control_ios = util.ControlOutputs(graph)
    ops = _between.ops_between(graph, keys, flat, control_ios)
    if not ops:
        raise GraphEditValueError(
            "Targets and replacements are not connected! No target depends on a replaced "
            "tensor (for a resource variable, key on the read tensor the graph consumes)."
        )
    _add_control_flow_ops(ops, control_ios)
    _, info = copy_with_input_replacements(
        subgraph.SubGraphView._for_copy(graph, ops), pairs, None, dst_scope, src_scope,
        reuse_dst_scope,
    )
    return info.transformed(target_ts, missing_fn=lambda original_t: original_t)
