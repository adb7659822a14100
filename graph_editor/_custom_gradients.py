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
2. finds the copy's tensor for each of them: the op's own input at the same position
   (what ``tf.custom_gradient`` closes over is mostly its arguments, which are inputs of
   its ``IdentityN``; by position, because grappler's inlining may rename nodes), else
   the tensor of the same name relative to the op (tensors fed to the copy map to their
   placeholders); a copy of a copy follows the chain;
3. calls the traced function with its captures re-bound to those tensors.

The copy then differentiates exactly as the source does, and saving it serialises the
gradient like any other custom gradient. The work is deferred to the first gradient (or
save) because tracing costs ~15 ms per op: 0.7 s of the 2.3 s ``graph_from_keras`` took on
EfficientNetB0 when it traced eagerly.

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

    __slots__ = ("parent", "src_name", "op", "specs", "to_dst")

    def __init__(self, parent: bytes, src_name: str, op: tf.Operation,
                 to_dst: Callable[[str], Any]) -> None:
        self.parent = parent  # gradient op type of the source op
        self.src_name = src_name  # the source op's name, in the namespace to_dst resolves
        self.op = op  # the copy
        self.specs = [tf.TensorSpec(t.shape, t.dtype) for t in op.outputs]
        self.to_dst = to_dst


class _Recipe:
    """A traced gradient and where its captured values are, relative to one op (``op``).

    ``items``, one per capture of ``fn``: ``("input", i)``, the op's input ``i`` (what
    ``tf.custom_gradient`` closes over is mostly its own inputs: the function's arguments);
    ``("name", tensor name)`` in the op's graph (an intermediate of the forward pass); or
    ``("value", v)``, an eager value (variable handle, constant), valid anywhere.
    """

    __slots__ = ("fn", "op", "items")

    def __init__(self, fn: Any, op: tf.Operation, items: list) -> None:
        self.fn = fn
        self.op = op
        self.items = items

    def values(self) -> list:
        """The captured values for a call now (inputs as the op reads them now)."""
        op = self.op
        get = op.graph.get_tensor_by_name
        return [op.inputs[x] if kind == "input" else get(x) if kind == "name" else x
                for kind, x in self.items]


_KEEP, _DROP = "keep", "drop"
#: our gradient op types -> link to the source's type
_LINKS: dict[bytes, _Link] = {}
#: gradient op type -> _Recipe, (_KEEP, root type: works on copies as is) or (_DROP,)
_RESOLVED: dict[bytes, Any] = {}
#: graph -> (its op count when indexed, {gradient op type: op name})
_ANCHORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _anchor(graph: tf.Graph, op_type: bytes) -> tf.Operation | None:
    """The op of ``graph`` whose gradient is ``op_type`` (None if none)."""
    cached = _ANCHORS.get(graph)
    if cached is None or cached[0] != graph.version:
        index: dict[bytes, str] = {}
        for node in graph.as_graph_def().node:
            if ATTR in node.attr:
                index.setdefault(node.attr[ATTR].s, node.name)
        cached = _ANCHORS[graph] = (graph.version, index)
    name = cached[1].get(op_type)
    return None if name is None else graph.get_operation_by_name(name)


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
    op = _anchor(next(iter(graphs.values())), op_type) if len(graphs) == 1 else None
    if op is None:
        return (_DROP,)
    slots = {(t.op.name, t.value_index): i for i, t in enumerate(op.inputs)}
    items = []
    for c in captures:
        if _tf.is_eager_value(c):
            items.append(("value", c))
        else:
            i = slots.get((c.op.name, c.value_index))
            items.append(("name", c.name) if i is None else ("input", i))
    return _Recipe(fn, op, items)


def _derive(parent: _Recipe, link: _Link) -> Any:
    """The recipe for a copy of ``parent.op``, or (_DROP,) if a capture was not copied."""
    op, items = link.op, []
    prefix = None
    for kind, x in parent.items:
        if kind == "input":
            if x >= len(op.inputs) or op.inputs[x].dtype != parent.op.inputs[x].dtype:
                return (_DROP,)
        elif kind == "name":
            if prefix is None:  # the source op's name, relative to the parent's op
                anchor, src = parent.op.name, link.src_name
                if not (src == anchor or src.endswith("/" + anchor)):
                    return (_DROP,)
                prefix = src[: len(src) - len(anchor)]
            t = link.to_dst(prefix + x)
            if t is None or t.dtype != parent.op.graph.get_tensor_by_name(x).dtype:
                return (_DROP,)
            x = t.name
        items.append((kind, x))
    return _Recipe(parent.fn, op, items)


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
            outcome = _derive(outcome, _LINKS[child])
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
            return list(_tf.call_with_captures(outcome.fn, full, outcome.values()))
        if outcome[0] == _KEEP:
            source = _tf.registered_gradient(outcome[1])
            if source is None:  # what TF raises for the source op
                raise LookupError(f"gradient registry has no entry for: {outcome[1]!r}")
            return source(op, *grads)
        warnings.warn(
            f"The custom gradient (tf.custom_gradient) of the copied op '{link.op.name}' "
            f"reads tensors the copy does not contain: '{link.op.name}' gets TensorFlow's "
            "gradient of its forward ops instead (the same for activations such as swish, "
            "not for straight-through or clipping gradients). Include the tensors that "
            "gradient reads in the copy to keep it.",
            stacklevel=2,
        )
        default = _tf.registered_gradient(link.op.type)
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
