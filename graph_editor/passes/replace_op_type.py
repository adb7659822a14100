"""``replace_op_type``: substitute every op of one type by an op of another, in place.

``replace_op_type(graph, "Relu", "Relu6")`` creates, for every ``Relu``, a ``Relu6`` with
the same inputs, attrs and device, and moves the consumers onto it. Before anything is
created, every op is checked: the new type must exist, take the same inputs, accept every
attr the old op sets (with allowed values) and get every attr it requires; the outputs must
keep their count and dtypes.

Example::

    report = ge.replace_op_type(graph, "Relu", "Relu6")
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graph_editor import _tf, rewrite
from graph_editor._callable_module import make_callable
from graph_editor.errors import GraphEditTypeError, GraphEditValueError
from graph_editor.match import OpMatcher, op_type
from graph_editor.passes._common import check_graph, clone_op, kept_ops, not_kept

__all__ = ["replace_op_type"]


def _op_def(graph: tf.Graph, type_name: str) -> Any:
    try:
        return _tf.op_def_for_type(graph, type_name)
    except (KeyError, ValueError, RuntimeError, tf.errors.NotFoundError):
        raise GraphEditValueError(
            f"{type_name!r} is not a registered op type (check the spelling: op types are "
            "CamelCase, e.g. 'Relu6')."
        ) from None


def _check_fits(op: tf.Operation, old_def: Any, new_def: Any) -> None:
    new_type = new_def.name
    if len(old_def.input_arg) != len(new_def.input_arg) or len(old_def.output_arg) != len(
        new_def.output_arg
    ):
        raise GraphEditValueError(
            f"{op.name!r}: {op.type} takes {len(old_def.input_arg)} input(s) and gives "
            f"{len(old_def.output_arg)} output(s), {new_type} takes {len(new_def.input_arg)} "
            f"and gives {len(new_def.output_arg)}: they cannot be swapped."
        )
    for a, b in zip(old_def.input_arg, new_def.input_arg):
        if (a.number_attr, a.type_list_attr) != (b.number_attr, b.type_list_attr):
            raise GraphEditValueError(
                f"{op.name!r}: input {a.name!r} of {op.type} and {b.name!r} of {new_type} "
                "differ in arity (list vs single tensor)."
            )
    node_attrs = op.node_def.attr
    new_attrs = {a.name: a for a in new_def.attr}
    extra = sorted(k for k in node_attrs if not k.startswith("_") and k not in new_attrs)
    if extra:
        raise GraphEditValueError(
            f"{op.name!r} ({op.type}) sets attr(s) {extra} that {new_type} does not have."
        )
    for name, spec in new_attrs.items():
        if name not in node_attrs:
            if not spec.HasField("default_value"):
                raise GraphEditValueError(
                    f"{new_type} requires attr {name!r}, which {op.name!r} ({op.type}) lacks."
                )
            continue
        allowed = spec.allowed_values.list
        value = node_attrs[name]
        if spec.type == "type" and allowed.type and value.type not in allowed.type:
            raise GraphEditValueError(
                f"{op.name!r}: {new_type} does not accept {name}="
                f"{tf.as_dtype(value.type).name}; allowed: "
                f"{[tf.as_dtype(t).name for t in allowed.type]}."
            )
        if spec.type == "string" and allowed.s and value.s not in allowed.s:
            raise GraphEditValueError(
                f"{op.name!r}: {new_type} does not accept {name}={value.s!r}; allowed: "
                f"{list(allowed.s)}."
            )


def replace_op_type(
    graph: tf.Graph, old_type: str, new_type: str, keep: Any = ()
) -> rewrite.RewriteReport:
    """Replace every op of type ``old_type`` by one of type ``new_type`` (same inputs/attrs).

    Args:
        graph: the graph, edited in place (old ops stay in the graph, unused).
        old_type: the op type to replace, e.g. ``"Relu"``.
        new_type: the replacement type, e.g. ``"Relu6"``.
        keep: tensors, ops or names that must survive unchanged (these ops are not replaced).

    Returns:
        A :class:`~graph_editor.rewrite.RewriteReport`.

    Raises:
        GraphEditValueError: an unknown type, or attrs / inputs / output dtypes that do not
            fit; raised before any change.

    Example:
        >>> with graph.as_default():
        ...     y = tf.nn.relu(tf.nn.relu(e) - 1.0)
        >>> ge.replace_op_type(graph, "Relu", "Relu6").matches
        2
    """
    check_graph(graph, "replace_op_type")
    for name, value in (("old_type", old_type), ("new_type", new_type)):
        if not isinstance(value, str):
            raise GraphEditTypeError(f"{name} must be an op type name, got {value!r}.")
    new_def = _op_def(graph, new_type)
    kept = kept_ops(graph, keep)
    candidates = [op for op in graph.get_operations() if op.type == old_type and op not in kept]
    if candidates:
        old_def = _op_def(graph, old_type)
        for op in candidates:
            _check_fits(op, old_def, new_def)

    def replacement(m: rewrite.Match) -> list:
        return list(clone_op(m.root, list(m.root.inputs), op_type=new_type).outputs)

    return rewrite.rewrite(
        graph, OpMatcher(op_type(old_type)), replacement, filter=not_kept(kept), max_iterations=1
    )


make_callable(__name__, replace_op_type)
