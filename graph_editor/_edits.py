"""Private bookkeeping shared by every in-place edit: counters, order, sessions, plans.

- **Edit counter**: ``edit_count(graph)`` is bumped by every mutation graph_editor makes
  (TF's ``graph.version`` counts created ops only, not edge edits). Caches key on it.
- **Topological ranks**: a cheap order used by the cycle check. An op's rank is its
  creation id (``op._id``) unless graph_editor moved it; every edge ``p -> c`` satisfies
  ``rank(p) < rank(c)`` (v1 ``NextIteration -> Merge`` back edges excepted). A new edge
  that keeps this order cannot close a cycle, so most reroutes need no search at all; an
  edge against the order triggers a search bounded by the two ranks (Pearce-Kelly), run
  from both ends at once and stopped when the smaller side is exhausted. The order is
  checked, not assumed: before a search, the inputs of every op created since the last
  check are compared with it (TF creates some ops after their consumers, e.g. a v1 cond's
  ``Switch`` for a captured tensor), and a violation renumbers the graph (Kahn). The
  placeholders an edit creates are ranked below every op.
- **Live sessions**: every ``Session.run`` records ``(session, graph.version)``; editing an
  op that such a still-open session already ran emits one ``LiveSessionWarning``.
- **Plan**: a virtual overlay of pending slot / control-edge changes. Reroute and edit
  functions build a plan (validating as they go), then :meth:`Plan.apply` checks cycles on
  the whole plan and mutates the graph, rolling back if TensorFlow refuses an edge.

Nothing here is public API.
"""

from __future__ import annotations

import heapq
import math
import warnings
import weakref
from collections import deque
from typing import Any

import tensorflow as tf

from graph_editor import _frames, _tf, util
from graph_editor.errors import (
    GraphEditValueError,
    GraphFinalizedError,
    LiveSessionWarning,
)

__all__ = ["edit_count", "note_external_edit", "Plan", "PendingTensor"]

_BACK_EDGE_SOURCES = frozenset({"NextIteration", "RefNextIteration"})


class _GraphState:
    __slots__ = ("count", "ranks", "cyclic", "stale", "verified", "low", "has_frames")

    def __init__(self) -> None:
        self.count = 0
        self.ranks: dict[int, float] = {}  # op id -> rank, only for ops that were moved
        self.cyclic = False  # the graph already holds a cycle (not a v1 loop back edge)
        self.stale = False  # edited behind graph_editor's back: renumber before use
        # Ops with ids up to ``verified`` are known to have every input ranked below them;
        # ops created later (by anyone, in any order) are checked before the next search.
        self.verified = 0
        self.low = 0.0  # no op ranks below this: new source placeholders go under it
        self.has_frames = False  # a v1 while loop's Enter was seen: check frames on edits


_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# graph -> WeakKeyDictionary(session -> graph.version when it last ran)
_SESSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _state(graph: tf.Graph) -> _GraphState:
    st = _STATES.get(graph)
    if st is None:
        st = _STATES[graph] = _GraphState()
    return st


def edit_count(graph: tf.Graph) -> int:
    """How many edits graph_editor has made to ``graph`` (0 if none). Caches key on it."""
    st = _STATES.get(graph)
    return 0 if st is None else st.count


def note_external_edit(graph: tf.Graph) -> None:
    """Tell graph_editor that ``graph``'s edges were edited behind its back.

    Bumps the edit counter and forgets the cycle-check order (rebuilt on the next check).
    Call it after using raw ``op._update_input`` / ``_add_control_inputs`` on a graph.
    """
    st = _state(graph)
    st.count += 1
    st.stale = True


def _on_session_run(session: Any) -> None:
    graph = _tf.session_graph(session)
    if graph is None:
        return
    runs = _SESSIONS.get(graph)
    if runs is None:
        runs = _SESSIONS[graph] = weakref.WeakKeyDictionary()
    runs[session] = graph.version


