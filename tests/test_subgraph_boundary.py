"""SubGraphView computes its boundary in one pass; it must equal compute_boundary_ts."""

from __future__ import annotations

import random

import pytest
import tensorflow as tf

import graph_editor as ge


def _names(ts: list) -> list[str]:
    return [t.name for t in ts]


@pytest.mark.parametrize("seed", range(6))
def test_view_boundary_equals_compute_boundary_ts(seed):
    rng = random.Random(seed)
    g = tf.Graph()
    with g.as_default():
        ts = [tf.compat.v1.placeholder(tf.float32, [2], name=f"x{i}") for i in range(3)]
        for i in range(40):
            a, b = rng.choice(ts), rng.choice(ts[-6:])
            k = rng.random()
            if k < 0.3:
                out = tf.tanh(a, name=f"t{i}")
            elif k < 0.6:
                out = tf.add(a, b, name=f"a{i}")
            elif k < 0.8:
                out = tf.multiply(b, b, name=f"m{i}")  # one consumer reading a tensor twice
            else:
                out = tf.split(tf.concat([a, b], 0), 2, name=f"s{i}")[rng.randrange(2)]
            ts.append(out)
    ops = g.get_operations()
    for _ in range(10):
        picked = rng.sample(ops, rng.randrange(1, len(ops)))
        picked += picked[: len(picked) // 4]  # repeats are dropped by the view
        view = ge.SubGraphView(picked)
        ins, outs, _ = ge.compute_boundary_ts(list(dict.fromkeys(picked)))
        assert _names(view.inputs) == _names(ins)
        assert _names(view.outputs) == _names(outs)
