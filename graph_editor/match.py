"""Matching ops by name, type and neighbourhood: contrib's ``OpMatcher`` and ``op_type``.

``tf.contrib.graph_editor`` shipped this module as ``graph_editor.tests.match`` (TF 1.1-1.15)
and as top-level names before that; both locations work here (``ge.match``,
``ge.OpMatcher``, ``ge.op_type``, the legacy alias ``ge.matcher``, and
``graph_editor.tests.match``). Fixed from the original:

- ``op_type("AddV2")`` matches exactly (the original did a substring test, so it also
  matched ``Add`` ops); several types can be given as any collection;
- ``output_ops(None, ...)`` leaves that output unconstrained (the original appended the
  ``None`` and then a list for it as well);
- calling a matcher with anything but a ``tf.Operation`` (a tensor, None) raises
  :class:`~graph_editor.errors.GraphEditTypeError`, a ``TypeError`` as in contrib;
- errors name what is wrong.

Example::

    relu_after_matmul = ge.OpMatcher(ge.op_type("Relu")).input_ops(
        ge.OpMatcher(ge.op_type(["BiasAdd", "AddV2"])).input_ops(ge.op_type("MatMul"), True)
    )
    matches = [op for op in graph.get_operations() if relu_after_matmul(op)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import tensorflow as tf

from graph_editor import select, util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError

__all__ = ["op_type", "OpMatcher"]

OpPredicate = Callable[[tf.Operation], Any]


def op_type(op_types: str | Iterable[str], op: tf.Operation | None = None) -> Any:
    """A predicate true for ops of exactly one of the given types.

    Args:
        op_types: an op type (``"MatMul"``) or a collection of types.
        op: if given, the predicate is applied to it and the bool is returned.

    Returns:
        The predicate ``op -> bool``, or its value on ``op``.

    Example:
        >>> is_add = ge.op_type(["Add", "AddV2"])
        >>> is_add(graph.get_operation_by_name("c")), ge.op_type("Add", c.op)
        (True, False)
    """
    if isinstance(op_types, str):
        types = frozenset((op_types,))
    else:
        try:
            types = frozenset(op_types)
        except TypeError:
            raise GraphEditTypeError(
                f"op_type expects a type name or a collection of them, got "
                f"{util._describe(op_types)}."
            ) from None
        bad = [t for t in types if not isinstance(t, str)]
        if bad:
            raise GraphEditTypeError(f"op types must be strings, got {bad!r}.")

    def predicate(op_: tf.Operation) -> bool:
        return op_.type in types

    predicate.op_types = types  # type: ignore[attr-defined] # read by ge.rewrite
    if op is not None:
        if not isinstance(op, tf.Operation):
            raise GraphEditTypeError(
                f"op_type(..., op): op must be a tf.Operation, got {util._describe(op)}."
            )
        return predicate(op)
    return predicate


class OpMatcher:
    """Matches an op by a filter and, optionally, by its inputs, control inputs and consumers.

    Args:
        positive_filter: a regex (searched in the op name), a specific ``tf.Operation``,
            a callable ``op -> bool``, or ``True`` (any op).

    Example:
        >>> with graph.as_default():
        ...     relu = tf.nn.relu(tf.matmul(tf.ones([1, 2]), tf.ones([2, 2])), name="layer/relu")
        >>> m = ge.OpMatcher("relu").input_ops(ge.OpMatcher(ge.op_type("MatMul")))
        >>> m(graph.get_operation_by_name("layer/relu"))
        True
    """

    def __init__(self, positive_filter: Any) -> None:
        self.positive_filter: OpPredicate = self._finalize_positive_filter(positive_filter)
        self.input_op_matches: list[OpMatcher | None] | None = None
        self.control_input_op_matches: list[OpMatcher | None] | None = None
        self.output_op_matches: list[list[OpMatcher | None] | None] | None = None

    @staticmethod
    def _finalize_positive_filter(elem: Any) -> OpPredicate:
        if select.can_be_regex(elem):
            regex = select.make_regex(elem)
            return lambda op: regex.search(op.name) is not None
        if isinstance(elem, tf.Operation):
            def is_elem(op: tf.Operation) -> bool:
                return op is elem

            is_elem.op_types = frozenset((elem.type,))  # type: ignore[attr-defined]
            return is_elem
        if elem is True:
            return lambda op: True
        if callable(elem):
            return elem
        raise GraphEditValueError(
            f"Cannot use {util._describe(elem)} as an op filter: pass a regex, an op, a "
            "callable or True."
        )

    @staticmethod
    def _finalize_op_match(elem: Any) -> OpMatcher | None:
        if elem is None or isinstance(elem, OpMatcher):
            return elem
        return OpMatcher(elem)

    def __call__(self, op: tf.Operation) -> bool:
        """True if ``op`` matches.

        Raises:
            GraphEditTypeError: ``op`` is not a ``tf.Operation`` (a ``TypeError``, as in
                contrib); for a tensor, pass its producer ``t.op``.
        """
        if not isinstance(op, tf.Operation):
            raise GraphEditTypeError(
                f"An OpMatcher matches a tf.Operation, got {util._describe(op)}."
                + (" Pass the op that produces it (`t.op`)." if isinstance(op, tf.Tensor)
                   else "")
            )
        if not self.positive_filter(op):
            return False
        if self.input_op_matches is not None:
            inputs = op.inputs
            if len(inputs) != len(self.input_op_matches):
                return False
            for t, matcher in zip(inputs, self.input_op_matches):
                if matcher is not None and not matcher(t.op):
                    return False
        if self.control_input_op_matches is not None:
            cinputs = op.control_inputs
            if len(cinputs) != len(self.control_input_op_matches):
                return False
            for cop, matcher in zip(cinputs, self.control_input_op_matches):
                if matcher is not None and not matcher(cop):
                    return False
        if self.output_op_matches is not None:
            outputs = op.outputs
            if len(outputs) != len(self.output_op_matches):
                return False
            for t, matchers in zip(outputs, self.output_op_matches):
                if matchers is None:
                    continue
                consumers = t.consumers()
                if len(consumers) != len(matchers):
                    return False
                for consumer, matcher in zip(consumers, matchers):
                    if matcher is not None and not matcher(consumer):
                        return False
        return True

    def input_ops(self, *args: Any) -> OpMatcher:
        """Constrain the producers of the inputs, one matcher (or None) per input slot.

        Each element is an :class:`OpMatcher`, or anything its constructor takes, or None.
        Can be set once. Returns ``self``.
        """
        if self.input_op_matches is not None:
            raise GraphEditValueError("input_ops is already set on this OpMatcher.")
        self.input_op_matches = [self._finalize_op_match(a) for a in args]
        return self

    def control_input_ops(self, *args: Any) -> OpMatcher:
        """Constrain the control inputs, one matcher (or None) per control input.

        Can be set once. Returns ``self``.
        """
        if self.control_input_op_matches is not None:
            raise GraphEditValueError("control_input_ops is already set on this OpMatcher.")
        self.control_input_op_matches = [self._finalize_op_match(a) for a in args]
        return self

    def output_ops(self, *args: Any) -> OpMatcher:
        """Constrain the consumers of each output.

        One argument per output: None (any consumers), or a list with one matcher per
        consumer (a single matcher means a list of one). Can be set once. Returns ``self``.
        """
        if self.output_op_matches is not None:
            raise GraphEditValueError("output_ops is already set on this OpMatcher.")
        matches: list[list[OpMatcher | None] | None] = []
        for consumers in args:
            if consumers is None:
                matches.append(None)
                continue
            if not isinstance(consumers, (list, tuple)):
                consumers = [consumers]
            matches.append([self._finalize_op_match(c) for c in consumers])
        self.output_op_matches = matches
        return self
