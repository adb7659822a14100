"""Private: the order that keeps graph_editor's cycle check cheap, and the check itself.

- **Per-graph state** (:func:`state`): graph_editor's edit counter (caches key on it; TF's
  ``graph.version`` counts created ops only, not edge edits) and the order below.
- **Topological ranks**: a cheap order. An op's rank is its creation id (``op._id``) unless
  graph_editor moved it; every edge ``p -> c`` satisfies ``rank(p) < rank(c)`` (v1
  ``NextIteration -> Merge`` back edges excepted). A new edge that keeps this order cannot
  close a cycle, so most reroutes need no search at all; an edge against the order triggers a
  search bounded by the two ranks (Pearce-Kelly), run from both ends at once and stopped when
  the smaller side is exhausted. The order is checked, not assumed: before a search, the
  inputs of every op created since the last check are compared with it (TF creates some ops
  after their consumers, e.g. a v1 cond's ``Switch`` for a captured tensor), and a violation
  renumbers the graph (Kahn). The placeholders an edit creates are ranked below every op.
- :func:`keep_order`: after edges were set without a check (copies, undos), either they
  agree with the order or the order is marked stale (rebuilt before the next check).

:mod:`graph_editor._edits` runs the check on a plan before applying it. Nothing here is
public API.
"""

from __future__ import annotations

import heapq
import math
import operator
import weakref
from collections import deque
from typing import Any

import tensorflow as tf

from graph_editor import _frames, _tf
from graph_editor.errors import GraphEditValueError

__all__ = ["CycleCheck", "Unranked", "existing_state", "keep_order", "state"]

_BACK_EDGE_SOURCES = frozenset({"NextIteration", "RefNextIteration"})


class _GraphState:
    __slots__ = ("count", "ranks", "cyclic", "stale", "verified", "low", "has_frames")

    def __init__(self) -> None:
        self.count = 0  # edits graph_editor made to the graph
        self.ranks: dict[int, float] = {}  # op id -> rank, only for ops that were moved
        self.cyclic = False  # the graph already holds a cycle (not a v1 loop back edge)
        self.stale = False  # edited behind graph_editor's back: renumber before use
        # Ops with ids up to ``verified`` are known to have every input ranked below them;
        # ops created later (by anyone, in any order) are checked before the next search.
        self.verified = 0
        self.low = 0.0  # no op ranks below this: new source placeholders go under it
        self.has_frames = False  # a v1 while loop's Enter was seen: check frames on edits


_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def state(graph: tf.Graph) -> _GraphState:
    """graph_editor's state for ``graph`` (created on first use)."""
    st = _STATES.get(graph)
    if st is None:
        st = _STATES[graph] = _GraphState()
    return st


def existing_state(graph: tf.Graph) -> _GraphState | None:
    """graph_editor's state for ``graph``, or None if it never edited it."""
    return _STATES.get(graph)


class Unranked:
    """Base of the stand-ins for ops not created yet (pending placeholders): they rank
    below every op and have no inputs."""

    type = "Placeholder"
    inputs: tuple = ()
    control_inputs: tuple = ()


def keep_order(graph: tf.Graph, edges: list) -> None:
    """Edges ``(producer, consumer)`` were set without a cycle check: keep the order valid.

    An edge into an op created since the last check is checked with that op later; any
    other edge against the order marks it stale (the next check renumbers the graph).
    """
    st = _STATES.get(graph)
    if st is None or st.stale or st.cyclic:
        return
    ranks, verified, op_id = st.ranks, st.verified, _tf.op_id
    for p, c in edges:
        ic = op_id(c)
        if ic > verified:
            continue
        ip = op_id(p)
        if ranks.get(ip, ip) >= ranks.get(ic, ic) and not _is_back_edge(p, c):
            st.stale = True
            return


def _is_back_edge(p: Any, c: Any) -> bool:
    """A v1 while-loop back edge (``NextIteration -> Merge``): legal, never a cycle."""
    return p.type in _BACK_EDGE_SOURCES and c.type in ("Merge", "RefMerge")


class _Rebuild(Exception):
    """The stored order is not topological (edited behind our back): rebuild and retry."""


class CycleCheck:
    """Refuse a plan whose new edges close a data or control cycle."""

    def __init__(self, plan: Any, producers: list, consumers: list,
                 ids: tuple[list, list] | None = None) -> None:
        """The new edges are ``producers[k] -> consumers[k]``; ``ids``: their creation ids
        (producers', consumers'), if the caller read them already."""
        self.plan = plan
        self.producers, self.consumers = producers, consumers
        self.ids = ids
        self.st = state(plan.graph)
        self.overlay: dict[int, float] = {}
        self.unprocessed: set = set()

    @property
    def edges(self) -> list:
        """The new edges, ``(producer, consumer)``."""
        return list(zip(self.producers, self.consumers))

    # ranks -------------------------------------------------------------------------------
    def rank(self, op: Any) -> float:
        if isinstance(op, Unranked):
            return float("-inf")
        i = _tf.op_id(op)
        r = self.overlay.get(i)
        if r is None:
            r = self.st.ranks.get(i, i)
        return r

    @staticmethod
    def commit(st: _GraphState, ranks: dict[int, float]) -> None:
        """Keep the ranks the check moved (``ranks``), once its edits are applied."""
        if ranks:
            st.ranks.update(ranks)
            st.low = min(st.low, min(ranks.values()))

    # adjacency of the virtual graph, minus the new edges not processed yet ---------------
    def preds(self, op: Any) -> list:
        if isinstance(op, Unranked):
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
        self.unprocessed = set()
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
        bad = self._against_order()
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

    def _against_order(self) -> list:
        """The fast path: the new edges whose ranks are not increasing (one comparison
        per edge, the ids read in bulk)."""
        ranks = self.st.ranks
        if self.ids is not None:
            rp, rc = self.ids
        else:  # ids, then ranks (moved ops' ranks)
            rp, rc = _tf.op_ids(self.producers), _tf.op_ids(self.consumers)
        if ranks:
            get = ranks.get
            rp = list(map(get, rp, rp))  # get(id, id)
            rc = list(map(get, rc, rc))
        if not any(map(operator.ge, rp, rc)):
            return []
        return [e for e, p, c in zip(self.edges, rp, rc) if p >= c]

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
