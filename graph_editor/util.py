"""Utility functions of the contrib ``graph_editor``, rebuilt for TensorFlow 2.

The names, signatures and results follow ``tf.contrib.graph_editor.util`` (TF 1.15), with the
original's known bugs fixed:

- ``make_list_of_op`` / ``make_list_of_t`` accept generators (the original returned ``[]``);
- ``find_corresponding_elem`` works with ``src_scope`` (the original had a typo) and raises
  a ``TypeError`` instead of returning one;
- ``ControlOutputs`` is never stale: it reads control outputs live from TensorFlow, so
  control-edge edits (which do not change ``graph.version``) are always seen;
- strings are leaves in ``flatten_tree`` / ``transform_tree``;
- tensors and variables are compared by identity, never with ``==`` (element-wise in TF2).

No function here uses the default graph unless the caller entered one on purpose
(``with graph.as_default():``); see :func:`make_placeholder_from_tensor`.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import tensorflow as tf

from graph_editor import _tf

# The argument checks live in _checks; the other modules reach them through util.
from graph_editor._checks import OP_NAME as _OP_NAME
from graph_editor._checks import (  # noqa: F401
    _describe,
    _eager_error,
    _graph_text,
    _hint_for,
    _is_eager,
    check_callable,
    check_flag,
    check_scope,
)
from graph_editor._trees import (
    ListView,
    concatenate_unique,
    flatten_tree,
    is_iterable,
    transform_tree,
)
from graph_editor.errors import (
    DtypeMismatchError,
    GraphEditKeyError,
    GraphEditTypeError,
    GraphEditValueError,
    GraphFinalizedError,
    GraphMismatchError,
)

__all__ = [
    # Exported at package level by contrib (9).
    "make_list_of_op",
    "get_tensors",
    "make_list_of_t",
    "get_generating_ops",
    "get_consuming_ops",
    "ControlOutputs",
    "placeholder_name",
    "make_placeholder_from_tensor",
    "make_placeholder_from_dtype_and_shape",
    # Public in contrib's util module (used as ``ge.util.X``).
    "concatenate_unique",
    "ListView",
    "is_iterable",
    "flatten_tree",
    "transform_tree",
    "check_graphs",
    "get_unique_graph",
    "scope_finalize",
    "scope_dirname",
    "scope_basename",
    "get_predefined_collection_names",
    "find_corresponding_elem",
    "find_corresponding",
    "check_stand_in",
]

T = TypeVar("T")

_DEFAULT_PLACEHOLDER_PREFIX = "geph"


# --------------------------------------------------------------------------------------------
# Graph checks
# --------------------------------------------------------------------------------------------


def check_graphs(*args: Any) -> None:
    """Raise ``ValueError`` if the given objects do not all belong to the same graph.

    Objects whose ``graph`` attribute is ``None`` (or missing) are ignored.

    Args:
        *args: ops, tensors, views or anything with a ``graph`` attribute.

    Raises:
        GraphMismatchError: (a ``ValueError``) naming the first object of another graph.

    Example:
        >>> ge.util.check_graphs(c.op, d)   # silent when both are in one graph
    """
    graph = None
    first = None
    for obj in args:
        if _is_eager(obj):
            raise _eager_error(obj)
        g = getattr(obj, "graph", None)
        if g is None:
            continue
        if graph is None:
            graph, first = g, obj
        elif g is not graph:
            raise GraphMismatchError(
                f"{_describe(obj)} belongs to another graph ({_graph_text(g)}) than "
                f"{_describe(first)} ({_graph_text(graph)}). All ops and tensors of one call "
                "must come from the same tf.Graph."
            )


# Classes whose instances are never eager tensors (graph ops/tensors, anything else checked
# once): the per-element eager check of get_unique_graph then costs one set lookup.
_NOT_EAGER_TYPES: set[type] = set()


def get_unique_graph(
    tops: Any, check_types: Any = None, none_if_empty: bool = False
) -> tf.Graph | None:
    """Return the single graph that the given ops/tensors belong to.

    Args:
        tops: a graph (returned as is), an op, a tensor, or an iterable of them.
        check_types: a type or tuple of types the elements must have
            (default: ``(tf.Operation, tf.Tensor)``).
        none_if_empty: return ``None`` instead of raising when ``tops`` is empty.

    Returns:
        The graph.

    Raises:
        GraphEditTypeError: an element has the wrong type.
        GraphMismatchError: elements come from different graphs.
        GraphEditValueError: ``tops`` is empty and ``none_if_empty`` is False.

    Example:
        >>> ge.util.get_unique_graph([c.op, d.op]) is graph
        True
    """
    if isinstance(tops, tf.Graph):
        return tops
    if not is_iterable(tops):
        tops = [tops]
    if check_types is None:
        check_types = (tf.Operation, tf.Tensor)
    elif not is_iterable(check_types):
        check_types = (check_types,)
    else:
        check_types = tuple(check_types)
    not_eager = _NOT_EAGER_TYPES
    if type(tops) is list and tops:  # the common case in bulk: classes, then graphs, in C
        classes = set(map(type, tops))
        if classes <= not_eager and all(issubclass(c, check_types) for c in classes):
            graphs = set(_tf.graphs_of(tops))
            if len(graphs) == 1:
                return graphs.pop()
    graph = None
    first = None
    for top in tops:
        cls = type(top)
        if cls not in not_eager:
            if _is_eager(top):
                raise _eager_error(top)
            not_eager.add(cls)  # eagerness is a property of the class (EagerTensor)
        if not isinstance(top, check_types):
            names = " or ".join(f"tf.{t.__name__}" for t in check_types)
            expected = "op" if check_types == (tf.Operation,) else (
                "tensor" if check_types == (tf.Tensor,) else "")
            raise GraphEditTypeError(
                f"Expected a {names}, got {_describe(top)}.{_hint_for(top, expected)}"
            )
        if graph is None:
            graph, first = top.graph, top
        elif top.graph is not graph:
            raise GraphMismatchError(
                f"{_describe(top)} belongs to another graph ({_graph_text(top.graph)}) than "
                f"{_describe(first)} ({_graph_text(graph)}). All ops and tensors of one call "
                "must come from the same tf.Graph."
            )
    if graph is None and not none_if_empty:
        raise GraphEditValueError(
            "Can't find the unique graph of an empty list: pass at least one op or tensor, "
            "or the graph itself."
        )
    return graph


def check_stand_in(
    old: tf.Tensor, new: tf.Tensor, context: str, same_graph: bool = True, same_shape: bool = True
) -> None:
    """Raise unless ``new`` can feed the consumers of ``old``: same graph, same base dtype,
    compatible static shape. Used by every edit that substitutes one tensor for another.

    Args:
        old: the tensor being replaced.
        new: its replacement.
        context: what is being done, to start the message (e.g. ``"insert_at"``).
        same_graph: check that both are in one graph (off for copies into another graph).
        same_shape: check static shapes (off for copies, which re-infer shapes).

    Raises:
        GraphMismatchError: ``new`` is in another graph.
        DtypeMismatchError: the dtypes differ (a ``ValueError`` and a ``TypeError``).
        GraphEditValueError: the static shapes are incompatible.

    Example:
        >>> ge.util.check_stand_in(c, d, "my edit")   # silent: same graph, dtype and shape
    """
    if same_graph and new.graph is not old.graph:
        raise GraphMismatchError(
            f"{context}: {_describe(new)} is in another graph than {_describe(old)}; "
            "build the replacement in the graph being edited."
        )
    if new.dtype is not old.dtype and new.dtype.base_dtype != old.dtype.base_dtype:
        raise DtypeMismatchError(
            f"{context}: {_describe(new)} has dtype {new.dtype.name}, but {_describe(old)} "
            f"has dtype {old.dtype.name}: its consumers would get the wrong type; cast it "
            "first (tf.cast)."
        )
    if same_shape and not new.shape.is_compatible_with(old.shape):
        raise GraphEditValueError(
            f"{context}: {_describe(new)} has shape {new.shape}, incompatible with the shape "
            f"{old.shape} of {_describe(old)}; reshape it first."
        )


# --------------------------------------------------------------------------------------------
# Lists of ops and tensors
# --------------------------------------------------------------------------------------------


def _as_list(objs: Any) -> list:
    """A new list from a single object or any iterable (generators included)."""
    if not is_iterable(objs) or isinstance(objs, (str, bytes)):
        return [objs]
    return list(objs)


def make_list_of_op(
    ops: Any, check_graph: bool = True, allow_graph: bool = True, ignore_ts: bool = False
) -> list[tf.Operation]:
    """Convert ops, an iterable of ops, or a graph into a new list of ``tf.Operation``.

    Args:
        ops: a ``tf.Graph`` (all its ops), a ``tf.Operation``, or an iterable of ops
            (generators are fine).
        check_graph: check that all ops belong to one graph.
        allow_graph: accept a ``tf.Graph``; if False, a graph raises ``TypeError``.
        ignore_ts: silently drop tensors instead of raising ``TypeError``.

    Returns:
        A new list of ops.

    Raises:
        GraphEditTypeError: a tensor (without ``ignore_ts``), a graph (without
            ``allow_graph``) or another object was given.
        GraphMismatchError: ops from different graphs (with ``check_graph``).

    Example:
        >>> ge.make_list_of_op(graph)[:2]
        [<tf.Operation 'a' type=Placeholder>, <tf.Operation 'b' type=Placeholder>]
    """
    return _make_list(ops, tf.Operation, check_graph, allow_graph, ignore_ts, "ignore_ts")


def get_tensors(graph: tf.Graph) -> list[tf.Tensor]:
    """Return all output tensors of all ops of ``graph``, in op-creation order.

    Args:
        graph: a ``tf.Graph``.

    Returns:
        A list of tensors.

    Raises:
        GraphEditTypeError: ``graph`` is not a ``tf.Graph``.

    Example:
        >>> [t.name for t in ge.get_tensors(graph)][:2]
        ['a:0', 'b:0']
    """
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(f"Expected a tf.Graph, got {_describe(graph)}.")
    ts: list[tf.Tensor] = []
    for op in graph.get_operations():
        ts.extend(op.outputs)
    return ts


def make_list_of_t(
    ts: Any, check_graph: bool = True, allow_graph: bool = True, ignore_ops: bool = False
) -> list[tf.Tensor]:
    """Convert tensors, an iterable of tensors, or a graph into a new list of ``tf.Tensor``.

    Args:
        ts: a ``tf.Graph`` (all its tensors), a ``tf.Tensor``, or an iterable of tensors
            (generators are fine).
        check_graph: check that all tensors belong to one graph.
        allow_graph: accept a ``tf.Graph``; if False, a graph raises ``TypeError``.
        ignore_ops: silently drop ops instead of raising ``TypeError``.

    Returns:
        A new list of tensors.

    Raises:
        GraphEditTypeError: an op (without ``ignore_ops``), a graph (without
            ``allow_graph``) or another object was given.
        GraphMismatchError: tensors from different graphs (with ``check_graph``).

    Example:
        >>> ge.make_list_of_t(c.op.outputs[0])
        [<tf.Tensor 'c:0' shape=(2,) dtype=float32>]
    """
    return _make_list(ts, tf.Tensor, check_graph, allow_graph, ignore_ops, "ignore_ops")


def _make_list(
    objs: Any, cls: type, check_graph: bool, allow_graph: bool, ignore_other: bool, flag: str
) -> list:
    """:func:`make_list_of_op` (``cls`` is ``tf.Operation``) or :func:`make_list_of_t`."""
    check_graph, ignore_other = check_flag(check_graph, "check_graph"), check_flag(ignore_other,
                                                                                    flag)
    if isinstance(objs, tf.Graph):
        if check_flag(allow_graph, "allow_graph"):
            return objs.get_operations() if cls is tf.Operation else get_tensors(objs)
        what, how = (("ops", "graph.get_operations()") if cls is tf.Operation
                     else ("tensors", "ge.get_tensors(graph)"))
        raise GraphEditTypeError(
            f"allow_graph is False: cannot convert a tf.Graph into a list of {what} here; "
            f"pass the {what} themselves (e.g. {how})."
        )
    objs = _as_list(objs)
    if not objs:
        return []
    if check_graph:
        get_unique_graph(objs, check_types=None if ignore_other else cls)
        if not ignore_other:
            return objs  # a new list, every element checked to be a ``cls``
    if all(issubclass(c, cls) for c in set(map(type, objs))):
        return objs  # a new list already
    return [x for x in objs if isinstance(x, cls)]


def get_generating_ops(ts: Any) -> list[tf.Operation]:
    """Return the producer op of each tensor, in order (duplicates kept).

    Args:
        ts: a tensor or an iterable of tensors (not a graph).

    Returns:
        ``[t.op for t in ts]``.

    Example:
        >>> ge.get_generating_ops([c, c])
        [<tf.Operation 'c' type=AddV2>, <tf.Operation 'c' type=AddV2>]
    """
    return [t.op for t in make_list_of_t(ts, allow_graph=False)]


def get_consuming_ops(ts: Any) -> list[tf.Operation]:
    """Return the unique ops consuming any of the tensors, in order of first use.

    Args:
        ts: a tensor or an iterable of tensors (not a graph).

    Returns:
        A list of ops without duplicates.

    Example:
        >>> ge.get_consuming_ops(b)
        [<tf.Operation 'c' type=AddV2>, <tf.Operation 'd' type=Mul>]
    """
    seen: set[tf.Operation] = set()
    ops: list[tf.Operation] = []
    for t in make_list_of_t(ts, allow_graph=False):
        for op in t.consumers():
            if op not in seen:
                seen.add(op)
                ops.append(op)
    return ops


class ControlOutputs:
    """The reverse of control edges: for an op, the ops that list it as a control input.

    Unlike contrib's class (which cached a map keyed on ``graph.version`` and went stale
    after control-edge edits), this one reads control outputs live from TensorFlow, so it
    is always current; :meth:`update` is kept for compatibility and costs nothing.

    Example:
        >>> with graph.as_default():
        ...     init_op = tf.no_op(name="init")
        ...     with tf.control_dependencies([init_op]):
        ...         train_op = tf.no_op(name="train")
        >>> co = ge.ControlOutputs(graph)
        >>> co.get(init_op)
        [<tf.Operation 'train' type=NoOp>]
    """

    def __init__(self, graph: tf.Graph) -> None:
        if not isinstance(graph, tf.Graph):
            raise GraphEditTypeError(
                f"ControlOutputs expects a tf.Graph, got {_describe(graph)}."
            )
        self._graph = graph

    def update(self) -> ControlOutputs:
        """Bring the map up to date (a no-op: it is always current). Returns ``self``."""
        return self

    def get_all(self) -> dict[tf.Operation, list[tf.Operation]]:
        """A new dict ``op -> ops it is a control input of``, for every such op.

        Lists are in op-creation order, as contrib built them.
        """
        res: dict[tf.Operation, list[tf.Operation]] = {}
        for op in self._graph.get_operations():
            for cin in op.control_inputs:
                lst = res.setdefault(cin, [])
                if not lst or lst[-1] is not op:
                    lst.append(op)
        return res

    def get(self, op: tf.Operation) -> list[tf.Operation] | tuple[()]:
        """The ops that have ``op`` as a control input, in creation order; ``()`` if none.

        Args:
            op: an op of this graph (ops of other graphs have none here).
        """
        if not isinstance(op, tf.Operation) or op.graph is not self._graph:
            return ()
        outs = _tf.control_outputs(op)
        if not outs:
            return ()
        if len(outs) > 1:
            outs = sorted(outs, key=_tf.op_id)
        return list(outs)

    @property
    def graph(self) -> tf.Graph:
        """The graph this map describes."""
        return self._graph


# --------------------------------------------------------------------------------------------
# Scopes and placeholders
# --------------------------------------------------------------------------------------------


def scope_finalize(scope: str) -> str:
    """Append a ``/`` to a non-empty scope that lacks one (``""`` stays ``""``).

    Example:
        >>> ge.util.scope_finalize("a/b"), ge.util.scope_finalize("")
        ('a/b/', '')
    """
    if scope and not scope.endswith("/"):
        scope += "/"
    return scope


def scope_dirname(scope: str) -> str:
    """The scope part of a name, with its trailing ``/`` (``"a/b/c"`` -> ``"a/b/"``).

    Example:
        >>> ge.util.scope_dirname("a/b/c"), ge.util.scope_dirname("c")
        ('a/b/', '')
    """
    slash = scope.rfind("/")
    return "" if slash == -1 else scope[: slash + 1]


def scope_basename(scope: str) -> str:
    """The last component of a name (``"a/b/c"`` -> ``"c"``).

    Example:
        >>> ge.util.scope_basename("a/b/c")
        'c'
    """
    slash = scope.rfind("/")
    return scope if slash == -1 else scope[slash + 1 :]


def placeholder_name(
    t: tf.Tensor | None = None, scope: str | None = None, prefix: str = _DEFAULT_PLACEHOLDER_PREFIX
) -> str:
    """The name graph_editor gives to a placeholder standing in for ``t``.

    ``scope + "<prefix>__<op basename>_<output index>"``; a name that already starts with
    ``<prefix>__`` is reused as is; without a tensor, ``scope + prefix``.

    Args:
        t: the tensor the placeholder replaces, or None.
        scope: the scope to put it in; None keeps ``t``'s own scope, ``""`` means the root.
        prefix: the name prefix (``"geph"``).

    Returns:
        The name (not yet uniquified by any graph).

    Example:
        >>> with graph.as_default():
        ...     relu = tf.nn.relu(tf.compat.v1.placeholder(tf.float32, [None, 3]), name="net/relu")
        >>> ge.placeholder_name(relu)
        'net/geph__relu_0'
    """
    if scope is not None:
        scope = scope_finalize(check_scope(scope))
    check_scope(prefix, "prefix")
    if t is None:
        return f"{scope or ''}{prefix}"
    if _is_eager(t):
        raise _eager_error(t, "placeholder_name")
    if not isinstance(t, tf.Tensor):
        raise GraphEditTypeError(
            f"placeholder_name expects a tf.Tensor, got {_describe(t)}.{_hint_for(t, 'tensor')}"
        )
    op_name = t.op.name
    if scope is None:
        scope = scope_dirname(op_name)
    base = scope_basename(op_name)
    if base.startswith(f"{prefix}__"):
        return scope + base
    return f"{scope}{prefix}__{base}_{t.value_index}"


def _placeholder_graph(graph: tf.Graph | None, fallback: tf.Graph | None, what: str) -> tf.Graph:
    """The graph in which to create a placeholder.

    An explicit ``graph`` wins; then a graph the caller entered with ``as_default()``
    (contrib's convention); then ``fallback`` (the tensor's own graph).
    """
    if graph is not None:
        if not isinstance(graph, tf.Graph):
            raise GraphEditTypeError(f"graph must be a tf.Graph, got {_describe(graph)}.")
        return graph
    if not tf.executing_eagerly():
        return tf.compat.v1.get_default_graph()
    if fallback is not None:
        return fallback
    raise GraphEditValueError(
        f"{what}: no graph to create the placeholder in. Pass graph=..., or call it "
        "inside `with graph.as_default():`."
    )


def make_placeholder_from_tensor(
    t: tf.Tensor,
    scope: str | None = None,
    prefix: str = _DEFAULT_PLACEHOLDER_PREFIX,
    graph: tf.Graph | None = None,
) -> tf.Tensor:
    """Create a placeholder with the dtype and static shape of ``t``.

    The placeholder is created in ``graph`` if given, else in the graph the caller entered
    with ``as_default()`` (contrib's convention), else in ``t``'s own graph. It is named by
    :func:`placeholder_name` (uniquified by the graph).

    Args:
        t: the tensor to mimic.
        scope: see :func:`placeholder_name`.
        prefix: see :func:`placeholder_name`.
        graph: the graph to create it in (graph_editor extension).

    Returns:
        The placeholder's output tensor.

    Example:
        >>> with graph.as_default():
        ...     relu = tf.nn.relu(tf.compat.v1.placeholder(tf.float32, [None, 3]), name="net/relu")
        >>> ph = ge.make_placeholder_from_tensor(relu)
        >>> ph.name, ph.shape
        ('net/geph__relu_0:0', TensorShape([None, 3]))
    """
    if _is_eager(t):
        raise _eager_error(t, "make_placeholder_from_tensor")
    if not isinstance(t, tf.Tensor):
        raise GraphEditTypeError(
            "make_placeholder_from_tensor expects a tf.Tensor, got "
            f"{_describe(t)}.{_hint_for(t, 'tensor')}"
        )
    target = _placeholder_graph(graph, t.graph, "make_placeholder_from_tensor")
    name = placeholder_name(t, scope=scope, prefix=prefix)
    return _new_placeholder(target, t.dtype, t.shape, name, "make_placeholder_from_tensor")


def _check_editable(graph: Any, what: str, fix: str) -> tf.Graph:
    """``graph`` if it is a ``tf.Graph`` ops can be added to; else the error for ``what``
    (the caller's name), ending with ``fix`` for a finalized graph."""
    if not isinstance(graph, tf.Graph):
        raise GraphEditTypeError(f"{what} expects a tf.Graph, got {_describe(graph)}.")
    if graph.finalized:
        raise GraphFinalizedError(
            f"{what}: the graph is finalized (graph.finalize() was called); no op can be "
            f"added to it. {fix}"
        )
    return graph


def _new_placeholder(graph: tf.Graph, dtype: Any, shape: Any, name: str, what: str) -> tf.Tensor:
    """Check everything, then create the placeholder (a refused call reserves no name)."""
    _check_editable(graph, what, "Create the placeholder before finalizing, or in a copy.")
    try:
        dtype = tf.dtypes.as_dtype(dtype)
    except TypeError as e:
        raise GraphEditTypeError(f"{what}: dtype {_describe(dtype)} is not a TF dtype "
                                 "(e.g. tf.float32).") from e
    try:
        shape = tf.TensorShape(shape)
    except (TypeError, ValueError) as e:
        raise GraphEditTypeError(f"{what}: shape {_describe(shape)} is not a shape (a list of "
                                 "ints or None, a tf.TensorShape, or None).") from e
    if not _OP_NAME.match(name):
        raise GraphEditValueError(
            f"{what}: '{name}' is not a valid op name (letters, digits and . _ - / only, "
            "starting with a letter, digit or '.'); check scope= and prefix=."
        )
    with graph.as_default():
        return tf.compat.v1.placeholder(dtype=dtype, shape=shape, name=name)


def make_placeholder_from_dtype_and_shape(
    dtype: Any,
    shape: Any = None,
    scope: str | None = None,
    prefix: str = _DEFAULT_PLACEHOLDER_PREFIX,
    graph: tf.Graph | None = None,
) -> tf.Tensor:
    """Create a placeholder named ``scope + prefix`` (alias ``ge.ph``).

    Args:
        dtype: the placeholder's dtype.
        shape: its static shape (None: unknown).
        scope: scope to create it in (None or ``""``: the root).
        prefix: the name (``"geph"``).
        graph: the graph to create it in; required unless called inside
            ``with graph.as_default():`` (graph_editor extension: the default graph is
            never used implicitly).

    Returns:
        The placeholder's output tensor.

    Example:
        >>> ge.ph(tf.float32, [None, 3], graph=graph).name
        'geph:0'
    """
    target = _placeholder_graph(graph, None, "make_placeholder_from_dtype_and_shape")
    name = placeholder_name(scope=scope, prefix=prefix)
    return _new_placeholder(target, dtype, shape, name, "make_placeholder_from_dtype_and_shape")


# --------------------------------------------------------------------------------------------
# Collections and corresponding elements
# --------------------------------------------------------------------------------------------

_PREDEFINED_COLLECTION_NAMES: tuple[str, ...] | None = None
_DUNDER_RE = re.compile(r"^__\w+__$")


def get_predefined_collection_names() -> list[str]:
    """Return the names of every collection predefined in ``tf.compat.v1.GraphKeys``.

    Computed once, without touching deprecated properties (contrib read ``VARIABLES`` each
    time and flooded the log with deprecation warnings, tensorflow#8661).

    Example:
        >>> "trainable_variables" in ge.util.get_predefined_collection_names()
        True
    """
    global _PREDEFINED_COLLECTION_NAMES
    if _PREDEFINED_COLLECTION_NAMES is None:
        names: list[str] = []
        seen: set[str] = set()
        for key, value in vars(tf.compat.v1.GraphKeys).items():
            if _DUNDER_RE.match(key) or not isinstance(value, str) or value in seen:
                continue
            seen.add(value)
            names.append(value)
        _PREDEFINED_COLLECTION_NAMES = tuple(names)
    return list(_PREDEFINED_COLLECTION_NAMES)


def find_corresponding_elem(
    target: tf.Operation | tf.Tensor, dst_graph: tf.Graph, dst_scope: str = "", src_scope: str = ""
) -> tf.Operation | tf.Tensor:
    """Find the op or tensor of ``dst_graph`` that corresponds to ``target``.

    The name of ``target`` has ``src_scope`` removed and ``dst_scope`` prepended.

    Args:
        target: a ``tf.Operation`` or ``tf.Tensor``.
        dst_graph: the graph to look in.
        dst_scope: scope of the corresponding element in ``dst_graph``.
        src_scope: scope of ``target``, removed from its name.

    Returns:
        The corresponding op or tensor.

    Raises:
        GraphEditValueError: the name of ``target`` is not inside ``src_scope``.
        GraphEditKeyError: no such element in ``dst_graph``.
        GraphEditTypeError: ``target`` is neither an op nor a tensor.

    Example:
        >>> copy_graph = tf.Graph()
        >>> _ = ge.copy(ge.sgv(graph), copy_graph, "copy")
        >>> ge.util.find_corresponding_elem(a, copy_graph, dst_scope="copy").name
        'copy/a:0'
    """
    if not isinstance(target, (tf.Operation, tf.Tensor)):
        raise GraphEditTypeError(
            f"Expected a tf.Tensor or tf.Operation, got {_describe(target)}."
        )
    if not isinstance(dst_graph, tf.Graph):
        raise GraphEditTypeError(f"dst_graph must be a tf.Graph, got {_describe(dst_graph)}.")
    name = target.name
    if src_scope:
        src_scope = scope_finalize(src_scope)
        if not name.startswith(src_scope):
            raise GraphEditValueError(
                f"{_describe(target)} is not inside src_scope '{src_scope}'."
            )
        name = name[len(src_scope):]
    name = scope_finalize(dst_scope) + name
    try:
        if isinstance(target, tf.Operation):
            return dst_graph.get_operation_by_name(name)
        return dst_graph.get_tensor_by_name(name)
    except (KeyError, ValueError) as e:
        raise GraphEditKeyError(
            f"No element named '{name}' in dst_graph (corresponding to {_describe(target)}): "
            f"{e}. Check dst_scope / src_scope."
        ) from None


def find_corresponding(
    targets: Any, dst_graph: tf.Graph, dst_scope: str = "", src_scope: str = ""
) -> Any:
    """Apply :func:`find_corresponding_elem` to every leaf of a nested structure.

    Example:
        >>> copy_graph = tf.Graph()
        >>> _ = ge.copy(ge.sgv(graph), copy_graph, "copy")
        >>> ge.util.find_corresponding({"x": a, "y": [b]}, copy_graph, dst_scope="copy")
        {'x': <tf.Tensor 'copy/a:0' ...>, 'y': [<tf.Tensor 'copy/b:0' ...>]}
    """
    return transform_tree(
        targets, lambda elem: find_corresponding_elem(elem, dst_graph, dst_scope, src_scope)
    )
