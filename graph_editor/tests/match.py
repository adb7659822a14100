"""Legacy location of :mod:`graph_editor.match` (``tf.contrib.graph_editor.tests.match``)."""

from graph_editor.match import OpMatcher, op_type

__all__ = ["OpMatcher", "op_type"]
