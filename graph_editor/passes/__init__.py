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

from graph_editor.passes.fold_batch_norm import FoldBatchNormReport, fold_batch_norm
from graph_editor.passes.fold_constants import FoldConstantsReport, fold_constants
from graph_editor.passes.remove_identity import remove_identity
from graph_editor.passes.replace_op_type import replace_op_type
from graph_editor.passes.strip_unused import strip_unused

__all__ = [
    "strip_unused",
    "remove_identity",
    "fold_batch_norm",
    "replace_op_type",
    "fold_constants",
    "FoldBatchNormReport",
    "FoldConstantsReport",
]
