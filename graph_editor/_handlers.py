"""The Transformer's default handlers and how it recognises them (private).

``graph_editor.transform`` re-exports the five public handlers (contrib's names): copying an
op, turning an external input into a placeholder or keeping it, renaming collections, and
mapping control inputs. Each checks it was given a Transformer's per-call ``info``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from graph_editor import _copy_support as support
from graph_editor import _tf, util
from graph_editor._copy_info import _TmpInfo
from graph_editor.errors import GraphEditTypeError, GraphEditValueError

__all__ = [
    "replace_t_with_placeholder_handler",
    "keep_t_if_possible_handler",
    "assign_renamed_collections_handler",
    "transform_op_if_inside_handler",
    "copy_op_handler",
]


# --------------------------------------------------------------------------------------------
# Default handlers
# --------------------------------------------------------------------------------------------


def _check_info(info: Any, handler: str) -> None:
    """A handler's ``info`` must be the per-call info a Transformer passes."""
    if not isinstance(info, _TmpInfo):
        raise GraphEditTypeError(
            f"{handler}: info must be the per-call info object a ge.Transformer passes to "
            f"its handlers (their first argument), got {util._describe(info)}. Call "
            "handlers from inside a Transformer, or pass on the info you were given."
        )


def _check_handler_arg(value: Any, kind: type, handler: str, name: str) -> None:
    if util._is_eager(value) or not isinstance(value, kind):
        raise GraphEditTypeError(
            f"{handler}: {name} must be a graph tf.{kind.__name__}, got "
            f"{util._describe(value)}."
        )


def replace_t_with_placeholder_handler(info: Any, t: tf.Tensor) -> tf.Tensor:
    """Transform an external input into a placeholder of the destination graph.

    The placeholder is ``dst_scope + "geph__<op basename>_<index>"`` with ``t``'s dtype and
    static shape, created at the root of the destination scope whatever name scope is
    active.

    Args:
        info: the per-call info object of the transformer.
        t: the external input tensor.

    Returns:
        The placeholder's output tensor.

    Example:
        >>> sgv_, info = ge.copy(ge.sgv(c.op), tf.Graph())   # a:0 and b:0 become placeholders
        >>> [t.op.type for t in sgv_.inputs]
        ['Placeholder', 'Placeholder']
    """
    _check_info(info, "replace_t_with_placeholder_handler")
    _check_handler_arg(t, tf.Tensor, "replace_t_with_placeholder_handler", "t")
    graph_ = info.graph_
    with graph_.as_default(), graph_.name_scope(None), graph_.control_dependencies(None):
        return tf.compat.v1.placeholder(
            dtype=t.dtype.base_dtype, shape=t.shape,
            name=util.placeholder_name(t, scope=info.scope_),
        )


def keep_t_if_possible_handler(info: Any, t: tf.Tensor) -> tf.Tensor:
    """Keep ``t`` if the copy can use it, else make a placeholder.

    The copy can use ``t`` in ``t``'s own graph, and in a function graph (``FuncGraph``)
    that can capture it: ``t`` belongs to a graph the function is nested in, or ``t`` is
    a captured value of a source function (a variable's handle, a constant, an outer
    tensor), which the destination then captures too; the variable behind a handle is
    recorded as read by the function, so ``ConcreteFunction.variables`` lists it.

    Example:
        >>> transformer = ge.Transformer()
        >>> transformer.transform_external_input_handler = ge.keep_t_if_possible_handler
    """
    _check_info(info, "keep_t_if_possible_handler")
    _check_handler_arg(t, tf.Tensor, "keep_t_if_possible_handler", "t")
    if info.graph is info.graph_:
        return t
    t_ = support.capture_in(info, t)
    if t_ is not None:
        return t_
    return replace_t_with_placeholder_handler(info, t)


def assign_renamed_collections_handler(info: Any, elem: Any, elem_: Any) -> None:
    """Add ``elem_`` to every source collection holding ``elem``, renamed for the copy.

    ``tf.compat.v1.GraphKeys`` names are kept; other names inside the source scope get the
    destination scope (``my_coll`` -> ``dst/my_coll``); names outside it are kept. Works on
    ops, tensors and ``tf.Variable`` objects, by identity, in O(1) per element.

    Example:
        >>> transformer = ge.Transformer()
        >>> transformer.assign_collections_handler = ge.assign_renamed_collections_handler
    """
    _check_info(info, "assign_renamed_collections_handler")
    for name in support.collection_index(info).get(id(elem), ()):
        info.graph_.add_to_collection(support.transformed_collection_name(info, name), elem_)


def transform_op_if_inside_handler(
    info: Any, op: tf.Operation, keep_if_possible: bool = True
) -> tf.Operation | None:
    """The copy of ``op`` if it is in the view; else ``op`` itself (same graph) or None.

    Example:
        >>> transformer = ge.Transformer()
        >>> transformer.transform_control_input_handler = ge.transform_op_if_inside_handler
    """
    _check_info(info, "transform_op_if_inside_handler")
    _check_handler_arg(op, tf.Operation, "transform_op_if_inside_handler", "op")
    keep_if_possible = util.check_flag(keep_if_possible, "keep_if_possible")
    if op in info.ops:
        return info.transformed_ops[op]
    if keep_if_possible and info.graph is info.graph_:
        return op
    return None


