"""Private bookkeeping shared by every in-place edit: counters, sessions, plans, one channel.

- **Edit counter**: ``edit_count(graph)`` is bumped by every mutation graph_editor makes
  (TF's ``graph.version`` counts created ops only, not edge edits). Caches key on it.
- **Live sessions**: every ``Session.run`` records ``(session, graph.version)``; editing an
  op that such a still-open session already ran emits one ``LiveSessionWarning``.
- **EdgeEdits**: the one channel through which graph_editor changes the edges of existing
  ops (TF's raw edge updates). It records every change, undoes them all, newest first, if
  the block it guards fails, and on success bumps the edit counter, keeps the cycle check's
  order valid and warns about live sessions. Channels nest: an inner one (a reroute inside
  a rewrite) writes into the outer one's record, so the outer failure undoes it too.
- **Plan**: a virtual overlay of pending slot / control-edge changes. Reroute and edit
  functions build a plan (validating as they go), then :meth:`Plan.apply` checks cycles on
  the whole plan (:mod:`graph_editor._cycles`) and applies it through one channel, rolled
  back if TensorFlow refuses an edge.

Nothing here is public API.
"""

from __future__ import annotations

import operator
import warnings
import weakref
from typing import Any

import tensorflow as tf

from graph_editor import _cycles, _frames, _tf, util
from graph_editor._cycles import CycleCheck as _CycleCheck
from graph_editor.errors import (
    GraphEditValueError,
    GraphFinalizedError,
    LiveSessionWarning,
)

__all__ = ["edit_count", "note_external_edit", "EdgeEdits", "Plan", "PendingTensor"]

# Fields of a slot edit ``(op, input index, new tensor, old tensor)``, read in bulk.
_OP_EDITED = operator.itemgetter(0)
_NEW = operator.itemgetter(2)
_OP = operator.attrgetter("op")

# graph -> WeakKeyDictionary(session -> graph.version when it last ran)
_SESSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_state = _cycles.state


def edit_count(graph: tf.Graph) -> int:
    """How many edits graph_editor has made to ``graph`` (0 if none). Caches key on it."""
    st = _cycles.existing_state(graph)
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
    frame: Any = sys._getframe(1)  # noqa: SLF001 - standard way to walk the stack
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


class _PendingOp(_cycles.Unranked):
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
# The one channel for raw edge edits
# --------------------------------------------------------------------------------------------