_tf.install_session_run_hook(_on_session_run)


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside graph_editor."""
    import os
    import sys

    pkg = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)  # noqa: SLF001 - standard way to walk the stack
    level = 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == pkg:
        frame = frame.f_back
        level += 1
    return level


def _warn_live_sessions(graph: tf.Graph, ops: list[tf.Operation]) -> None:
    runs = _SESSIONS.get(graph)
    if not runs:
        return
    newest = -1
    for session, version in list(runs.items()):
        if not _tf.session_closed(session):
            newest = max(newest, version)
    if newest < 0:
        return
    for op in ops:
        # Node ids start at 2 (0 and 1 are _SOURCE and _SINK): an op ran iff id <= version+1.
        if _tf.op_id(op) <= newest + 1:
            warnings.warn(
                f"graph_editor edited op '{op.name}' after an open tf.compat.v1.Session "
                "ran this graph. TensorFlow ignores edits to ops a Session already ran: that "
                "Session keeps computing the OLD graph. Open a new Session (save and "
                "restore variables if needed) to run the edited graph.",
                LiveSessionWarning,
                stacklevel=_caller_stacklevel(),
            )
            return


# --------------------------------------------------------------------------------------------
# Pending placeholders: tensors that will be created only once a plan is validated
# --------------------------------------------------------------------------------------------


class _PendingOp:
    type = "Placeholder"
    inputs: tuple = ()
    control_inputs: tuple = ()

    def __init__(self, tensor: PendingTensor) -> None:
        self.tensor = tensor
        self.graph = tensor.graph
        self.name = tensor.name
        self.outputs = [tensor]


class PendingTensor:
    """A placeholder to be created when the plan is applied (so a failed plan creates none)."""

    def __init__(self, graph: tf.Graph, dtype: tf.DType, shape: Any, name: str) -> None:
        self.graph = graph
        self.dtype = dtype
        self.shape = tf.TensorShape(shape)
        self.name = name
        self.op = _PendingOp(self)
        self.real: tf.Tensor | None = None

    def consumers(self) -> list:
        return []

    def create(self) -> tf.Tensor:
        if self.real is None:
            with self.graph.as_default():
                self.real = tf.compat.v1.placeholder(
                    dtype=self.dtype, shape=self.shape, name=self.name
                )
        return self.real


def resolve(t: Any) -> Any:
    """The real tensor for a pending one (after :meth:`Plan.apply`), else ``t``."""
    return t.real if isinstance(t, PendingTensor) else t


# --------------------------------------------------------------------------------------------
# The plan: a virtual overlay of edits
# --------------------------------------------------------------------------------------------


class Plan:
    """Pending edits on one graph; queries answer as if they were already applied."""

    def __init__(self, graph: tf.Graph | None) -> None:
        self.graph = graph
        self.slots: dict[tf.Operation, dict[int, Any]] = {}  # op -> {slot: new tensor}
        self.ctrl: dict[tf.Operation, list] = {}  # op -> new control inputs
        self.added: dict[int, dict] = {}  # id(tensor) -> {consumer op: None}
        self.added_ctrl: dict[Any, dict] = {}  # control input op -> {op: None}
        self.pending: list[PendingTensor] = []
        self.orig: dict[tuple, Any] = {}  # (op, slot) -> the tensor it reads in the graph
        self.views: dict[int, Any] = {}  # id(SubGraphView) -> its virtual state (reroute.py)
        self._inputs_cache: dict[tf.Operation, list] = {}
        self.rank_overlay: dict[int, float] = {}  # ranks the cycle check moved (op id -> rank)

    # -- graph -----------------------------------------------------------------------------
    def use_graph(self, graph: tf.Graph | None) -> None:
        if graph is None:
            return
        if self.graph is None:
            self.graph = graph
        elif graph is not self.graph:
            raise _graph_mismatch(self.graph, graph)

    def placeholder(self, dtype: tf.DType, shape: Any, name: str) -> PendingTensor:
        if self.graph is None:
            raise GraphEditValueError("Cannot create a placeholder: no graph is involved.")
        t = PendingTensor(self.graph, dtype, shape, name)
        self.pending.append(t)
        return t

    # -- virtual queries ---------------------------------------------------------------------
    def _actual_inputs(self, op: Any) -> list:
        res = self._inputs_cache.get(op)
        if res is None:
            res = self._inputs_cache[op] = list(op.inputs)
        return res

    def inputs(self, op: Any) -> list:
        base = self._actual_inputs(op)
        over = self.slots.get(op)
        if not over:
            return base
        res = list(base)
        for i, t in over.items():
            res[i] = t
        return res

    def control_inputs(self, op: Any) -> list:
        res = self.ctrl.get(op)
        return list(op.control_inputs) if res is None else res

    def consumers(self, t: Any) -> list:
        """Unique ops reading ``t`` in the virtual graph, TF's order then added ones."""
        if not self.slots:  # nothing rewired yet: the graph's own answer
            return list(dict.fromkeys(t.consumers()))
        res: dict = {}
        for c in t.consumers():
            if c in res:
                continue
            if c in self.slots:
                if any(x is t for x in self.inputs(c)):
                    res[c] = None
            else:
                res[c] = None
        for c in self.added.get(id(t), ()):
            if c not in res and any(x is t for x in self.inputs(c)):
                res[c] = None
        return list(res)

    def slots_reading(self, op: Any, t: Any) -> list[int]:
        if op in self.slots or isinstance(t, PendingTensor):
            return [i for i, x in enumerate(self.inputs(op)) if x is t]
        return _tf.input_slots(op, t)

    def control_outputs(self, op: Any) -> list:
        res: dict = {}
        if not isinstance(op, _PendingOp):
            for c in util.ControlOutputs(op.graph).get(op):
                if c not in self.ctrl or any(x is op for x in self.ctrl[c]):
                    res[c] = None
        for c in self.added_ctrl.get(op, ()):
            if c not in res and any(x is op for x in self.ctrl.get(c, ())):
                res[c] = None
        return list(res)

    # -- recording edits -------------------------------------------------------------------
    def set_input(self, op: tf.Operation, i: int, t: Any, old: Any) -> None:
        """Slot ``i`` of ``op`` reads ``t``; ``old`` is what it reads now (virtually)."""
        over = self.slots.get(op)
        if over is None:
            over = self.slots[op] = {}
        if (op, i) not in self.orig:
            self.orig[(op, i)] = old  # not modified before: the virtual input is the actual
        over[i] = t
        self.added.setdefault(id(t), {})[op] = None

    def set_control_inputs(self, op: tf.Operation, cops: list) -> None:
        self.ctrl[op] = list(cops)
        for c in cops:
            self.added_ctrl.setdefault(c, {})[op] = None

    # -- validation and application --------------------------------------------------------
    def _changes(self) -> tuple[list, list]:
        """(slot edits [(op, i, new, old)], control edits [(op, new_list, old_list)])."""
        slot_edits = []
        orig = self.orig
        for op, over in self.slots.items():
            for i, t in over.items():
                old = orig[(op, i)]
                if t is not old:
                    slot_edits.append((op, i, t, old))
        ctrl_edits = []
        for op, new in self.ctrl.items():
            old = list(op.control_inputs)
            if len(old) != len(new) or any(a is not b for a, b in zip(old, new)):
                ctrl_edits.append((op, new, old))
        return slot_edits, ctrl_edits

    def _check_frames(self, slot_edits: list, ctrl_edits: list) -> None:
        """Refuse new edges across v1 while-loop frames (graphs with an Enter op only)."""
        edges = [(t.op, op) for op, _, t, _ in slot_edits]
        for op, new, old in ctrl_edits:
            old_set = set(old)
            edges.extend((c, op) for c in new if c not in old_set)
        _frames.check_edges(self.graph, edges, {t.op for t in self.pending})

    def apply(self) -> None:
        """Check for cycles, create pending placeholders, then edit the graph atomically."""
        slot_edits, ctrl_edits = self._changes()
        if not slot_edits and not ctrl_edits and not self.pending:
            return
        graph = self.graph
        if graph.finalized:
            raise GraphFinalizedError(
                "The graph is finalized (graph.finalize() was called); graph_editor will not "
                "edit it. Edit a copy, or call the edit before finalizing."
            )
        if self.pending:
            new_edges = [(t.op, op) for op, _, t, _ in slot_edits if type(t) is not PendingTensor]
        else:
            new_edges = [(t.op, op) for op, _, t, _ in slot_edits]
        for op, new, old in ctrl_edits:
            old_set = set(old)
            new_edges.extend((c, op) for c in new if c not in old_set)
        _CycleCheck(self, new_edges).run()
        if _state(graph).has_frames:
            self._check_frames(slot_edits, ctrl_edits)
        st = _state(graph)
        for p in self.pending:  # a new source: rank it below every op
            p.create()
            st.low -= 1
            self.rank_overlay[_tf.op_id(p.real.op)] = st.low
        if self.pending:
            slot_edits = [(op, i, resolve(t), old) for op, i, t, old in slot_edits]
        done: list[int] = []
        ctrl_done: list = []
        try:
            if slot_edits:
                _tf.update_edges(graph, slot_edits, done)  # reads (op, slot, tensor, ...)
            for op, new, old in ctrl_edits:
                _tf.remove_all_control_inputs(op)
                ctrl_done.append(("ctrl", op, old))
                _tf.add_control_edges(op, new)
        except Exception as e:  # roll back what was done, newest first
            journal = [("slot", *slot_edits[k][:2], slot_edits[k][3]) for k in done]
            _rollback(graph, journal + ctrl_done)
            raise GraphEditValueError(
                f"TensorFlow refused the edit ({e}); the graph was left unchanged."
            ) from e
        st.count += 1
        _CycleCheck.commit(st, self)
        if graph in _SESSIONS:
            ops = [e[0] for e in slot_edits] + [e[0] for e in ctrl_edits]
            _warn_live_sessions(graph, ops)