def copy_op_handler(
    info: Any,
    op: tf.Operation,
    new_inputs: Any,
    copy_shape: bool = False,
    nodedef_fn: Callable[[Any], Any] | None = None,
) -> tuple[tf.Operation, list[tf.Tensor]]:
    """Copy ``op`` into the destination graph with ``new_inputs`` (the default op handler).

    The NodeDef is copied with every attr, renamed (``dst_scope`` + name minus
    ``src_scope``, uniquified), its colocation, variable ``shared_name`` and v1 frame
    rewritten for the destination, then passed to ``nodedef_fn``. The op gets no control
    inputs (the transformer adds them once all copies exist). Output shapes are inferred
    anew unless ``copy_shape``.

    Args:
        info: the per-call info object of the transformer.
        op: the op to copy.
        new_inputs: its inputs in the destination graph, one per input slot.
        copy_shape: also copy the static shapes of the outputs.
        nodedef_fn: called with the new NodeDef, returns the NodeDef to use.

    Returns:
        ``(op_, op_.outputs)``.

    Raises:
        GraphEditTypeError: ``new_inputs`` is a bool (a TF <= 1.7 call
            ``copy_op_handler(info, op, copy_shape)`` made outside a transformer).

    Example:
        >>> import functools
        >>> t = ge.Transformer()
        >>> t.transform_op_handler = functools.partial(ge.copy_op_handler, copy_shape=True)
    """
    _check_info(info, "copy_op_handler")
    _check_handler_arg(op, tf.Operation, "copy_op_handler", "op")
    util.check_callable(nodedef_fn, "nodedef_fn")
    if isinstance(new_inputs, bool):
        legacy = getattr(info, "_legacy_call", None)
        if legacy is None or legacy[0] is not op:
            raise GraphEditTypeError(
                f"copy_op_handler({op.name!r}): the `new_inputs` argument must be an iterable "
                "of tensors, got a bool. Since TF 1.8 the signature is "
                "copy_op_handler(info, op, new_inputs, copy_shape=False)."
            )
        new_inputs, copy_shape = legacy[1], new_inputs
    copy_shape = util.check_flag(copy_shape, "copy_shape")
    new_inputs = _checked_new_inputs(op, new_inputs)
    node_def_ = op.node_def  # a fresh proto
    name_ = _tf.unique_name_at_root(info.graph_, info.new_name(op.name))
    node_def_.name = name_
    info._names_map[op.name] = name_
    if support.rewrite_node_def(info, node_def_):
        info._pending_colocation.append(op)
    if nodedef_fn is not None:
        node_def_ = nodedef_fn(node_def_)
    op_def = _tf.op_def_for_type(info.graph_, node_def_.op)
    op_ = _tf.create_op(info.graph_, node_def_, list(new_inputs), op_def)
    if copy_shape:
        for t, t_ in zip(op.outputs, op_.outputs):
            t_.set_shape(t.shape)
    orig = _tf.original_op(op)
    if orig is not None:  # finalised once every op exists
        _tf.set_original_op(op_, orig)
    return op_, op_.outputs


def _checked_new_inputs(op: tf.Operation, new_inputs: Any) -> list:
    """``new_inputs`` as a list of graph tensors, one per input slot of ``op``."""
    if util._is_eager(new_inputs) or isinstance(new_inputs, (str, bytes)) or not (
            util.is_iterable(new_inputs)):
        raise GraphEditTypeError(
            f"copy_op_handler({op.name!r}): new_inputs must be a list of tensors, one per "
            f"input of the op, got {util._describe(new_inputs)}."
        )
    new_inputs = list(new_inputs)
    for t in new_inputs:
        if util._is_eager(t) or not isinstance(t, tf.Tensor):
            raise GraphEditTypeError(
                f"copy_op_handler({op.name!r}): new_inputs must hold graph tensors, got "
                f"{util._describe(t)}."
            )
    if len(new_inputs) != len(op.inputs):
        raise GraphEditValueError(
            f"copy_op_handler({op.name!r}): {len(new_inputs)} new inputs for an op with "
            f"{len(op.inputs)} inputs; give one tensor per input slot."
        )
    return new_inputs


def _copy_refused(error: Exception, dst_graph: tf.Graph, top: int) -> GraphEditValueError:
    """TensorFlow refused a copy (shape inference, an attr): a ge error that says what is left.

    The GraphDef import path creates all or nothing; the op-by-op path may have created
    some ops before the refusal, and TensorFlow cannot delete ops: they are named, and
    nothing reads them.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    left = [op.name for op in _tf.ops_created_after(dst_graph, top)[0]]
    where = (f" The {len(left)} op(s) created before the refusal are left in the destination "
             f"graph, unreachable (TensorFlow cannot delete ops): {', '.join(left[:8])}"
             f"{', ...' if len(left) > 8 else ''}." if left else
             " Nothing was added to the destination graph.")
    return GraphEditValueError(
        f"The copy failed: {lines[0] if lines else type(error).__name__}. A "
        "replacement or input whose shape or dtype the copied ops cannot take is the usual "
        f"cause; check the shapes of replacement_ts.{where}"
    )


def _is_default_op_handler(handler: Any) -> tuple[bool, bool, Any]:
    """(fast-path eligible, copy_shape, nodedef_fn) for an op handler."""
    if handler is copy_op_handler:
        return True, False, None
    if (
        isinstance(handler, functools.partial)
        and handler.func is copy_op_handler
        and not handler.args
        and set(handler.keywords) <= {"copy_shape", "nodedef_fn"}
    ):
        kw = handler.keywords
        return True, bool(kw.get("copy_shape", False)), kw.get("nodedef_fn")
    return False, False, None


def _is_legacy_op_handler(handler: Any) -> bool:
    """True for a TF <= 1.7 op handler ``(info, op, copy_shape=...)`` / ``(info, op)``."""
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return False
    if any(p.name == "new_inputs" or p.kind == p.VAR_POSITIONAL for p in params):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if isinstance(handler, functools.partial):
        return False
    return len(positional) == 2 or (len(positional) >= 3 and positional[2].name == "copy_shape")
