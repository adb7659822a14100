"""The info objects of :mod:`graph_editor.transform` (private module; the public names are
re-exported from ``graph_editor.transform``).

- ``_TmpInfo``: the per-call object handed to handlers (contrib's ``_TmpInfo``);
- :class:`TransformerInfo`: the result mapping, O(1) both ways.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import tensorflow as tf

from graph_editor import _copy_support as support
from graph_editor import _edits, _tf, subgraph, util
from graph_editor.errors import (
    GraphEditTypeError,
    GraphEditValueError,
    VariableInitializerWarning,
)

__all__ = ["_TmpInfo", "TransformerInfo", "_warn_unwrapped_variables"]

_MAX_NAMED = 6


class _TmpInfo:
    """The per-call object handed to handlers (contrib's ``_TmpInfo``; fields are de-facto
    public: ``graph``, ``scope``, ``graph_``, ``scope_``, ``sgv``, ``ops``,
    ``sgv_inputs_set``, ``transformed_ops``, ``transformed_ts``, ``collections``,
    ``control_outputs``, ``tmp_cyclic_ts``, ``cyclic_ops``, ``new_name``)."""

    @classmethod
    def empty(cls, dst_graph: tf.Graph, src_scope: str, dst_scope: str) -> _TmpInfo:
        """The info of a copy of nothing: what ``TransformerInfo`` reads, all empty."""
        info = cls.__new__(cls)
        info.graph, info.scope = None, src_scope
        info.graph_, info.scope_ = dst_graph, dst_scope
        info.transformed_ops, info._original_ops = {}, {}
        info.transformed_ts, info._original_ts = support.IdMap(), support.IdMap()
        info._transformed_vars, info._original_vars = {}, {}
        return info

    def __init__(self, sgv: subgraph.SubGraphView, dst_graph: tf.Graph, dst_scope: str,
                 src_scope: str, share_variables: bool = False,
                 transformer: Any = None, original_op_handler: Any = None) -> None:
        assert sgv.graph is not None, "an empty view is copied with _TmpInfo.empty"
        self.sgv = sgv
        self.sgv_inputs_set = support.IdSet(sgv.inputs)
        self.ops = frozenset(sgv.ops)
        self.graph = sgv.graph
        self.scope = src_scope
        self.graph_ = dst_graph
        self.scope_ = dst_scope
        self.transformed_ops: dict[tf.Operation, tf.Operation] = {}
        self.transformed_ts = support.IdMap()
        self.collections = {
            key: self.graph.get_collection(key) for key in self.graph.get_all_collection_keys()
        }
        self.cyclic_ops: list[tf.Operation] = []
        self.transform_original_op_handler = original_op_handler
        self.tmp_cyclic_ts: list[tuple[tf.Tensor, tf.Tensor, tf.Operation]] = []
        self.transformer = transformer
        self._control_outputs: util.ControlOutputs | None = None
        self._share_variables = share_variables
        self._cyclic_slots: list[int] = []
        self._original_ops: dict[tf.Operation, tf.Operation] = {}
        self._original_ts = support.IdMap()
        self._transformed_vars: dict[int, tuple[Any, Any]] = {}
        self._original_vars: dict[int, tuple[Any, Any]] = {}
        self._input_cache: dict[int, tf.Tensor] = {}
        self._names_map: dict[str, str] = {}
        self._attrs_as_source = False
        self._capture_indexes: dict[int, dict[int, Any]] = {}
        self._frame_map: dict[str, str] = {}
        self._pending_colocation: list[tf.Operation] = []
        self._inside_names_cache: set[str] | None = None
        self._coll_index: dict[int, list[str]] | None = None
        self._legacy_call: tuple[tf.Operation, list] | None = None

    @property
    def control_outputs(self) -> util.ControlOutputs:
        """A :class:`~graph_editor.util.ControlOutputs` of the source graph (live, lazy)."""
        if self._control_outputs is None:
            self._control_outputs = util.ControlOutputs(self.graph)
        return self._control_outputs

    def _inside_names(self) -> set[str]:
        if self._inside_names_cache is None:
            self._inside_names_cache = {op.name for op in self.ops}
        return self._inside_names_cache

    def new_name(self, name: str) -> str:
        """``scope_ + (name minus scope)``.

        Raises:
            GraphEditValueError: ``name`` is not inside the source scope.
        """
        scope = self.scope
        if not name.startswith(scope):
            raise GraphEditValueError(
                f"'{name}' does not belong to source scope '{scope}': pass a src_scope that "
                "is a prefix of every copied op name."
            )
        return self.scope_ + name[len(scope):]


class TransformerInfo:
    """What a transform did: original <-> copy for ops, tensors and variables.

    ``transformed`` and ``original`` accept a single element, a name, or any nested
    dict/list/tuple/namedtuple of them, and are O(1) per element. ``_transformed_ops`` and
    ``_transformed_ts`` are dicts ``original -> copy`` (read by gradient-checkpointing code).

    Example:
        >>> sgv_, info = ge.copy(ge.sgv(c.op, d.op), dst_graph=tf.Graph(), dst_scope="copy")
        >>> info.transformed(c).name, info.original(info.transformed(c)) is c
        ('copy/c:0', True)
    """

    def __init__(self, info: _TmpInfo) -> None:
        if not isinstance(info, _TmpInfo):
            raise GraphEditTypeError(
                "TransformerInfo is built by ge.Transformer / ge.copy (their second return "
                f"value), not by hand: got {type(info).__name__} instead of the per-call info."
            )
        self._graph = info.graph
        self._scope = info.scope
        self._graph_ = info.graph_
        self._scope_ = info.scope_
        self._transformed_ops = info.transformed_ops
        self._original_ops = info._original_ops
        self._ts = info.transformed_ts
        self._original_ts = info._original_ts
        self._vars = info._transformed_vars
        self._original_vars = info._original_vars
        self._ts_dict: dict | None = None

    @property
    def _transformed_ts(self) -> Mapping:
        """Dict ``original tensor -> copy`` (identity-keyed for FuncGraph tensors)."""
        if self._ts_dict is None:
            if _tf.is_function_graph(self._graph):
                return self._ts
            self._ts_dict = dict(self._ts.items())
        return self._ts_dict

    def _lookup(self, elem: Any, forward: bool) -> tuple[bool, Any]:
        graph = self._graph if forward else self._graph_
        if isinstance(elem, str):
            if graph is None:
                return False, None
            try:
                elem = graph.as_graph_element(elem, allow_tensor=True, allow_operation=True)
            except (KeyError, ValueError, TypeError):
                return False, None
        if isinstance(elem, tf.Operation):
            res = (self._transformed_ops if forward else self._original_ops).get(elem)
        elif isinstance(elem, tf.Variable):
            item = (self._vars if forward else self._original_vars).get(id(elem))
            res = None if item is None else item[1]
        elif isinstance(elem, tf.Tensor):
            res = (self._ts if forward else self._original_ts).get(elem)
        else:
            raise GraphEditTypeError(
                f"Expected a tf.Operation, tf.Tensor, tf.Variable or a name, got "
                f"{util._describe(elem)}."
            )
        return res is not None, res

    def _elem(self, elem: Any, missing_fn: Callable[[Any], Any] | None, forward: bool) -> Any:
        found, res = self._lookup(elem, forward)
        if found:
            return res
        return None if missing_fn is None else missing_fn(elem)

    def transformed(self, original: Any, missing_fn: Callable[[Any], Any] | None = None) -> Any:
        """The copy of each element of ``original`` (None, or ``missing_fn(elem)``, if none).

        Example:
            >>> sgv_, info = ge.copy(ge.sgv(c.op, d.op), dst_graph=tf.Graph(), dst_scope="copy")
            >>> info.transformed({"out": [c, d.op]})
            {'out': [<tf.Tensor 'copy/c:0' ...>, <tf.Operation 'copy/d' ...>]}
        """
        return util.transform_tree(original, lambda e: self._elem(e, missing_fn, True))

    def original(self, transformed: Any, missing_fn: Callable[[Any], Any] | None = None) -> Any:
        """The original of each copied element (None, or ``missing_fn(elem)``, if none).

        Example:
            >>> sgv_, info = ge.copy(ge.sgv(c.op, d.op), dst_graph=tf.Graph(), dst_scope="copy")
            >>> info.original(info.transformed(c)) is c
            True
        """
        return util.transform_tree(transformed, lambda e: self._elem(e, missing_fn, False))

    def __str__(self) -> str:
        res = io.StringIO()
        print("Transform result info:", file=res)
        if self._graph is self._graph_:
            print(f"  Within graph[{id(self._graph)}]", file=res)
        else:
            print(f"  graph[{id(self._graph)}] => graph[{id(self._graph_)}]", file=res)
        if self._scope:
            print(f"  Relative to source scope: {self._scope}", file=res)
        if self._scope_:
            print(f"  Scope destination: {self._scope_}", file=res)
        print("Operations mapping:", file=res)
        for op, op_ in self._transformed_ops.items():
            print(f"  {op.name} => {op_.name}", file=res)
        return res.getvalue()




def _warn_unwrapped_variables(info: _TmpInfo, missing: list[tf.Variable]) -> None:
    """Warn (:class:`VariableInitializerWarning`) about copied variable ops that are no
    ``tf.Variable`` of the copy (``missing``, from ``rewrap_variables``): nothing
    initialises them, so reading them fails."""
    if info._share_variables and info.graph is info.graph_:
        return  # the copies read the originals' state, which the originals initialise
    if not missing:
        return
    described = []
    for v in missing[:_MAX_NAMED]:
        init = getattr(v, "initializer", None)
        lacks = ("its read op" if init is not None and init in info.transformed_ops
                 else f"its initializer '{getattr(init, 'name', '?')}'")
        described.append(f"'{v.op.name}' (copied as '{info.transformed_ops[v.op].name}', "
                         f"without {lacks})")
    more = f" and {len(missing) - _MAX_NAMED} more" if len(missing) > _MAX_NAMED else ""
    scopes = [v.op.name for v in missing[:_MAX_NAMED]]
    warnings.warn(
        f"The copy holds the ops of {len(missing)} variable(s) but not all their parts: "
        f"{', '.join(described)}{more}. These copies are no tf.Variable "
        "(info.transformed(var) is None), global_variables_initializer() does not set them "
        "and reading them fails with FailedPreconditionError ('Could not find variable'). "
        "Copy each variable's initializer, initial value and read op along: add "
        f"[op for name in {scopes!r} for op in ge.get_name_scope_ops(graph, name)] to the "
        "copied ops; or copy with share_variables=True into the same graph to share the "
        "originals' state.",
        VariableInitializerWarning,
        stacklevel=_edits._caller_stacklevel(),  # noqa: SLF001
    )
