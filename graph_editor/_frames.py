"""v1 while-loop frames: which loop iteration space each op runs in, and which edges are legal.

TensorFlow's v1 ``tf.compat.v1.while_loop`` runs its body in a *frame*: ``Enter`` ops lead
tensors into a loop's frame (named by their ``frame_name`` attribute), ``Exit`` ops lead
them out, and every other op runs in the frame of its inputs (data or control; a constant
inside a loop body hangs on the loop's pivot by a control edge). The executor refuses a
graph where an op reads from two frames (``has inputs from different frames``) and an edge
that skips an ``Enter``/``Exit`` gives that or a wrong result. This module computes frames
the way the executor does and checks new edges against them.

A frame is a tuple of frame names from the root: ``()`` is the root (no loop),
``("while/while_context",)`` one loop, and so on. Nothing here is public API.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graph_editor.errors import GraphEditValueError

__all__ = ["ENTER_TYPES", "EXIT_TYPES", "frames", "check_edges", "frame_text", "out_frame"]

ENTER_TYPES = frozenset({"Enter", "RefEnter"})
EXIT_TYPES = frozenset({"Exit", "RefExit"})
_BACK_SOURCES = frozenset({"NextIteration", "RefNextIteration"})
_MERGES = frozenset({"Merge", "RefMerge"})
Frame = tuple[str, ...]


def _frame_name(op: tf.Operation) -> str:
    try:
        name = op.get_attr("frame_name")
    except ValueError:
        return op.name
    return name.decode() if isinstance(name, bytes) else str(name)


def _preds(op: tf.Operation) -> list[tf.Operation]:
    """The ops whose frame decides ``op``'s: data inputs (no loop back edge), then control."""
    merge = op.type in _MERGES
    preds = [t.op for t in op.inputs if not (merge and t.op.type in _BACK_SOURCES)]
    return preds + list(op.control_inputs)


def out_frame(op: Any, frame_of: dict) -> Frame:
    """The frame ``op``'s outputs are read in: an Exit's loop's parent, else ``op``'s own."""
    f = frame_of.get(op, ())
    return f[:-1] if op.type in EXIT_TYPES and f else f


def frames(graph: tf.Graph) -> dict[tf.Operation, Frame]:
    """The frame of every op of ``graph`` (iterative, O(ops + edges))."""
    frame_of: dict[tf.Operation, Frame] = {}
    pushed: set = set()
    for root in graph.get_operations():
        stack = [root]
        while stack:
            op = stack[-1]
            if op in frame_of:
                stack.pop()
                continue
            preds = _preds(op)[:1]  # one input decides (the executor's rule)
            if preds and preds[0] not in frame_of and preds[0] not in pushed:
                pushed.add(preds[0])
                stack.append(preds[0])
                continue
            stack.pop()
            # A first input still unassigned here closes a cycle: give up on it (root).
            outer = out_frame(preds[0], frame_of) if preds and preds[0] in frame_of else ()
            frame_of[op] = outer + (_frame_name(op),) if op.type in ENTER_TYPES else outer
    return frame_of


def frame_text(frame: Frame) -> str:
    """``frame`` for a message: 'the root frame' or "while-loop frame 'a/while_context'"."""
    return "the root frame (outside every while loop)" if not frame else (
        f"while-loop frame '{frame[-1]}'")


def check_edges(graph: tf.Graph, edges: list, pending: set) -> None:
    """Refuse new edges ``(producer, consumer)`` that cross v1 while-loop frames.

    A consumer reads in its own frame, except an ``Enter``, which reads in its loop's parent
    frame; a producer writes in its frame, except an ``Exit``, which writes in its loop's
    parent. ``pending`` holds ops not created yet (new placeholders: the root frame).

    Raises:
        GraphEditValueError: naming both ops and both frames.
    """
    frame_of = frames(graph)
    for p, c in edges:
        pf = () if p in pending else out_frame(p, frame_of)
        cf = frame_of.get(c, ())
        if c.type in ENTER_TYPES:
            cf = cf[:-1]
        if pf != cf:
            raise GraphEditValueError(
                f"Refusing the edit: '{c.name}' runs in {frame_text(cf)} but would depend on "
                f"'{p.name}', which is in {frame_text(pf)}. v1 while-loop frames connect only "
                "through Enter (into a loop) and Exit (out of it); TensorFlow would fail with "
                "'inputs from different frames' or compute a wrong result. The graph was left "
                "unchanged. Edit ops of one frame, or rebuild the loop."
            )
