"""Patterns compiled for ``ge.rewrite`` / ``ge.find_matches`` (private).

A pattern is an :class:`~graph_editor.match.OpMatcher` tree or a Python function of tensors
traced into a private graph; both compile to an object whose ``match(op)`` returns the
matched ops, their pattern names and the match's input tensors, or None. v1 control-flow
plumbing is matched only by a pattern that names a control-flow type.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from graph_editor import util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError
from graph_editor.match import OpMatcher

__all__ = ["compile_pattern", "is_plumbing"]


# --------------------------------------------------------------------------------------------
# Compiled patterns
# --------------------------------------------------------------------------------------------


# v1 control-flow plumbing: matched only by a pattern that names one of these types.
_CONTROL_FLOW_TYPES = frozenset({
    "Switch", "RefSwitch", "Merge", "RefMerge", "Enter", "RefEnter", "Exit", "RefExit",
    "NextIteration", "RefNextIteration", "LoopCond", "ControlTrigger",
})


def is_plumbing(op: tf.Operation) -> bool:
    """A v1 control-flow op, or a cond/loop pivot (an Identity fed by a Switch)."""
    if op.type in _CONTROL_FLOW_TYPES:
        return True
    return op.type in ("Identity", "IdentityN") and any(
        t.op.type in ("Switch", "RefSwitch") for t in op.inputs)


def _matcher_types(matcher: OpMatcher) -> set[str]:
    """The op types an OpMatcher tree names explicitly (``ge.op_type`` or an op)."""
    types: set[str] = set()
    stack = [matcher]
    while stack:
        m = stack.pop()
        types.update(getattr(m.positive_filter, "op_types", ()))
        for subs in (m.input_op_matches, m.control_input_op_matches):
            stack.extend(s for s in subs or () if s is not None)
        for subs in m.output_op_matches or ():
            stack.extend(s for s in subs or () if s is not None)
    return types


class _MatcherPattern:
    """An OpMatcher tree: the root matcher decides; nested input matchers collect ops."""

    root_types: frozenset | None = None

    def __init__(self, matcher: OpMatcher) -> None:
        self.matcher = matcher
        self.allows_control_flow = bool(_matcher_types(matcher) & _CONTROL_FLOW_TYPES)

    def match(self, op: tf.Operation) -> tuple[list, list, list] | None:
        if not self.matcher(op):
            return None
        ops = [op]
        index = {op}
        stack = [(self.matcher, op)]
        while stack:
            m, g = stack.pop()
            subs = m.input_op_matches
            if not subs:
                continue
            pushed = []
            for t, sub in zip(g.inputs, subs):
                if sub is None:
                    continue
                src = t.op
                if src not in index:
                    index.add(src)
                    ops.append(src)
                    pushed.append((sub, src))
            stack.extend(reversed(pushed))
        inputs: list = []
        seen_t: set = set()
        for o in ops:
            for t in o.inputs:
                if t.op not in index and t.name not in seen_t:
                    seen_t.add(t.name)
                    inputs.append(t)
        return ops, [o.type for o in ops], inputs


def _pattern_order(root: tf.Operation, phs: list) -> list[tf.Operation]:
    """Pattern ops in pre-order from the root (inputs left to right), placeholders apart;
    every placeholder must be used."""
    ph_ops = {t.op for t in phs}
    order = [root]
    index = {root}
    stack = [root]
    while stack:
        p = stack.pop()
        pushed = []
        for t in p.inputs:
            if t.op not in index and t.op not in ph_ops:
                index.add(t.op)
                pushed.append(t.op)
        order.extend(pushed)
        stack.extend(reversed(pushed))
    used_ph = {t.op for p in order for t in p.inputs if t.op in ph_ops}
    unused = [ph.op.name for ph in phs if ph.op not in used_ph]
    if unused:
        raise GraphEditValueError(
            f"Pattern arguments {unused} are not used by the pattern's output; remove them."
        )
    return order


class _TracedPattern:
    """A Python function of tensors traced into a private graph."""

    def __init__(self, fn: Callable, dtypes: Any, match_const_values: bool) -> None:
        self.match_const_values = match_const_values
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            raise GraphEditTypeError(
                f"Cannot read the arguments of the pattern {util._describe(fn)}: pass a "
                "function of tensors or an OpMatcher."
            ) from None
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        params = [p for p in params if p.kind in kinds and p.default is inspect.Parameter.empty]
        if isinstance(dtypes, (list, tuple)):
            if len(dtypes) != len(params):
                raise GraphEditValueError(
                    f"pattern_dtypes has {len(dtypes)} entries but the pattern takes "
                    f"{len(params)} tensor arguments ({[p.name for p in params]})."
                )
            specs = [_spec(d) for d in dtypes]
        else:
            specs = [_spec(dtypes)] * len(params)
        g = tf.Graph()
        with g.as_default():
            phs = [
                tf.compat.v1.placeholder(dt, shape, name=p.name)
                for p, (dt, shape) in zip(params, specs)
            ]
            out = fn(*phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if not outs or not all(isinstance(t, tf.Tensor) and t.graph is g for t in outs):
            raise GraphEditTypeError(
                f"The pattern {getattr(fn, '__name__', fn)!r} must return a tensor (or tensors "
                f"of one op) built from its arguments, got {util._describe(out)}."
            )
        root = outs[0].op
        if any(t.op is not root for t in outs):
            raise GraphEditValueError(
                "The pattern returns tensors of several ops; patterns are anchored at one "
                "output op: return that op's outputs only."
            )
        ph_ops = {t.op for t in phs}
        if root in ph_ops:
            raise GraphEditValueError(
                "The pattern returns its own argument: it has no op to match."
            )
        self.root = root
        self.root_types = frozenset((root.type,))
        order = _pattern_order(root, phs)
        self.order = order
        self.allows_control_flow = any(p.type in _CONTROL_FLOW_TYPES for p in order)
        self.names = [p.name for p in order]
        self.placeholders = [t.op for t in phs]
        self.ph_set = ph_ops

    def match(self, op: tf.Operation) -> tuple[list, list, list] | None:
        root = self.root
        if op.type != root.type:
            return None
        mapping = {root: op}
        used = {op}
        binds: dict = {}
        stack = [root]
        ph_set = self.ph_set
        while stack:
            p = stack.pop()
            g = mapping[p]
            p_in = p.inputs
            g_in = g.inputs
            if len(p_in) != len(g_in):
                return None
            for pt, gt in zip(p_in, g_in):
                pop = pt.op
                if pop in ph_set:
                    prev = binds.get(pop)
                    if prev is None:
                        binds[pop] = gt
                    elif prev.name != gt.name:
                        return None
                    continue
                if pt.value_index != gt.value_index:
                    return None
                mapped = mapping.get(pop)
                gop = gt.op
                if mapped is not None:
                    if mapped is not gop:
                        return None
                    continue
                if gop.type != pop.type or gop in used:
                    return None
                if self.match_const_values and pop.type == "Const" and not _same_const(pop, gop):
                    return None
                mapping[pop] = gop
                used.add(gop)
                stack.append(pop)
        ops = [mapping[p] for p in self.order]
        return ops, self.names, [binds[ph] for ph in self.placeholders]


def _spec(d: Any) -> tuple[tf.DType, Any]:
    """(dtype, shape) of a pattern placeholder from a dtype, a TensorSpec or None."""
    if d is None:
        return tf.float32, None
    if isinstance(d, tf.TensorSpec):
        return d.dtype, d.shape
    try:
        return tf.as_dtype(d), None
    except TypeError:
        raise GraphEditTypeError(
            f"pattern_dtypes entries are dtypes or tf.TensorSpec, got {util._describe(d)}."
        ) from None


def _same_const(a: tf.Operation, b: tf.Operation) -> bool:
    try:
        va = tf.make_ndarray(a.get_attr("value"))
        vb = tf.make_ndarray(b.get_attr("value"))
    except (ValueError, TypeError):
        return False
    return va.dtype == vb.dtype and va.shape == vb.shape and bool((va == vb).all())


def compile_pattern(pattern: Any, dtypes: Any, match_const_values: bool) -> Any:
    if isinstance(pattern, (_MatcherPattern, _TracedPattern)):
        return pattern
    if isinstance(pattern, OpMatcher):
        return _MatcherPattern(pattern)
    if callable(pattern):
        return _TracedPattern(pattern, dtypes, match_const_values)
    raise GraphEditTypeError(
        f"A pattern is an OpMatcher or a function of tensors, got {util._describe(pattern)}."
    )
