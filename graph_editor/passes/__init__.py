"""Deployment passes, one module each: strip_unused, remove_identity, fold_batch_norm,
replace_op_type, fold_constants.

``strip_unused`` returns a new graph (TensorFlow cannot delete ops); the others edit the
graph in place and return a :class:`~graph_editor.rewrite.RewriteReport` of what changed
(:class:`FoldBatchNormReport` and :class:`FoldConstantsReport` add pass-specific fields).
Every pass keeps the ops named in ``keep`` (the graph's named inputs/outputs) and the
control dependencies that order something (edges from constants are dropped).

The deployment pipeline for a frozen graph (``convert_variables_to_constants_v2``)::

    keep = ["Identity"]                          # the output ops
    ge.fold_batch_norm(graph, keep=keep)
    ge.remove_identity(graph, keep=keep)
    ge.fold_constants(graph, keep=keep)
    small = ge.strip_unused(graph, inputs=["x:0"], outputs=["Identity:0"])
"""

# Each pass is its module, callable as the function of the same name (see
# graph_editor._callable_module): ``import graph_editor.passes.strip_unused as m`` gives the
# module and ``ge.passes.strip_unused(graph, ...)`` runs the pass.
from graph_editor.passes import (
    fold_batch_norm,
    fold_constants,
    remove_identity,
    replace_op_type,
    strip_unused,
)
from graph_editor.passes.fold_batch_norm import FoldBatchNormReport
from graph_editor.passes.fold_constants import FoldConstantsReport

__all__ = [
    "strip_unused",
    "remove_identity",
    "fold_batch_norm",
    "replace_op_type",
    "fold_constants",
    "FoldBatchNormReport",
    "FoldConstantsReport",
]
