"""graph_replace's window needs creation order to be topological; the check reads ids in
bulk and must agree with the edge-by-edge definition, for data and control edges."""

from __future__ import annotations

import tensorflow as tf

import graph_editor as ge
from graph_editor import transform


def _naive(ops: list) -> bool:
    return all(p._id < op._id for op in ops for p in [t.op for t in op.inputs]
               + list(op.control_inputs))


def test_order_check_agrees_with_the_definition_for_data_and_control_edges():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        b = tf.add(a, a, name="b")
        c = tf.identity(b, name="c")
        late = tf.constant(3.0, name="late")
    ops = g.get_operations()
    assert transform._edges_increase(ops) is True and _naive(ops) is True
    ge.add_control_inputs(b.op, [late.op])  # a control edge against creation order
    assert transform._edges_increase(ops) is False and _naive(ops) is False
    ge.remove_control_inputs(b.op, [late.op])
    assert transform._edges_increase(ops) is True
    ge.reroute_ts(late, a, can_modify=[b.op])  # a data edge against creation order
    assert transform._edges_increase(ops) is False and _naive(ops) is False
    assert transform._edges_increase([c.op]) is True  # only the ops given are checked