# graph -> the innermost open EdgeEdits on it (channels nest, innermost last)
_OPEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class EdgeEdits:
    """Every edge edit graph_editor makes to existing ops goes through here, recorded.

    A context manager: a failure inside the ``with`` block undoes every edit made through
    the channel (newest first: each op gets back its exact inputs and control inputs, in
    order), then the error propagates; a normal exit commits (:meth:`commit`). A channel
    opened while another is open on the same graph writes into that one's record, so the
    outer failure also undoes the inner, committed, edits.

    Args:
        graph: the graph edited.
        ranks: the ranks a cycle check moved for exactly these edits (a :class:`Plan`);
            None: the edits were not checked, and the order is kept valid on commit.

    Example::

        with EdgeEdits(graph) as edits:
            edits.set_inputs([(consumer, 0, new, old)])
            edits.set_controls(op, [c for c in op.control_inputs if keep(c)])
    """

    def __init__(self, graph: tf.Graph, ranks: dict[int, float] | None = None) -> None:
        self.graph = graph
        self.ranks = ranks
        self.outer: EdgeEdits | None = None
        # ("slots", edits, [number done]) | ("ctrl", op, old control inputs, new ones)
        self.journal: list = []  # shared with the outer channel: undone as one
        self.mark = 0  # where this channel's entries (and its inner ones') start in it
        self.own: list = []  # the entries made through this channel itself, to commit
        self.count0 = edit_count(graph)  # an undo with no commit since leaves the count

    def __enter__(self) -> EdgeEdits:
        outer = _OPEN.get(self.graph)
        if outer is not None:
            self.outer = outer
            self.journal = outer.journal
            self.mark = len(self.journal)
        _OPEN[self.graph] = self
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.outer is None:
            _OPEN.pop(self.graph, None)
        else:
            _OPEN[self.graph] = self.outer
        if exc_type is None:
            self.commit()
        else:
            self.undo()

    # -- edits -----------------------------------------------------------------------------
    def _record(self, entry: tuple) -> None:
        self.journal.append(entry)
        self.own.append(entry)

    def set_inputs(self, edits: list) -> None:
        """Apply ``(op, input index, new tensor, tensor it reads now)`` edits, in one batch."""
        if edits:
            done: list[int] = []  # receives the number of edits completed
            self._record(("slots", edits, done))
            _tf.update_edges(self.graph, edits, done)

    def set_controls(self, op: tf.Operation, controls: list, old: list | None = None) -> None:
        """Make ``controls`` the control inputs of ``op``; ``old``: its current ones."""
        old = list(op.control_inputs) if old is None else old
        self._record(("ctrl", op, old, controls))
        _tf.remove_all_control_inputs(op)
        _tf.add_control_edges(op, controls)

    def add_controls(self, op: tf.Operation, controls: list) -> None:
        """Add ``controls`` to the control inputs of ``op``."""
        if controls:
            old = list(op.control_inputs)
            self._record(("ctrl", op, old, old + list(controls)))
            _tf.add_control_edges(op, controls)

    # -- outcome ---------------------------------------------------------------------------
    @staticmethod
    def _edges(entries: list, after: bool) -> list:
        """``(producer, consumer)`` edges the entries set (``after``) or had before."""
        edges: list[tuple] = []
        for entry in entries:
            if entry[0] == "slots":
                edits, done = entry[1], entry[2]
                k_new = 2 if after else 3
                edges.extend((e[k_new].op, e[0]) for e in edits[:sum(done)])
            else:
                op = entry[1]
                edges.extend((c, op) for c in entry[3 if after else 2])
        return edges

    def commit(self) -> None:
        """Bump the edit counter, keep the cycle check's order, warn about live sessions."""
        entries = self.own
        if not entries and self.ranks is None:
            return
        graph = self.graph
        st = _state(graph)
        st.count += 1
        if self.ranks is not None:
            _CycleCheck.commit(st, self.ranks)
        else:
            _cycles.keep_order(graph, self._edges(entries, after=True))
        if graph in _SESSIONS and entries:
            ops = [e[0] for en in entries if en[0] == "slots" for e in en[1]]
            ops.extend(en[1] for en in entries if en[0] == "ctrl")
            _warn_live_sessions(graph, ops)

    def undo(self) -> None:
        """Restore, newest first, everything done through this channel (and inner ones)."""
        entries = self.journal[self.mark:]
        if not entries:
            return
        graph = self.graph
        for entry in reversed(entries):
            if entry[0] == "slots":
                edits, done = entry[1], entry[2]
                back = [(e[0], e[1], e[3]) for e in reversed(edits[:sum(done)])]
                _tf.update_edges(graph, back)
            else:
                _tf.remove_all_control_inputs(entry[1])
                _tf.add_control_edges(entry[1], entry[2])
        del self.journal[self.mark:]
        self.own = []
        st = _state(graph)
        if st.count != self.count0:  # inner channels committed: caches saw their edits
            st.count += 1
        _cycles.keep_order(graph, self._edges(entries, after=False))


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
        # Slot edits recorded in bulk and not indexed yet (see set_inputs_fresh).
        self._fresh: list = []
        self._fresh_ids: tuple | None = None  # (producers, their ids, consumer ids) of those
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
        if self._fresh:
            self._index()
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
        if self._fresh:
            self._index()
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
        if self._fresh:
            self._index()
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
        if self._fresh:
            self._index()
        over = self.slots.get(op)
        if over is None:
            over = self.slots[op] = {}
        if (op, i) not in self.orig:
            self.orig[(op, i)] = old  # not modified before: the virtual input is the actual
        over[i] = t
        self.added.setdefault(id(t), {})[op] = None

    def set_inputs_fresh(self, edits: list, ids: tuple | None = None) -> None:
        """Record ``(op, i, new, old)`` slot edits on a plan with no slot edits yet.

        The caller guarantees each slot appears once, ``old`` is what it reads in the graph
        and ``new`` is not ``old``. They are indexed for the virtual queries only when one is
        made (a cycle search, a later edit): a reroute whose edges keep the order never pays
        for it. ``ids``: the new edges' producers, their ids and the consumers' ids, one per
        edit (as :func:`graph_editor._tf.reader_moves` reads them), if at hand.
        """
        if self.slots or self._fresh:
            for e in edits:
                self.set_input(*e)
        else:
            self._fresh = edits
            self._fresh_ids = ids

    def _index(self) -> None:
        fresh, self._fresh, self._fresh_ids = self._fresh, [], None
        for e in fresh:
            self.set_input(*e)

    def set_control_inputs(self, op: tf.Operation, cops: list) -> None:
        self.ctrl[op] = list(cops)
        for c in cops:
            self.added_ctrl.setdefault(c, {})[op] = None

    # -- validation and application --------------------------------------------------------
    def _changes(self) -> tuple[list, list]:
        """(slot edits [(op, i, new, old)], control edits [(op, new_list, old_list)])."""
        if self._fresh:
            slot_edits = self._fresh  # no edit sets a slot to what it reads
        else:
            slot_edits = self._indexed_changes()
        ctrl_edits = []
        for op, new in self.ctrl.items():
            old = list(op.control_inputs)
            if len(old) != len(new) or any(a is not b for a, b in zip(old, new)):
                ctrl_edits.append((op, new, old))
        return slot_edits, ctrl_edits

    def _indexed_changes(self) -> list:
        slot_edits = []
        orig = self.orig
        for op, over in self.slots.items():
            for i, t in over.items():
                old = orig[(op, i)]
                if t is not old:
                    slot_edits.append((op, i, t, old))
        return slot_edits

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
        assert graph is not None  # an edit or a placeholder named the graph
        if graph.finalized:
            raise GraphFinalizedError(
                "The graph is finalized (graph.finalize() was called); graph_editor will not "
                "edit it. Edit a copy, or call the edit before finalizing."
            )
        real = slot_edits
        if self.pending:
            real = [e for e in slot_edits if type(e[2]) is not PendingTensor]
        consumers = list(map(_OP_EDITED, real))
        ids = self._fresh_ids
        if ids is not None and not ctrl_edits and not self.pending:
            producers, ids = ids[0], ids[1:]
        else:
            producers, ids = list(map(_OP, map(_NEW, real))), None  # in C: no Python frame
            for op, new, old in ctrl_edits:
                old_set = set(old)
                added = [c for c in new if c not in old_set]
                producers.extend(added)
                consumers.extend([op] * len(added))
        _CycleCheck(self, producers, consumers, ids).run()
        if _state(graph).has_frames:
            self._check_frames(slot_edits, ctrl_edits)
        st = _state(graph)
        for p in self.pending:  # a new source: rank it below every op
            real = p.create()
            st.low -= 1
            self.rank_overlay[_tf.op_id(real.op)] = st.low
        if self.pending:
            slot_edits = [(op, i, resolve(t), old) for op, i, t, old in slot_edits]
        with EdgeEdits(graph, self.rank_overlay) as edits:
            try:
                edits.set_inputs(slot_edits)
                for op, new, old in ctrl_edits:
                    edits.set_controls(op, new, old)
            except Exception as e:  # the channel rolls back what was done, newest first
                raise GraphEditValueError(
                    f"TensorFlow refused the edit ({e}); the graph was left unchanged."
                ) from e


def _graph_mismatch(g0: tf.Graph, g1: tf.Graph) -> Exception:
    from graph_editor.errors import GraphMismatchError

    return GraphMismatchError(
        f"Objects of two graphs ({util._describe(g0)} and {util._describe(g1)}) were mixed in "
        "one edit; all ops, tensors and views of one call must come from the same tf.Graph."
    )
