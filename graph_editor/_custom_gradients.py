"""Custom gradients of copied ops (private).

``tf.custom_gradient`` (Keras's swish / SiLU, hence EfficientNet and many modern nets) wraps
its results in an ``IdentityN`` op whose ``_gradient_op_type`` attr names a gradient function
registered for that one call (``CustomGradient-<uid>``). That Python function closes over
tensors of the graph it was built in (swish's gradient reads its ``features``). A copy keeps
the attr, so TF would call the source's function on the copy: across graphs it raises
``... is out of scope`` (and ``tf.saved_model.save`` raises ``Found invalid capture``);
within one graph it silently differentiates the *source's* tensors.

The fix rebuilds the gradient for each copy, the way ``tf.saved_model.save`` serialises
custom gradients. Each copied op gets a new registered type (``GraphEditorCustomGradient-n``)
whose gradient, on first use:

1. traces the source's registered function into a ``ConcreteFunction`` of the incoming
   gradients (``op`` passed as None, as TF's saver does); its captured inputs are the
   source tensors the function closes over (traced once per source type, then cached);
2. finds the copy's tensor for each of them: the same name relative to the op (a copy of
   a copy follows the chain; tensors fed to the copy map to their placeholders);
3. calls the traced function with its captures re-bound to those tensors.

The copy then differentiates exactly as the source does, and saving it serialises the
gradient like any other custom gradient. The work is deferred to the first gradient (or
save) because tracing costs ~15 ms per op, a third of ``graph_from_keras`` on EfficientNet.

Dropping the attr instead (letting TF differentiate the forward ops) is only the fallback,
with a warning, when a captured tensor has no counterpart in the copy: it is right for
swish, whose custom gradient only saves memory, but would change straight-through or
clipping gradients. Gradient functions that cannot be traced without their op (plain
``tf.RegisterGradient`` functions reading ``op.inputs``) or that capture no graph tensor
work on copies as they are: the new type calls them with the copied op.

Like ``tf.custom_gradient`` itself, each registration (and the graphs it refers to) stays
in TF's global gradient registry for the life of the process.
"""

from __future__ import annotations

import itertools
import warnings
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2

from graph_editor import _tf

__all__ = ["ATTR", "rebind"]

ATTR = "_gradient_op_type"
_PREFIX = "GraphEditorCustomGradient-"
_counter = itertools.count(1)
_NOT_TRACEABLE = (tf.resource, tf.variant)


class _Link:
    """One copied op's gradient: its source's type and how to find the copy's tensors."""

    __slots__ = ("parent", "src_name", "op_name", "op_type", "specs", "to_dst")

    def __init__(self, parent: bytes, src_name: str, op: tf.Operation,
                 to_dst: Callable[[str], Any]) -> None:
        self.parent = parent  # gradient op type of the source op
        self.src_name = src_name  # the source op's name, in the namespace to_dst resolves
        self.op_name = op.name
        self.op_type = op.type
        self.specs = [tf.TensorSpec(t.shape, t.dtype) for t in op.outputs]
        self.to_dst = to_dst


class _Recipe:
    """A traced gradient and the values bound to its captures for one op.

    ``anchor``: the name of that op, in the graph of the graph tensors of ``captures``
    (which may also hold eager values: variable handles, constants).
    """

    __slots__ = ("fn", "anchor", "captures")

    def __init__(self, fn: Any, anchor: str | None, captures: list) -> None:
        self.fn = fn
        self.anchor = anchor
        self.captures = captures


_KEEP, _DROP = "keep", "drop"
#: our gradient op types -> link to the source's type
_LINKS: dict[bytes, _Link] = {}
#: gradient op type -> _Recipe, (_KEEP, root type: works on copies as is) or (_DROP,)
_RESOLVED: dict[bytes, Any] = {}
#: graph -> (its op count when indexed, {gradient op type: op name})
_ANCHORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _anchor(graph: tf.Graph, op_type: bytes) -> str | None:
    """Name of the op of ``graph`` whose gradient is ``op_type`` (None if none)."""
    cached = _ANCHORS.get(graph)
    if cached is None or cached[0] != graph.version:
        index: dict[bytes, str] = {}
        for node in graph.as_graph_def().node:
            if ATTR in node.attr:
                index.setdefault(node.attr[ATTR].s, node.name)
        cached = _ANCHORS[graph] = (graph.version, index)
    return cached[1].get(op_type)


