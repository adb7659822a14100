"""Code shared by the two copy paths of :mod:`graph_editor.transform` (private).

- :func:`copy_order`: the deterministic topological order in which ops are copied;
- :func:`rewrite_node_def`: colocation (``_class: loc:@``), ``shared_name`` of variables
  and v1 loop ``frame_name`` rewriting of a copied NodeDef;
- :func:`copy_functions`: bring the function library along for cross-graph copies;
- :func:`assign_collections` (with :func:`copy_of_collected`) / :func:`rewrap_variables`:
  collections and ``tf.Variable`` objects of the copy.

Both the per-op path (live ``tf.Operation`` handlers) and the fast path (one GraphDef
import) call these, so their results are identical.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2

from graph_editor import _custom_gradients, _tf, util
from graph_editor.errors import GraphEditValueError

__all__ = [
    "IdMap",
    "VARIABLE_OP_TYPES",
    "IdSet",
    "OpOutputsMap",
    "copy_order",
    "rewrite_node_def",
    "rewrite_shared_name",
    "prefix_compatible",
    "finalize_colocation",
    "copy_functions",
    "assign_collections",
    "collection_index",
    "transformed_collection_name",
    "copied_variables",
    "copy_of_collected",
    "rewrap_variables",
    "rebind_custom_gradients",
    "capture_in",
    "check_function_destination",
]

_VARIABLE_OP_TYPES = frozenset({"VarHandleOp", "VariableV2", "Variable", "TemporaryVariable"})
VARIABLE_OP_TYPES = _VARIABLE_OP_TYPES
_ENTER_TYPES = frozenset({"Enter", "RefEnter"})


# --------------------------------------------------------------------------------------------
# Identity-keyed containers (tensors of FuncGraphs are unhashable; == is element-wise)
# --------------------------------------------------------------------------------------------


class IdMap(MutableMapping):
    """A dict keyed by object identity: ``m[t]``, ``t in m``, ``m.items()`` for tensors.

    Example:
        >>> m = IdMap(); m[a] = b; m[a] is b
        True
    """

    __slots__ = ("_d",)

    def __init__(self, items: Iterable[tuple[Any, Any]] = ()) -> None:
        self._d: dict[int, tuple[Any, Any]] = {id(k): (k, v) for k, v in items}

    def __getitem__(self, key: Any) -> Any:
        try:
            return self._d[id(key)][1]
        except KeyError:
            raise KeyError(key) from None

    def get(self, key: Any, default: Any = None) -> Any:
        item = self._d.get(id(key))
        return default if item is None else item[1]

    def __contains__(self, key: object) -> bool:
        return id(key) in self._d

    def __setitem__(self, key: Any, value: Any) -> None:
        self._d[id(key)] = (key, value)

    def __delitem__(self, key: Any) -> None:
        del self._d[id(key)]

    def __iter__(self) -> Iterator:
        return (k for k, _ in self._d.values())

    def __len__(self) -> int:
        return len(self._d)

    def items(self) -> Any:
        return list(self._d.values())

    def values(self) -> Any:
        return [v for _, v in self._d.values()]

    def __repr__(self) -> str:
        return f"IdMap({len(self)} items)"


class OpOutputsMap(IdMap):
    """Tensor map derived from an op map: ``m[t] = ops_map[t.op].outputs[t.value_index]``.

    Used by the fast path, where every copied op's outputs are exactly the copy's outputs;
    nothing is stored per tensor. Read-only.
    """

    __slots__ = ("_ops",)

    def __init__(self, ops_map: dict) -> None:
        self._ops = ops_map

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            op, index = key.op, key.value_index
            op_ = self._ops.get(op)  # only ops are keys
        except (AttributeError, TypeError):  # not a tensor (or an unhashable ``op``)
            return default
        if op_ is None or key is not op.outputs[index]:
            return default
        return op_.outputs[index]

    def __getitem__(self, key: Any) -> Any:
        res = self.get(key)
        if res is None:
            raise KeyError(key)
        return res

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError("OpOutputsMap is read-only")

    def __delitem__(self, key: Any) -> None:
        raise TypeError("OpOutputsMap is read-only")

    def __iter__(self) -> Iterator:
        return (t for op in self._ops for t in op.outputs)

    def __len__(self) -> int:
        return sum(len(op.outputs) for op in self._ops)

    def items(self) -> Any:
        return [(t, t_) for op, op_ in self._ops.items() for t, t_ in zip(op.outputs, op_.outputs)]

    def values(self) -> Any:
        return [t_ for op_ in self._ops.values() for t_ in op_.outputs]

    def __repr__(self) -> str:
        return f"OpOutputsMap({len(self._ops)} ops)"


class IdSet:
    """A frozen set with identity membership (for tensors)."""

    __slots__ = ("_d",)

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._d = {id(x): x for x in items}

    def __contains__(self, item: object) -> bool:
        return id(item) in self._d

    def __iter__(self) -> Iterator:
        return iter(self._d.values())

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return f"IdSet({len(self)} items)"


# --------------------------------------------------------------------------------------------
# Copy order
# --------------------------------------------------------------------------------------------


def copy_order(ops: Iterable[tf.Operation]) -> list[tf.Operation]:
    """The ops in a deterministic topological order (data and control edges).

    Creation order (``op._id``) when it is already topological, which is the common case;
    otherwise Kahn's algorithm with creation order breaking ties. Cycles (v1 while loops:
    ``NextIteration -> Merge``) are broken at the earliest-created op still waiting, whose
    missing inputs get stand-ins. O(n log n).
    """
    order = sorted(set(ops), key=_tf.op_id)
    pos = {op: i for i, op in enumerate(order)}
    preds: list[list[int]] = []
    topological = True
    for i, op in enumerate(order):
        p = [pos[t.op] for t in op.inputs if t.op in pos]
        p.extend(pos[c] for c in op.control_inputs if c in pos)
        for j in p:
            if j >= i:
                topological = False
        preds.append(p)
    if topological:
        return order
    n = len(order)
    indegree = [0] * n
    succs: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(preds):
        for j in set(p):
            if j != i:
                indegree[i] += 1
                succs[j].append(i)
    heap = [i for i in range(n) if indegree[i] == 0]
    heapq.heapify(heap)
    done = [False] * n
    result: list[tf.Operation] = []
    next_forced = 0
    while len(result) < n:
        if not heap:  # a cycle: force the earliest-created op still waiting
            while done[next_forced]:
                next_forced += 1
            indegree[next_forced] = 0
            heapq.heappush(heap, next_forced)
        i = heapq.heappop(heap)
        if done[i]:
            continue
        done[i] = True
        result.append(order[i])
        for k in succs[i]:
            if not done[k]:
                indegree[k] -= 1
                if indegree[k] == 0:
                    heapq.heappush(heap, k)
    return result


# --------------------------------------------------------------------------------------------
# NodeDef rewriting
# --------------------------------------------------------------------------------------------


def _loc_names(node_def: Any) -> list[str] | None:
    attr = node_def.attr.get("_class") if "_class" in node_def.attr else None
    if attr is None:
        return None
    return [s.decode() if isinstance(s, bytes) else s for s in attr.list.s]


def _rewrite_locs(info: Any, locs: list[str]) -> tuple[list[bytes], bool]:
    """New ``_class`` values and whether some inside op is not named yet."""
    out: list[bytes] = []
    pending = False
    same_graph = info.graph is info.graph_
    for loc in locs:
        if not loc.startswith("loc:@"):
            out.append(loc.encode())
            continue
        name = loc[5:]
        new = info._names_map.get(name)
        if new is not None:
            out.append(f"loc:@{new}".encode())
        elif name in info._inside_names():
            pending = True
            out.append(loc.encode())
        elif same_graph:
            out.append(loc.encode())
        # else: outside the copy, other graph: the constraint is dropped.
    return out, pending


def _set_class(node_def: Any, values: list[bytes]) -> None:
    if values:
        node_def.attr["_class"].CopyFrom(
            attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(s=values))
        )
    else:
        del node_def.attr["_class"]


def rewrite_node_def(info: Any, node_def: Any, new_name: str | None = None) -> bool:
    """Rewrite a copied NodeDef (already renamed) for its destination, in place.

    - ``_class: loc:@x``: ``x`` copied -> its copy's name; ``x`` outside the copy -> kept in
      a same-graph copy, dropped in another graph (tensorflow#9925);
    - ``shared_name`` of variable ops -> the copy's name, unless the info's
      ``share_variables`` (same-graph resource copies would otherwise alias the original);
    - ``frame_name`` of v1 ``Enter`` ops -> a frame unique in the destination, one per
      source frame, so a same-graph loop copy does not join the original's frame.

    ``new_name`` is the copy's name when ``node_def.name`` is not (yet) it.

    Returns:
        True if a colocation names an inside op that has no name yet (finish it with
        :func:`finalize_colocation` once all copies exist).
    """
    pending = False
    locs = _loc_names(node_def)
    if locs is not None:
        values, pending = _rewrite_locs(info, locs)
        _set_class(node_def, values)
    op_type = node_def.op
    if op_type in _VARIABLE_OP_TYPES:
        rewrite_shared_name(info, node_def, new_name or node_def.name)
    elif op_type in _ENTER_TYPES and "frame_name" in node_def.attr:
        attr = node_def.attr["frame_name"]
        frame = attr.s.decode()
        new_frame = info._frame_map.get(frame)
        if new_frame is None:
            scope = info.scope
            rel = frame[len(scope):] if frame.startswith(scope) else frame
            new_frame = _tf.unique_name_at_root(info.graph_, info.scope_ + rel)
            info._frame_map[frame] = new_frame
        attr.s = new_frame.encode()
    return pending


def rewrite_shared_name(info: Any, node_def: Any, new_name: str) -> None:
    """A variable op's non-empty ``shared_name`` becomes the copy's name, unless the info's
    ``share_variables`` (same-graph resource copies would otherwise alias the original)."""
    if info._share_variables or node_def.op not in _VARIABLE_OP_TYPES:
        return
    attr = node_def.attr.get("shared_name") if "shared_name" in node_def.attr else None
    if attr is not None and attr.s:
        attr.s = new_name.encode()


def prefix_compatible(info: Any, names: list[str], nodes: list[Any],
                      graph_def_bytes: bytes | None = None) -> bool:
    """True if TF's C-level import prefix names the copies exactly as the per-op path:
    no ``src_scope``, no v1 loop frames, colocations only between copied ops, and no source
    op named like a ``geph`` placeholder (whose names are allocated in between).

    ``graph_def_bytes``, if given, is the whole source graph, serialized, and holds exactly
    ``nodes``: every colocation target is then copied (TF refuses a ``loc:@`` to a missing
    op), and one byte search for ``Enter`` replaces the per-node checks.
    """
    if info.scope or any(name.startswith("geph") for name in names):
        return False
    if graph_def_bytes is not None:
        if b"Enter" not in graph_def_bytes:
            return True
        return not any(node.op in _ENTER_TYPES for node in nodes)
    inside = set(names)
    for node in nodes:
        if node.op in _ENTER_TYPES:
            return False
        if "_class" in node.attr:
            for loc in node.attr["_class"].list.s:
                loc = loc.decode()
                if not loc.startswith("loc:@") or loc[5:] not in inside:
                    return False
    return True


def finalize_colocation(info: Any, ops_: Iterable[tf.Operation]) -> None:
    """Rewrite the ``_class`` attrs left pending by :func:`rewrite_node_def`."""
    for op_ in ops_:
        locs = _loc_names(op_.node_def)
        if not locs:
            continue
        values, _ = _rewrite_locs(info, locs)
        if values:
            _tf.set_attr(
                op_, "_class",
                attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(s=values)),
            )
        else:
            _tf.clear_attr(op_, "_class")


# --------------------------------------------------------------------------------------------
# Function library
# --------------------------------------------------------------------------------------------


def _functions_of_node(node_def: Any, library: dict[str, Any]) -> Iterator[str]:
    if node_def.op in library:
        yield node_def.op
    for value in node_def.attr.values():
        if value.HasField("func"):
            yield value.func.name
        elif value.HasField("list") and value.list.func:
            for f in value.list.func:
                yield f.name


def copy_functions(src: tf.Graph, dst: tf.Graph, node_defs: Iterable[Any]) -> int:
    """Add to ``dst`` the functions of ``src`` that the NodeDefs need, transitively.

    Functional control flow (``If``/``While``/``PartitionedCall``) names FunctionDefs of
    the graph's library; without them a cross-graph copy fails at run time with
    ``Op type not registered``. Returns the number of functions added.
    """
    library = _tf.graph_functions(src)
    if not library or src is dst:
        return 0
    todo = [name for nd in node_defs for name in _functions_of_node(nd, library)]
    seen: set[str] = set()
    added = 0
    while todo:
        name = todo.pop()
        if name in seen or name not in library:
            continue
        seen.add(name)
        fn = library[name]
        for nd in _tf.function_def(fn).node_def:
            todo.extend(_functions_of_node(nd, library))
        if not _tf.has_function(dst, name):
            _tf.add_function(dst, fn)
            added += 1
    return added


# --------------------------------------------------------------------------------------------
# Collections and variables
# --------------------------------------------------------------------------------------------


def collection_index(info: Any) -> dict[int, list[str]]:
    """``id(elem) -> names of the source collections holding it`` (built once per call)."""
    index = info._coll_index
    if index is None:
        index = {}
        for name, elems in info.collections.items():
            for e in elems:
                names = index.setdefault(id(e), [])
                if not names or names[-1] != name:
                    names.append(name)
        info._coll_index = index
    return index


def transformed_collection_name(info: Any, name: str) -> str:
    """``GraphKeys`` names are kept; names inside ``src_scope`` get the destination scope;
    other names are kept (contrib failed the copy on them)."""
    if name in _predefined():
        return name
    if name.startswith(info.scope):
        return info.new_name(name)
    return name


_PREDEFINED: frozenset[str] | None = None


def _predefined() -> frozenset[str]:
    global _PREDEFINED
    if _PREDEFINED is None:
        _PREDEFINED = frozenset(util.get_predefined_collection_names())
    return _PREDEFINED


def assign_collections(info: Any, lookup: Callable[[Any], Any]) -> None:
    """Add the copy of every collected element to the transformed collection (bulk).

    Equivalent to calling the default ``assign_renamed_collections_handler`` per element,
    in collection order instead of copy order: one ``extend`` of each destination
    collection (``Graph.get_collection_ref``), made only when some element was copied.
    O(total size of the collections).
    """
    graph_ = info.graph_
    for name, elems in info.collections.items():
        found = [e_ for e_ in map(lookup, elems) if e_ is not None]
        if found:
            graph_.get_collection_ref(transformed_collection_name(info, name)).extend(found)


def _classifier(bases: tuple[type, ...]) -> Callable[[Any], int]:
    """``kind(e)``: 1 + the index of the first of ``bases`` that ``e`` is an instance of
    (0: none). Decided once per class (``isinstance`` against TF's abstract classes costs
    an ABC check per call); objects whose ``__class__`` is not their type (proxies) are
    checked each time."""
    kinds: dict[type, int] = {}

    def kind(e: Any) -> int:
        cls = type(e)
        k = kinds.get(cls)
        if k is None:
            k = next((i for i, base in enumerate(bases, 1) if isinstance(e, base)), 0)
            if e.__class__ is cls:
                kinds[cls] = k
        return k

    return kind


def copy_of_collected(info: Any) -> Callable[[Any], Any]:
    """``lookup(e)``: the copy of a collected op, tensor or re-wrapped ``tf.Variable``
    (None for anything else or not copied)."""
    kind_of = _classifier((tf.Operation, tf.Variable, tf.Tensor))
    ops_map, ts_map, vars_map = info.transformed_ops, info.transformed_ts, info._transformed_vars

    def lookup(e: Any) -> Any:
        kind = kind_of(e)
        if kind == 1:
            return ops_map.get(e)
        if kind == 2:
            item = vars_map.get(id(e))
            return None if item is None else item[1]
        return ts_map.get(e) if kind == 3 else None

    return lookup


def _map_name(copied: dict[str, tf.Operation], name: str, is_tensor: bool) -> str | None:
    """The name of the copy of the op or tensor called ``name`` (None if not copied)."""
    if not name:
        return None
    if not is_tensor:
        op_ = copied.get(name)
        return None if op_ is None else op_.name
    op_name, _, index = name.rpartition(":")
    op_ = copied.get(op_name)
    return None if op_ is None else f"{op_.name}:{index}"


def copied_variables(info: Any) -> list[tf.Variable]:
    """The source's collected ``tf.Variable`` objects whose variable op was copied, once
    each, in collection order."""
    found: list[tf.Variable] = []
    seen: set[int] = set()
    transformed_ops = info.transformed_ops
    is_variable = _classifier((tf.Variable,))
    for elems in info.collections.values():
        for v in elems:
            if not is_variable(v) or id(v) in seen:
                continue
            seen.add(id(v))
            op = getattr(v, "op", None)
            if op is not None and op in transformed_ops:
                found.append(v)
    return found


def rewrap_variables(info: Any) -> tuple[list[tuple[tf.Variable, tf.Variable]],
                                         list[tf.Variable]]:
    """Re-wrap the copies of the source's collected variables as ``tf.Variable`` objects.

    A variable is re-wrapped when its variable op, initializer and snapshot (read) op were
    all copied: as the ``ResourceVariable`` or ``RefVariable`` TF loads from its
    ``VariableDef`` renamed to the copies. Plain resource variables are built directly
    from the copied elements (same object, no proto round trip, ~10x cheaper); the others
    go through ``to_proto`` / ``from_proto``. Returns the ``(original, copy)`` pairs in
    collection order (also recorded in ``info._transformed_vars``), and the variables
    whose op was copied but which could not be re-wrapped (their initializer or read op
    stayed behind).
    """
    candidates = copied_variables(info)
    if not candidates:
        return [], []
    transformed_ops = info.transformed_ops
    results: list[tf.Variable | None] = [None] * len(candidates)
    slow: list[int] = []
    transformed_ts = info.transformed_ts
    for i, v in enumerate(candidates):
        parts = _tf.resource_variable_parts(v)
        if parts is not None:
            results[i] = _lean_copy(v, parts, transformed_ts, transformed_ops,
                                    info._attrs_as_source)
        if results[i] is None:
            slow.append(i)
    if slow:
        for i, v_ in zip(slow, _copy_through_protos(info, [candidates[i] for i in slow])):
            results[i] = v_
    pairs: list[tuple[tf.Variable, tf.Variable]] = []
    unwrapped: list[tf.Variable] = []
    for v, v_ in zip(candidates, results):
        if v_ is None:
            unwrapped.append(v)
            continue
        info._transformed_vars[id(v)] = (v, v_)
        info._original_vars[id(v_)] = (v_, v)
        pairs.append((v, v_))
    return pairs, unwrapped


def rebind_custom_gradients(info: Any) -> None:
    """Copies of ops with a custom gradient (``tf.custom_gradient``) get one that reads the
    copy's tensors, not the source's (see ``graph_editor._custom_gradients``).

    The source ops are those the fast path listed in ``info._custom_gradient_ops`` (from
    their NodeDefs), else every copy carrying the attr. A source tensor the gradient reads
    maps to its copy, to what replaced it as an input of the view, or, within one graph,
    to itself.
    """
    ops_map = info.transformed_ops
    names = getattr(info, "_custom_gradient_ops", None)
    if names is None:
        attr = _custom_gradients.ATTR
        pairs = [(op.name, op_) for op, op_ in ops_map.items() if attr in op_.node_def.attr]
    else:
        get = info.graph.get_operation_by_name
        pairs = [(name, ops_map[get(name)]) for name in names]
    if not pairs:
        return
    src, same_graph, inputs = info.graph, info.graph is info.graph_, info._input_cache

    def to_dst(name: str) -> tf.Tensor | None:
        try:
            t = src.get_tensor_by_name(name)
        except (KeyError, ValueError):
            return None
        op_ = ops_map.get(t.op)
        if op_ is not None:
            return op_.outputs[t.value_index]
        t_ = inputs.get(id(t))
        return t_ if t_ is not None else (t if same_graph else None)

    _custom_gradients.rebind(pairs, to_dst)


def _lean_copy(v: tf.Variable, parts: tuple, transformed_ts: Any, transformed_ops: Any,
               attrs_as_source: bool) -> tf.Variable | None:
    """The copy of resource variable ``v`` from the copies of its graph elements, or None.

    ``attrs_as_source``: the copies' attrs are the source ops' (default op handler, no
    ``nodedef_fn``), so shape and dtype are ``v``'s, not read back from the copied op.
    """
    handle, init, initial_value, snapshot = parts
    handle_ = transformed_ts.get(handle)
    init_ = transformed_ops.get(init)
    snapshot_ = transformed_ts.get(snapshot)
    if handle_ is None or init_ is None or snapshot_ is None:
        return None
    initial_value_ = None if initial_value is None else transformed_ts.get(initial_value)
    return _tf.resource_variable_from_parts(v, handle_, init_, initial_value_, snapshot_,
                                            same_attrs=attrs_as_source)


def _copy_through_protos(info: Any, variables: list[tf.Variable]) -> list[tf.Variable | None]:
    """Copies of ``variables`` via their VariableDefs renamed to the copied elements (None
    where TF cannot export one or a needed element was not copied)."""
    vdefs = _tf.variables_to_protos(info.graph, variables)
    copied = {op.name: op_ for op, op_ in info.transformed_ops.items()}
    todo: list[tuple[int, Any]] = []
    for i, vdef in enumerate(vdefs):
        if vdef is None:
            continue  # not a graph variable (e.g. a mirrored or eager variable)
        variable_name = _map_name(copied, vdef.variable_name, True)
        initializer_name = _map_name(copied, vdef.initializer_name, False)
        snapshot_name = _map_name(copied, vdef.snapshot_name, True)
        if variable_name is None or initializer_name is None or snapshot_name is None:
            continue  # TF cannot load a VariableDef without these
        vdef.variable_name = variable_name
        vdef.initializer_name = initializer_name
        vdef.snapshot_name = snapshot_name
        vdef.initial_value_name = _map_name(copied, vdef.initial_value_name, True) or ""
        todo.append((i, vdef))
    out: list[tf.Variable | None] = [None] * len(variables)
    new_vars = _tf.variables_from_protos(info.graph_, [vdef for _, vdef in todo])
    for (i, _), v_ in zip(todo, new_vars):
        out[i] = v_
    return out


# --------------------------------------------------------------------------------------------
# Function-graph destinations
# --------------------------------------------------------------------------------------------


def capture_in(info: Any, t: tf.Tensor) -> tf.Tensor | None:
    """``t`` made usable in a function-graph destination by capture, or None.

    - ``t`` of a graph enclosing the destination FuncGraph: captured as is;
    - ``t`` a by-value capture of a source FuncGraph: its captured value (a variable's
      handle, a constant, an outer tensor; followed through nested functions) is captured
      by the destination too, and the variable behind a handle is watched there.

    Anything else (another unrelated graph) returns None: the caller makes a placeholder.
    """
    dst = info.graph_
    if not _tf.is_function_graph(dst):
        return None
    enclosing = {id(g) for g in _tf.enclosing_graphs(dst)}
    # no "/": a capture named ``z/y`` would make ``z`` a scope, which TF's C importer then
    # refuses as the name of a copied op
    name = t.op.name.replace("/", "_")
    while True:
        graph = t.graph
        if id(graph) in enclosing:
            return _tf.func_graph_capture(dst, t, name)
        index = info._capture_indexes.get(id(graph))
        if index is None:  # id(internal placeholder) -> captured value, once per graph
            index = {id(i): e for e, i in _tf.func_graph_captures(graph)}
            info._capture_indexes[id(graph)] = index
        if id(t) not in index:
            return None
        external = index[id(t)]
        if _tf.is_eager_value(external):
            t_ = _tf.func_graph_capture(dst, external, name)
            for v in _tf.func_graph_variables(graph):
                if getattr(v, "handle", None) is external:
                    _tf.func_graph_watch_variable(dst, v)
                    break
            return t_
        t = external  # a tensor of the graph enclosing ``graph``


def check_function_destination(dst: tf.Graph, ops: Iterable[tf.Operation]) -> None:
    """Refuse to copy variable ops into a FuncGraph (before anything is created).

    A function cannot own a variable: the copied op would create a resource on every call
    that nothing initializes, and the re-wrapped ``tf.Variable`` would land in the
    variable collections the FuncGraph shares with its outer graph.
    """
    if not _tf.is_function_graph(dst):
        return
    for op in ops:
        if op.type in _VARIABLE_OP_TYPES:
            raise GraphEditValueError(
                f"Cannot copy variable op '{op.name}' ({op.type}) into function graph "
                f"'{dst.name}': a tf.function cannot own variables. Leave the "
                "variable out of the view so the copy reads the existing one (with "
                "copy_with_input_replacements / graph_replace the function captures it), "
                "or copy into a tf.Graph."
            )
