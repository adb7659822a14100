"""Batched in-place edits with undo, for the passes (not public API).

The passes rewire many consumers at once, each edit safe by construction (a consumer moves
to a tensor computed upstream of what it read, or to a new ``Const``: no cycle can close,
dtypes are equal). They skip the per-edit validation of :mod:`graph_editor.reroute` and use
TF's primitives directly: data edges in batches (``_tf.update_edges``), and each op's
control inputs rewritten once (TF cannot remove a single control edge, so removing ``k``
edges one at a time from an op with ``n`` costs ``k * n``).

Example::

    edits = Edits(graph)
    try:
        edits.reroute(old, new)
        edits.set_controls(op, [c for c in op.control_inputs if keep(c)])
    except BaseException:
        edits.undo()
        raise
    edits.done()
"""

from __future__ import annotations

import tensorflow as tf

from graph_editor import _edits, _tf

__all__ = ["Edits"]


class Edits:
    """In-place edits of ``graph``, recorded so that :meth:`undo` restores every touched op."""

    def __init__(self, graph: tf.Graph) -> None:
        self.graph = graph
        self._saved: dict = {}  # op -> (inputs, control inputs) before the first edit
        self._warned = False

    def _save(self, ops: list) -> None:
        new = [op for op in ops if op not in self._saved]
        if not new:
            return
        if not self._warned:
            self._warned = True
            _edits._warn_live_sessions(self.graph, new)  # noqa: SLF001
        for op in new:
            self._saved[op] = (tuple(op.inputs), tuple(op.control_inputs))

    def set_inputs(self, edits: list) -> None:
        """Apply ``(op, input index, new tensor)`` edits, in one batch."""
        if not edits:
            return
        self._save([e[0] for e in edits])
        _tf.update_edges(self.graph, edits)

    def reroute(self, old: tf.Tensor, new: tf.Tensor, consumers: list | None = None) -> int:
        """Make ``consumers`` (default: all) read ``new`` wherever they read ``old``.

        Returns the number of edges moved.
        """
        if consumers is None:
            consumers = old.consumers()
        edits: list[tuple[tf.Operation, int, tf.Tensor]] = []
        for op in dict.fromkeys(consumers):
            edits.extend((op, i, new) for i in _tf.input_slots(op, old))
        self.set_inputs(edits)
        return len(edits)

    def set_controls(self, op: tf.Operation, controls: list) -> None:
        """Make ``controls`` (no repeats, order kept) the control inputs of ``op``."""
        controls = list(dict.fromkeys(c for c in controls if c is not op))
        if [c.name for c in controls] == [c.name for c in op.control_inputs]:
            return
        self._save([op])
        _tf.remove_all_control_inputs(op)
        _tf.add_control_edges(op, controls)

    def done(self) -> None:
        """Tell graph_editor's caches that the graph changed (if it did)."""
        if self._saved:
            _edits.note_external_edit(self.graph)

    def undo(self) -> None:
        """Restore the inputs and control inputs of every op edited so far."""
        for op, (inputs, cinputs) in self._saved.items():
            now = op.inputs
            edits = [(op, i, t) for i, t in enumerate(inputs) if now[i] is not t]
            if edits:
                _tf.update_edges(self.graph, edits)
            if [c.name for c in op.control_inputs] != [c.name for c in cinputs]:
                _tf.remove_all_control_inputs(op)
                _tf.add_control_edges(op, list(cinputs))
        if self._saved:
            _edits.note_external_edit(self.graph)
        self._saved.clear()