def _rollback(graph: tf.Graph, journal: list) -> None:
    for entry in reversed(journal):
        if entry[0] == "ctrl":
            _, op, old = entry
            _tf.remove_all_control_inputs(op)
            _tf.add_control_edges(op, old)
        else:
            _, op, i, old = entry
            _tf.update_edges(graph, [(op, i, old)], None)


def _graph_mismatch(g0: tf.Graph, g1: tf.Graph) -> Exception:
    from graph_editor.errors import GraphMismatchError

    return GraphMismatchError(
        f"Objects of two graphs ({util._describe(g0)} and {util._describe(g1)}) were mixed in "
        "one edit; all ops, tensors and views of one call must come from the same tf.Graph."
    )


# --------------------------------------------------------------------------------------------
# Cycle check
# --------------------------------------------------------------------------------------------


def _is_back_edge(p: Any, c: Any) -> bool:
    """A v1 while-loop back edge (``NextIteration -> Merge``): legal, never a cycle."""
    return p.type in _BACK_EDGE_SOURCES and c.type in ("Merge", "RefMerge")


class _Rebuild(Exception):
    """The stored order is not topological (edited behind our back): rebuild and retry."""


class _CycleCheck:
    """Refuse a plan whose new edges close a data or control cycle."""

    def __init__(self, plan: Plan, new_edges: list) -> None:
        self.plan = plan
        self.edges = new_edges
        self.st = _state(plan.graph)
        self.overlay: dict[int, float] = {}
        self.unprocessed: set = set()

    # ranks -------------------------------------------------------------------------------
    def rank(self, op: Any) -> float:
        if isinstance(op, _PendingOp):
            return float("-inf")
        i = _tf.op_id(op)
        r = self.overlay.get(i)
        if r is None:
            r = self.st.ranks.get(i, i)
        return r

    @staticmethod
    def commit(st: _GraphState, plan: Plan) -> None:
        """Keep the ranks the check moved, once the plan is applied."""
        if plan.rank_overlay:
            st.ranks.update(plan.rank_overlay)
            st.low = min(st.low, min(plan.rank_overlay.values()))

    # adjacency of the virtual graph, minus the new edges not processed yet ---------------
    def preds(self, op: Any) -> list:
        if isinstance(op, _PendingOp):
            return []
        res = []
        merge = op.type in ("Merge", "RefMerge")
        for t in self.plan.inputs(op):
            p = t.op
            if merge and p.type in _BACK_EDGE_SOURCES:
                continue
            if (p, op) not in self.unprocessed:
                res.append(p)
        for p in self.plan.control_inputs(op):
            if (p, op) not in self.unprocessed:
                res.append(p)
        return res

    def succs(self, op: Any) -> list:
        res = []
        back = op.type in _BACK_EDGE_SOURCES
        for t in op.outputs:
            for c in self.plan.consumers(t):
                if back and c.type in ("Merge", "RefMerge"):
                    continue
                if (op, c) not in self.unprocessed:
                    res.append(c)
        for c in self.plan.control_outputs(op):
            if (op, c) not in self.unprocessed:
                res.append(c)
        return res

    # the check ---------------------------------------------------------------------------
    def run(self) -> None:
        for _ in range(3):
            try:
                self._run()
                self.plan.rank_overlay = self.overlay
                return
            except _Rebuild:
                self._renumber()
        self.st.cyclic = True
        self.overlay = {}
        self._run()

    def _run(self) -> None:
        self.overlay = {}
        self.unprocessed: set = set()
        if not self.st.stale:
            self._verify_new_ops()
        if self.st.stale:
            raise _Rebuild
        if self.st.cyclic:
            edges = [(p, c) for p, c in self.edges if not _is_back_edge(p, c)]
            self.unprocessed = set(edges)
            for p, c in edges:
                self.unprocessed.discard((p, c))
                self._exact(p, c)
            return
        rank = self.rank
        ranks, op_id = self.st.ranks, _tf.op_id
        bad = []
        for p, c in self.edges:  # the fast path: one comparison per new edge
            ip, ic = op_id(p), op_id(c)
            if ranks.get(ip, ip) >= ranks.get(ic, ic):
                bad.append((p, c))
        if not bad:
            return
        bad = [(p, c) for p, c in bad if not _is_back_edge(p, c)]
        # Lowest consumers first: moving p below the lowest one fixes p's other edges too.
        bad.sort(key=lambda e: rank(e[1]))
        self.unprocessed = set(bad)
        for p, c in bad:
            self.unprocessed.discard((p, c))
            if p is c:
                self._fail([c, p], p, c)
            if self.rank(p) >= self.rank(c):
                self._insert(p, c)

    def _verify_new_ops(self) -> None:
        """Check the order on the ops created since the last check; stale if it fails."""
        st = self.st
        new_ops, top = _tf.ops_created_after(self.plan.graph, st.verified)
        rank = self.rank
        for op in new_ops:
            r = rank(op)
            merge = op.type in ("Merge", "RefMerge")
            for t in op.inputs:
                p = t.op
                if rank(p) >= r and not (merge and p.type in _BACK_EDGE_SOURCES):
                    st.stale = True
                    return
            for p in op.control_inputs:
                if rank(p) >= r:
                    st.stale = True
                    return
        st.verified = top
        if not st.has_frames:
            st.has_frames = any(op.type in _frames.ENTER_TYPES for op in new_ops)

    def _insert(self, p: Any, c: Any) -> None:
        """Pearce-Kelly insertion of edge p -> c with rank(p) >= rank(c)."""
        lo, hi = self.rank(c), self.rank(p)
        fwd_parent = {c: None}
        bwd_parent = {p: None}
        fq, bq = deque([c]), deque([p])
        while fq and bq:
            y = bq.popleft()
            ry = self.rank(y)
            for q in self.preds(y):
                rq = self.rank(q)
                if rq >= ry:
                    raise _Rebuild
                if q in fwd_parent:
                    bwd_parent.setdefault(q, y)
                    self._fail(self._path(fwd_parent, bwd_parent, q), p, c)
                if rq >= lo and q not in bwd_parent:
                    bwd_parent[q] = y
                    bq.append(q)
            if not bq:
                break
            x = fq.popleft()
            rx = self.rank(x)
            for s in self.succs(x):
                rs = self.rank(s)
                if rs <= rx:
                    raise _Rebuild
                if s in bwd_parent:
                    fwd_parent.setdefault(s, x)
                    self._fail(self._path(fwd_parent, bwd_parent, s), p, c)
                if rs <= hi and s not in fwd_parent:
                    fwd_parent[s] = x
                    fq.append(s)
        if not bq:  # backward side complete: move it just below c
            nodes = list(bwd_parent)
            inside = set(nodes)
            r_lo = float("-inf")
            for y in nodes:
                for q in self.preds(y):
                    if q not in inside:
                        r_lo = max(r_lo, self.rank(q))
            self._assign(nodes, r_lo, lo)
        else:  # forward side complete: move it just above p
            nodes = list(fwd_parent)
            inside = set(nodes)
            r_hi = float(math.floor(hi) + 1)  # stay below the ids of ops created later
            for x in nodes:
                for s in self.succs(x):
                    if s not in inside:
                        r_hi = min(r_hi, self.rank(s))
            self._assign(nodes, hi, r_hi)

    def _assign(self, nodes: list, r_lo: float, r_hi: float) -> None:
        nodes.sort(key=self.rank)
        n = len(nodes)
        if r_lo == float("-inf"):
            r_lo = r_hi - n - 1
        step = (r_hi - r_lo) / (n + 1)
        prev = r_lo
        new = []
        for k in range(n):
            r = r_lo + step * (k + 1)
            if not prev < r < r_hi:
                raise _Rebuild  # float gap exhausted: renumber the whole graph once
            new.append(r)
            prev = r
        for op, r in zip(nodes, new):
            self.overlay[_tf.op_id(op)] = r

    def _exact(self, p: Any, c: Any) -> None:
        """Unbounded search (graphs that already hold a cycle): does c reach p?"""
        parent = {c: None}
        q = deque([c])
        while q:
            x = q.popleft()
            if x is p:
                path = [x]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                path.reverse()
                self._fail([p] + path, p, c)
            for s in self.succs(x):
                if s not in parent:
                    parent[s] = x
                    q.append(s)

    @staticmethod
    def _path(fwd_parent: dict, bwd_parent: dict, meet: Any) -> list:
        left = [meet]
        while fwd_parent[left[-1]] is not None:
            left.append(fwd_parent[left[-1]])
        left.reverse()  # c ... meet
        x = meet
        while bwd_parent[x] is not None:
            x = bwd_parent[x]
            left.append(x)  # ... p
        return [left[-1]] + left  # p -> c -> ... -> p

    def _fail(self, path: list, p: Any, c: Any) -> None:
        names = " -> ".join(op.name for op in path)
        raise GraphEditValueError(
            f"Refusing the edit: making '{c.name}' depend on '{p.name}' would create a cycle "
            f"({names}). The graph was left unchanged. For a reroute, keep '{c.name}' out "
            "with cannot_modify=..., or reroute onto a tensor that does not depend on it."
        )

    def _renumber(self) -> None:
        """Recompute ranks for the whole graph (Kahn's algorithm): O(graph), rare."""
        graph = self.plan.graph
        st = self.st
        ops = graph.get_operations()
        indeg: dict = {}
        out: dict = {}
        for op in ops:
            n = 0
            for t in op.inputs:
                p = t.op
                if p.type in _BACK_EDGE_SOURCES and op.type in ("Merge", "RefMerge"):
                    continue
                out.setdefault(p, []).append(op)
                n += 1
            for p in op.control_inputs:
                out.setdefault(p, []).append(op)
                n += 1
            indeg[op] = n
        heap = [(_tf.op_id(op), op) for op in ops if indeg[op] == 0]
        heapq.heapify(heap)
        ranks: dict[int, float] = {}
        k = 0
        while heap:
            _, op = heapq.heappop(heap)
            ranks[_tf.op_id(op)] = float(k)
            k += 1
            for s in out.get(op, ()):
                indeg[s] -= 1
                if indeg[s] == 0:
                    heapq.heappush(heap, (_tf.op_id(s), s))
        st.ranks = ranks
        st.stale = False
        st.cyclic = k < len(ops)
        st.low = -1.0
        st.has_frames = any(op.type in _frames.ENTER_TYPES for op in ops)
        st.verified = _tf.ops_created_after(graph, 1 << 62)[1]
        self.overlay = {}