def _trace(op_type: bytes, specs: list) -> Any:
    """Trace the registered gradient of a source type (not one of ours)."""
    grad_fn = _tf.registered_gradient(op_type)
    if grad_fn is None or any(s.dtype in _NOT_TRACEABLE for s in specs):
        return (_KEEP, op_type)
    try:
        with tf.init_scope():
            fn = tf.function(grad_fn, autograph=False).get_concrete_function(None, *specs)
    except Exception:  # noqa: BLE001 - the function needs its op: it works on copies as is
        return (_KEEP, op_type)
    captures = list(fn.captured_inputs)
    graphs = {id(c.graph): c.graph for c in captures if not _tf.is_eager_value(c)}
    if not graphs:
        return (_KEEP, op_type)  # only eager values (or nothing) captured: valid anywhere
    anchor = _anchor(next(iter(graphs.values())), op_type) if len(graphs) == 1 else None
    return _Recipe(fn, anchor, captures)


def _values(recipe: _Recipe, link: _Link) -> list | None:
    """The copy's values for the recipe's captures, or None if one has no counterpart."""
    anchor, src_name = recipe.anchor, link.src_name
    if anchor is None or not (src_name == anchor or src_name.endswith("/" + anchor)):
        return None
    prefix = src_name[: len(src_name) - len(anchor)]
    values = []
    for c in recipe.captures:
        if _tf.is_eager_value(c):
            values.append(c)
            continue
        v = link.to_dst(prefix + c.name)
        if v is None or v.dtype != c.dtype:
            return None
        values.append(v)
    return values


def _resolve(op_type: bytes, specs: list) -> Any:
    """What the gradient of ``op_type`` is: a _Recipe, (_KEEP, root) or (_DROP,)."""
    chain = []
    while op_type not in _RESOLVED and op_type in _LINKS:
        chain.append(op_type)
        op_type = _LINKS[op_type].parent
    if op_type not in _RESOLVED:
        _RESOLVED[op_type] = _trace(op_type, specs)
    outcome = _RESOLVED[op_type]
    for child in reversed(chain):
        if isinstance(outcome, _Recipe):
            link = _LINKS[child]
            values = _values(outcome, link)
            outcome = (_DROP,) if values is None else _Recipe(outcome.fn, link.op_name, values)
        _RESOLVED[child] = outcome
    return outcome


def _zeros(op: tf.Operation | None, i: int, spec: tf.TensorSpec) -> tf.Tensor:
    if op is not None:
        return tf.zeros_like(op.outputs[i])
    return tf.zeros([1 if d is None else d for d in spec.shape.as_list()], spec.dtype)


def _gradient(op_type: bytes) -> Callable[..., Any]:
    link = _LINKS[op_type]

    def gradient(op: tf.Operation | None, *grads: Any) -> Any:
        # op is None when tf.saved_model.save traces this function.
        outcome = _resolve(op_type, link.specs)
        if isinstance(outcome, _Recipe):
            # Unconnected outputs get None; the traced function wants tensors (zeros, as
            # TF's SavedModel loader does).
            full = [_zeros(op, i, s) if g is None else g
                    for i, (g, s) in enumerate(zip(grads, link.specs))]
            return list(_tf.call_with_captures(outcome.fn, full, outcome.captures))
        if outcome[0] == _KEEP:
            return _tf.registered_gradient(outcome[1])(op, *grads)
        warnings.warn(
            f"The custom gradient (tf.custom_gradient) of the copied op '{link.op_name}' "
            f"reads tensors the copy does not contain: '{link.op_name}' gets TensorFlow's "
            "gradient of its forward ops instead (the same for activations such as swish, "
            "not for straight-through or clipping gradients). Include the tensors that "
            "gradient reads in the copy to keep it.",
            stacklevel=2,
        )
        default = _tf.registered_gradient(link.op_type)
        return default(op, *grads) if default is not None else [None] * len(grads)

    return gradient


def rebind(pairs: Iterable[tuple[str, tf.Operation]], to_dst: Callable[[str], Any]) -> int:
    """Give each copied op with a custom gradient a gradient reading the copy's tensors.

    Args:
        pairs: ``(source name, copied op)`` for the copied ops that may carry ``ATTR``; the
            source name is the op's name in the namespace ``to_dst`` resolves.
        to_dst: source tensor name -> the copy's tensor for it (None if not copied). Kept,
            and called when the gradient is first needed.

    Returns:
        How many ops got a new gradient type.
    """
    n = 0
    for src_name, op in pairs:
        try:
            parent = op.get_attr(ATTR)
        except ValueError:
            continue
        new_type = f"{_PREFIX}{next(_counter)}"
        _LINKS[new_type.encode()] = _Link(parent, src_name, op, to_dst)
        tf.RegisterGradient(new_type)(_gradient(new_type.encode()))
        _tf.set_attr(op, ATTR, attr_value_pb2.AttrValue(s=new_type.encode()))
        n += 1
    return n
