"""graph_editor: network surgery for TensorFlow 2 graphs.

A drop-in replacement for ``tf.contrib.graph_editor`` (TF 1.15)::

    import graph_editor as ge          # was: from tensorflow.contrib import graph_editor as ge

    sgv = ge.sgv("^net/", graph=graph)
    ops = ge.get_forward_walk_ops([x.op], stop_at_ts=[y])

The contrib modules (``util``, ``select``, ``subgraph``, ``reroute``, ``edit``, ``transform``,
``match``) are package attributes and their exported names are re-exported here, with the
contrib aliases ``sgv``, ``sgv_scope`` and ``ph`` and the TF 0.x/1.0 names (``ts``, ``ops``,
``matcher``, ``reroute_a2b_ts``, ...). Beyond contrib: the TF2 bridges (``functions``,
``keras``, ``saved_model``), Keras layer surgery (``surgeon``), pattern rewriting and
passes (``ge.rewrite``, ``passes``), and
visualisation and checks (``visualize``, ``lint``).

The default graph is never used: every function takes its graph from its arguments.
"""

from graph_editor import (
    _tf,
    edit,
    errors,
    functions,
    keras,
    lint,
    match,
    passes,
    reroute,
    saved_model,
    select,
    subgraph,
    surgeon,
    transform,
    util,
    visualize,
)
from graph_editor._version import __version__
from graph_editor.edit import (
    bypass,
    connect,
    detach,
    detach_control_inputs,
    detach_control_outputs,
    detach_inputs,
    detach_outputs,
    note_external_edit,
)
from graph_editor.errors import (
    BatchNormNotFoldedWarning,
    CaptureError,
    ChannelGroupError,
    CutError,
    DtypeMismatchError,
    GraphEditAssertionError,
    GraphEditError,
    GraphEditKeyError,
    GraphEditTypeError,
    GraphEditValueError,
    GraphFinalizedError,
    GraphMismatchError,
    GraphValidationError,
    GraphvizNotFoundError,
    LiveSessionWarning,
)
from graph_editor.functions import (
    crossing_tensors,
    function_from_graph,
    function_inputs,
    graph_from_function,
    insert_at,
    split_function,
)
from graph_editor.keras import graph_from_keras, split_keras_model
from graph_editor.lint import Problem, find_cut_points, validate
from graph_editor.match import OpMatcher, op_type
from graph_editor.passes import (
    fold_batch_norm,
    fold_constants,
    remove_identity,
    replace_op_type,
    strip_unused,
)
from graph_editor.reroute import (
    add_control_inputs,
    remove_control_input,
    remove_control_inputs,
    reroute_a2b,
    reroute_a2b_inputs,
    reroute_a2b_outputs,
    reroute_a2b_ts,
    reroute_b2a,
    reroute_b2a_inputs,
    reroute_b2a_outputs,
    reroute_b2a_ts,
    reroute_inputs,
    reroute_ios,
    reroute_outputs,
    reroute_ts,
    swap,
    swap_inputs,
    swap_ios,
    swap_outputs,
    swap_ts,
)

# ``ge.rewrite`` is the function (the contract); the module object is
# ``sys.modules['graph_editor.rewrite']``, use ``from graph_editor.rewrite import ...``.
from graph_editor.rewrite import Match, MatchOps, RewriteReport, find_matches, rewrite
from graph_editor.select import (
    can_be_regex,
    check_cios,
    compute_boundary_ts,
    filter_ops,
    filter_ops_from_regex,
    filter_ts,
    filter_ts_from_regex,
    get_backward_walk_ops,
    get_forward_walk_ops,
    get_name_scope_ops,
    get_ops_ios,
    get_walks_intersection_ops,
    get_walks_union_ops,
    get_within_boundary_ops,
    make_regex,
    select_ops,
    select_ops_and_ts,
    select_ts,
)
from graph_editor.subgraph import SubGraphView, make_view, make_view_from_scope
from graph_editor.transform import (
    Transformer,
    TransformerInfo,
    assign_renamed_collections_handler,
    copy,
    copy_op_handler,
    copy_with_input_replacements,
    graph_replace,
    keep_t_if_possible_handler,
    replace_t_with_placeholder_handler,
    transform_op_if_inside_handler,
)
from graph_editor.util import (
    ControlOutputs,
    get_consuming_ops,
    get_generating_ops,
    get_tensors,
    make_list_of_op,
    make_list_of_t,
    make_placeholder_from_dtype_and_shape,
    make_placeholder_from_tensor,
    placeholder_name,
)
from graph_editor.visualize import render, summary, to_dot, to_networkx, write_tensorboard

