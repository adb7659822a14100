"""Nested structures and lists with identity semantics for TF objects (part of ``util``).

The public names here are contrib's ``util`` helpers and are re-exported by
:mod:`graph_editor.util` (``ge.util.flatten_tree`` etc.); this module only keeps
``util.py`` to one screenful of concepts.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import tensorflow as tf

from graph_editor.errors import GraphEditTypeError

__all__ = [
    "concatenate_unique",
    "ListView",
    "is_iterable",
    "flatten_tree",
    "transform_tree",
]


def is_iterable(obj: Any) -> bool:
    """Return True if ``obj`` is iterable and is not a ``tf.Tensor``.

    Example:
        >>> ge.util.is_iterable([1, 2]), ge.util.is_iterable(a)
        (True, False)
    """
    if isinstance(obj, tf.Tensor):
        return False
    try:
        iter(obj)
    except Exception:  # noqa: BLE001 - TF variables raise various errors from __iter__
        return False
    return True


def _is_leaf(obj: Any) -> bool:
    return isinstance(obj, (str, bytes)) or not is_iterable(obj)


def _identity_key(obj: Any) -> Any:
    """Hash key with identity semantics for TF objects, equality for everything else."""
    if isinstance(obj, (tf.Tensor, tf.Variable, tf.Operation)):
        return ("__ge_id__", id(obj))
    return obj


def concatenate_unique(la: list, lb: Iterable) -> list:
    """Append to ``la`` the items of ``lb`` not already in ``la``, keeping ``lb``'s order.

    ``la`` is modified in place and returned. TF objects are compared by identity.

    Args:
        la: the list to extend.
        lb: the items to append.

    Returns:
        ``la``.

    Example:
        >>> ge.util.concatenate_unique([1, 2], [2, 3, 1, 4])
        [1, 2, 3, 4]
    """
    seen = {_identity_key(x) for x in la}
    for item in lb:
        key = _identity_key(item)
        if key not in seen:
            la.append(item)
            seen.add(key)
    return la


class ListView(Sequence):
    """A read-only view of a list (contrib's ``util.ListView``).

    Supports ``len``, iteration, ``bool``, indexing and slicing; ``view + other`` returns a
    new ``list``; item assignment raises ``TypeError``. Membership and equality compare
    elements by identity, so views of tensors work in every graph.

    Example:
        >>> view = ge.util.ListView([a, b])
        >>> view[0] is a, len(view), [t.name for t in view + [c]]
        (True, 2, ['a:0', 'b:0', 'c:0'])
    """

    __slots__ = ("_list",)

    def __init__(self, list_: list) -> None:
        if not isinstance(list_, list):
            raise GraphEditTypeError(
                f"ListView expects a list, got {type(list_).__name__}. "
                "Wrap it with list(...) first."
            )
        self._list = list_

    def __iter__(self) -> Iterator:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return bool(self._list)

    def __getitem__(self, i: Any) -> Any:
        return self._list[i]

    def __contains__(self, item: object) -> bool:
        return any(x is item for x in self._list)

    def __add__(self, other: Iterable) -> list:
        return list(self._list) + list(other)

    def __radd__(self, other: Iterable) -> list:
        return list(other) + list(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (list, tuple, ListView)):
            return NotImplemented
        return len(self._list) == len(other) and all(
            x is y for x, y in zip(self._list, other)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ListView({self._list!r})"


def flatten_tree(tree: Any, leaves: list | None = None) -> list:
    """Return the leaves of a nested structure (dict values included), depth first.

    Strings and tensors are leaves.

    Args:
        tree: a nested structure of dicts, lists, tuples, ... and leaves.
        leaves: an optional list to append the leaves to.

    Returns:
        The list of leaves.

    Example:
        >>> ge.util.flatten_tree({"a": [1, 2], "b": (3, {"c": 4})})
        [1, 2, 3, 4]
    """
    if leaves is None:
        leaves = []
    if isinstance(tree, Mapping):
        for child in tree.values():
            flatten_tree(child, leaves)
    elif _is_leaf(tree):
        leaves.append(tree)
    else:
        for child in tree:
            flatten_tree(child, leaves)
    return leaves


def transform_tree(tree: Any, fn: Callable[[Any], Any], iterable_type: type = tuple) -> Any:
    """Rebuild a nested structure with ``fn`` applied to every leaf.

    dict, OrderedDict, defaultdict, namedtuple, tuple, list and other sequences keep their
    type; any other iterable becomes ``iterable_type``. Strings and tensors are leaves.

    Args:
        tree: the nested structure.
        fn: called on every leaf.
        iterable_type: type for iterables that are not a known container.

    Returns:
        A structure of the same shape holding ``fn(leaf)``.

    Example:
        >>> ge.util.transform_tree({"a": [1, 2], "b": (3,)}, lambda x: 10 * x)
        {'a': [10, 20], 'b': (30,)}
    """

    def rec(node: Any) -> Any:
        if _is_leaf(node):
            return fn(node)
        make: Any = type(node)  # the container's own class, rebuilt with new children
        if isinstance(node, Mapping):
            items = [(k, rec(v)) for k, v in node.items()]
            if isinstance(node, collections.defaultdict):
                return make(node.default_factory, items)
            try:
                return make(items)
            except TypeError:
                return dict(items)
        if isinstance(node, tuple):
            if hasattr(node, "_fields"):  # namedtuple
                return type(node)(*[rec(child) for child in node])
            return type(node)(rec(child) for child in node)
        if isinstance(node, (list, Sequence)):
            try:
                return make(rec(child) for child in node)
            except TypeError:
                return [rec(child) for child in node]
        return iterable_type(rec(child) for child in node)

    return rec(tree)
