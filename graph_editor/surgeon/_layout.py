"""Channel layouts: which producer channel each channel of a tensor comes from.

A layout is a tuple of segments ``(key, n, mult)``: the next ``n * mult`` channels of the
tensor come from channels ``0..n-1`` of the channel *group* ``key``, each repeated ``mult``
times in a row (a depthwise convolution with depth multiplier ``m`` turns ``mult`` into
``mult * m``). Concatenation joins segment lists; ``Flatten`` tiles them. Groups are the
sets of a union-find: an element-wise merge (``Add``...) unifies its inputs' groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Segment", "Groups", "size", "expand", "tile", "deleted_indices", "same_form"]

Segment = tuple  # (key: int, n: int, mult: int)


def size(layout: tuple) -> int:
    return sum(n * mult for _, n, mult in layout)


def expand(layout: tuple, m: int) -> tuple:
    """Each channel repeated ``m`` times in a row (depthwise multiplier)."""
    return tuple((key, n, mult * m) for key, n, mult in layout)


def tile(layout: tuple, outer: int, inner: int) -> tuple:
    """The layout after flattening ``(outer, C, inner)`` row-major into one axis."""
    return expand(layout, inner) * outer


def same_form(a: tuple, b: tuple) -> bool:
    """Segments line up one to one (same sizes and repetitions)."""
    return len(a) == len(b) and all(x[1:] == y[1:] for x, y in zip(a, b))


def deleted_indices(layout: tuple, deleted: dict, find: Any) -> list[int]:
    """Tensor channel indices removed when group ``find(key)`` loses ``deleted[root]``."""
    out: list[int] = []
    offset = 0
    for key, n, mult in layout:
        gone = deleted.get(find(key))
        if gone:
            for c in gone:
                start = offset + c * mult
                out.extend(range(start, start + mult))
        offset += n * mult
    out.sort()
    return out


@dataclass
class _Group:
    n: int
    producers: list = field(default_factory=list)  # layer objects, in model order
    blocked: list = field(default_factory=list)  # reasons it cannot be pruned
    outputs: list = field(default_factory=list)  # model outputs it reaches


class Groups:
    """Union-find over channel groups, each with its producers and blocking reasons."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.data: list[_Group] = []

    def new(self, n: int, producer: Any = None, blocked: str | None = None) -> int:
        key = len(self.parent)
        self.parent.append(key)
        group = _Group(n)
        if producer is not None:
            group.producers.append(producer)
        if blocked:
            group.blocked.append(blocked)
        self.data.append(group)
        return key

    def find(self, key: int) -> int:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        ga, gb = self.data[ra], self.data[rb]
        seen = {id(p) for p in ga.producers}
        ga.producers += [p for p in gb.producers if id(p) not in seen]
        ga.blocked += gb.blocked
        ga.outputs += gb.outputs
        return ra

    def group(self, key: int) -> _Group:
        return self.data[self.find(key)]

    def block(self, layout: tuple, reason: str) -> None:
        for key, _, _ in layout:
            group = self.group(key)
            if reason not in group.blocked:
                group.blocked.append(reason)