# Contrib's aliases.
sgv = make_view
sgv_scope = make_view_from_scope
ph = make_placeholder_from_dtype_and_shape

# TF 0.10-0.12 names.
ts = select_ts
ops = select_ops
matcher = OpMatcher

# tf.function's AutoGraph must call the library as plain Python, not convert it (~8 s on
# a first trace otherwise); TF does the same for numpy and keras.
_tf.exclude_from_autograph(__name__)

__all__ = [
    "__version__",
    # modules
    "util",
    "select",
    "subgraph",
    "reroute",
    "edit",
    "transform",
    "match",
    "errors",
    "functions",
    "keras",
    "saved_model",
    "surgeon",
    "passes",
    "visualize",
    "lint",
    # errors
    "GraphEditError",
    "GraphEditValueError",
    "GraphEditTypeError",
    "GraphEditKeyError",
    "GraphEditAssertionError",
    "GraphMismatchError",
    "DtypeMismatchError",
    "GraphFinalizedError",
    "GraphValidationError",
    "GraphvizNotFoundError",
    "CutError",
    "CaptureError",
    "ChannelGroupError",
    "LiveSessionWarning",
    "BatchNormNotFoldedWarning",
    # util (contrib's 9)
    "make_list_of_op",
    "get_tensors",
    "make_list_of_t",
    "get_generating_ops",
    "get_consuming_ops",
    "ControlOutputs",
    "placeholder_name",
    "make_placeholder_from_tensor",
    "make_placeholder_from_dtype_and_shape",
    # select (contrib's 18)
    "can_be_regex",
    "make_regex",
    "filter_ts",
    "filter_ts_from_regex",
    "filter_ops",
    "filter_ops_from_regex",
    "get_name_scope_ops",
    "check_cios",
    "get_ops_ios",
    "compute_boundary_ts",
    "get_within_boundary_ops",
    "get_forward_walk_ops",
    "get_backward_walk_ops",
    "get_walks_intersection_ops",
    "get_walks_union_ops",
    "select_ops",
    "select_ts",
    "select_ops_and_ts",
    # subgraph (contrib's 3)
    "SubGraphView",
    "make_view",
    "make_view_from_scope",
    # reroute (contrib's 10) and one-edge removal
    "swap_ts",
    "reroute_ts",
    "swap_inputs",
    "reroute_inputs",
    "swap_outputs",
    "reroute_outputs",
    "swap_ios",
    "reroute_ios",
    "remove_control_inputs",
    "add_control_inputs",
    "remove_control_input",
    # edit (contrib's 7)
    "detach_control_inputs",
    "detach_control_outputs",
    "detach_inputs",
    "detach_outputs",
    "detach",
    "connect",
    "bypass",
    "note_external_edit",
    # transform (contrib's 10 + copy_op_handler)
    "Transformer",
    "TransformerInfo",
    "copy",
    "copy_with_input_replacements",
    "graph_replace",
    "replace_t_with_placeholder_handler",
    "keep_t_if_possible_handler",
    "assign_renamed_collections_handler",
    "transform_op_if_inside_handler",
    "copy_op_handler",
    # match
    "OpMatcher",
    "op_type",
    # contrib aliases and TF 0.x/1.0 names
    "sgv",
    "sgv_scope",
    "ph",
    "ts",
    "ops",
    "matcher",
    "reroute_a2b_ts",
    "reroute_b2a_ts",
    "reroute_a2b_inputs",
    "reroute_b2a_inputs",
    "reroute_a2b_outputs",
    "reroute_b2a_outputs",
    "swap",
    "reroute_a2b",
    "reroute_b2a",
    # TF2 bridges
    "graph_from_function",
    "function_from_graph",
    "function_inputs",
    "crossing_tensors",
    "split_function",
    "insert_at",
    "graph_from_keras",
    "split_keras_model",
    # rewriting and passes
    "rewrite",
    "find_matches",
    "Match",
    "MatchOps",
    "RewriteReport",
    "strip_unused",
    "remove_identity",
    "fold_batch_norm",
    "replace_op_type",
    "fold_constants",
    # visualisation and checks
    "summary",
    "to_networkx",
    "to_dot",
    "render",
    "write_tensorboard",
    "validate",
    "find_cut_points",
    "Problem",
]
