"""Batched in-place edits with undo, for the passes (not public API).

The passes rewire many consumers at once, each edit safe by construction (a consumer moves
to a tensor computed upstream of what it read, or to a new ``Const``: no cycle can close,
dtypes are equal). They skip the per-edit validation of :mod:`graph_editor.reroute` and go
straight to the one edge channel (:class:`graph_editor._edits.EdgeEdits`, which records
every edit for the undo): data edges in batches, and each op's control inputs rewritten
once (TF cannot remove a single control edge, so removing ``k`` edges one at a time from an
op with ``n`` costs ``k * n``).

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
    """In-place edits of ``graph`` for a pass, through graph_editor's one edge channel
    (:class:`graph_editor._edits.EdgeEdits`): :meth:`undo` restores every touched op exactly,
    :meth:`done` commits (edit counter, cycle-check order, live-session warning)."""

    def __init__(self, graph: tf.Graph) -> None:
        self.graph = graph
        self._channel = _edits.EdgeEdits(graph)

    def set_inputs(self, edits: list) -> None:
        """Apply ``(op, input index, new tensor)`` edits, in one batch."""
        if edits:
            self._channel.set_inputs([(op, i, new, op.inputs[i]) for op, i, new in edits])

    def reroute(self, old: tf.Tensor, new: tf.Tensor, consumers: list | None = None) -> int:
        """Make ``consumers`` (default: all) read ``new`` wherever they read ``old``.

        Returns the number of edges moved.
        """
        if consumers is None:
            consumers = old.consumers()
        edits = [(op, i, new, old) for op in dict.fromkeys(consumers)
                 for i in _tf.input_slots(op, old)]
        self._channel.set_inputs(edits)
        return len(edits)

    def set_controls(self, op: tf.Operation, controls: list) -> None:
        """Make ``controls`` (no repeats, order kept) the control inputs of ``op``."""
        controls = list(dict.fromkeys(c for c in controls if c is not op))
        old = op.control_inputs
        if [c.name for c in controls] != [c.name for c in old]:
            self._channel.set_controls(op, controls, list(old))

    def done(self) -> None:
        """Commit the edits (if any)."""
        self._channel.commit()

    def undo(self) -> None:
        """Restore the inputs and control inputs of every op edited so far."""
        self._channel.undo()
