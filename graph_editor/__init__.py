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
visualisation and checks (``visualize``, ``viewer``, ``lint``).

The default graph is never used: every function takes its graph from its arguments.
"""

# The package is lazy: ``import graph_editor`` loads neither TensorFlow nor a submodule, so
# ``graph-editor --help`` answers at once. A public name's module is imported on first
# access (PEP 562 ``__getattr__``) and the name is then cached in the package namespace.

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from graph_editor._version import __version__

_SUBMODULES = frozenset({
    "edit",
    "errors",
    "functions",
    "keras",
    "lint",
    "match",
    "passes",
    "reroute",
    "rewrite",  # the module, callable as its function rewrite()
    "saved_model",
    "select",
    "subgraph",
    "surgeon",
    "transform",
    "util",
    "viewer",
    "visualize",
})

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "bypass",
            "connect",
            "detach",
            "detach_control_inputs",
            "detach_control_outputs",
            "detach_inputs",
            "detach_outputs",
            "note_external_edit",
        ),
        "graph_editor.edit",
    ),
    **dict.fromkeys(
        (
            "CaptureError",
            "ChannelGroupError",
            "CutError",
            "DtypeMismatchError",
            "GraphEditAssertionError",
            "GraphEditError",
            "GraphEditKeyError",
            "GraphEditTypeError",
            "GraphEditValueError",
            "GraphFinalizedError",
            "GraphMismatchError",
            "GraphValidationError",
            "GraphvizNotFoundError",
            "LiveSessionWarning",
            "RenderTimeoutError",
            "BatchNormNotFoldedWarning",
            "AmbiguousNameWarning",
            "GraphEditDeprecationWarning",
            "VariableInitializerWarning",
        ),
        "graph_editor.errors",
    ),
    **dict.fromkeys(
        (
            "crossing_tensors",
            "function_from_graph",
            "function_inputs",
            "graph_from_function",
            "insert_at",
            "split_function",
        ),
        "graph_editor.functions",
    ),
    **dict.fromkeys(
        (
            "graph_from_keras",
            "split_keras_model",
        ),
        "graph_editor.keras",
    ),
    **dict.fromkeys(
        (
            "CutPoint",
            "Problem",
            "find_cut_points",
            "validate",
        ),
        "graph_editor.lint",
    ),
    **dict.fromkeys(
        (
            "OpMatcher",
            "op_type",
        ),
        "graph_editor.match",
    ),
    # The passes: the functions (``graph_editor.passes.<name>`` is the callable module).
    **{name: f"graph_editor.passes.{name}" for name in (
        "fold_batch_norm",
        "fold_constants",
        "remove_identity",
        "replace_op_type",
        "strip_unused",
    )},
    **dict.fromkeys(
        (
            "add_control_inputs",
            "remove_control_input",
            "remove_control_inputs",
            "reroute_a2b",
            "reroute_a2b_inputs",
            "reroute_a2b_outputs",
            "reroute_a2b_ts",
            "reroute_b2a",
            "reroute_b2a_inputs",
            "reroute_b2a_outputs",
            "reroute_b2a_ts",
            "reroute_inputs",
            "reroute_ios",
            "reroute_outputs",
            "reroute_ts",
            "swap",
            "swap_inputs",
            "swap_ios",
            "swap_outputs",
            "swap_ts",
        ),
        "graph_editor.reroute",
    ),
    **dict.fromkeys(
        (
            "Match",
            "MatchOps",
            "RewriteReport",
            "find_matches",
        ),
        "graph_editor.rewrite",
    ),
    **dict.fromkeys(
        (
            "can_be_regex",
            "check_cios",
            "compute_boundary_ts",
            "filter_ops",
            "filter_ops_from_regex",
            "filter_ts",
            "filter_ts_from_regex",
            "get_backward_walk_ops",
            "get_forward_walk_ops",
            "get_name_scope_ops",
            "get_ops_ios",
            "get_walks_intersection_ops",
            "get_walks_union_ops",
            "get_within_boundary_ops",
            "make_regex",
            "select_ops",
            "select_ops_and_ts",
            "select_ts",
        ),
        "graph_editor.select",
    ),
    **dict.fromkeys(
        (
            "SubGraphView",
            "make_view",
            "make_view_from_scope",
        ),
        "graph_editor.subgraph",
    ),
    **dict.fromkeys(
        (
            "Transformer",
            "TransformerInfo",
            "assign_renamed_collections_handler",
            "copy",
            "copy_op_handler",
            "copy_with_input_replacements",
            "graph_replace",
            "keep_t_if_possible_handler",
            "replace_t_with_placeholder_handler",
            "transform_op_if_inside_handler",
        ),
        "graph_editor.transform",
    ),
    **dict.fromkeys(
        (
            "ControlOutputs",
            "get_consuming_ops",
            "get_generating_ops",
            "get_tensors",
            "make_list_of_op",
            "make_list_of_t",
            "make_placeholder_from_dtype_and_shape",
            "make_placeholder_from_tensor",
            "placeholder_name",
        ),
        "graph_editor.util",
    ),
    **dict.fromkeys(
        (
            "diff_view",
            "view",
        ),
        "graph_editor.viewer",
    ),
    **dict.fromkeys(
        (
            "render",
            "summary",
            "to_dot",
            "to_networkx",
            "write_tensorboard",
        ),
        "graph_editor.visualize",
    ),
}

# Contrib's aliases and the TF 0.10-0.12 names: alias -> the name it stands for.
_ALIASES: dict[str, str] = {
    "sgv": "make_view",
    "sgv_scope": "make_view_from_scope",
    "ph": "make_placeholder_from_dtype_and_shape",
    "ts": "select_ts",
    "ops": "select_ops",
    "matcher": "OpMatcher",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines public ``name`` and cache the value (PEP 562)."""
    target = _ALIASES.get(name, name)
    if target in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{target}")
    elif target in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[target]), target)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from graph_editor import (  # noqa: F401
        edit,
        errors,
        functions,
        keras,
        lint,
        match,
        passes,
        reroute,
        rewrite,
        saved_model,
        select,
        subgraph,
        surgeon,
        transform,
        util,
        viewer,
        visualize,
    )
    from graph_editor.edit import (  # noqa: F401
        bypass,
        connect,
        detach,
        detach_control_inputs,
        detach_control_outputs,
        detach_inputs,
        detach_outputs,
        note_external_edit,
    )
    from graph_editor.errors import (  # noqa: F401
        AmbiguousNameWarning,
        BatchNormNotFoldedWarning,
        CaptureError,
        ChannelGroupError,
        CutError,
        DtypeMismatchError,
        GraphEditAssertionError,
        GraphEditDeprecationWarning,
        GraphEditError,
        GraphEditKeyError,
        GraphEditTypeError,
        GraphEditValueError,
        GraphFinalizedError,
        GraphMismatchError,
        GraphValidationError,
        GraphvizNotFoundError,
        LiveSessionWarning,
        RenderTimeoutError,
        VariableInitializerWarning,
    )
    from graph_editor.functions import (  # noqa: F401
        crossing_tensors,
        function_from_graph,
        function_inputs,
        graph_from_function,
        insert_at,
        split_function,
    )
    from graph_editor.keras import (  # noqa: F401
        graph_from_keras,
        split_keras_model,
    )
    from graph_editor.lint import (  # noqa: F401
        CutPoint,
        Problem,
        find_cut_points,
        validate,
    )
    from graph_editor.match import (  # noqa: F401
        OpMatcher,
        op_type,
    )
    from graph_editor.passes.fold_batch_norm import fold_batch_norm  # noqa: F401
    from graph_editor.passes.fold_constants import fold_constants  # noqa: F401
    from graph_editor.passes.remove_identity import remove_identity  # noqa: F401
    from graph_editor.passes.replace_op_type import replace_op_type  # noqa: F401
    from graph_editor.passes.strip_unused import strip_unused  # noqa: F401
    from graph_editor.reroute import (  # noqa: F401
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
    from graph_editor.rewrite import (  # noqa: F401
        Match,
        MatchOps,
        RewriteReport,
        find_matches,
    )
    from graph_editor.select import (  # noqa: F401
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
    from graph_editor.subgraph import (  # noqa: F401
        SubGraphView,
        make_view,
        make_view_from_scope,
    )
    from graph_editor.transform import (  # noqa: F401
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
    from graph_editor.util import (  # noqa: F401
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
    from graph_editor.viewer import (  # noqa: F401
        diff_view,
        view,
    )
    from graph_editor.visualize import (  # noqa: F401
        render,
        summary,
        to_dot,
        to_networkx,
        write_tensorboard,
    )

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
    "RenderTimeoutError",
    "CutError",
    "CaptureError",
    "ChannelGroupError",
    "LiveSessionWarning",
    "AmbiguousNameWarning",
    "GraphEditDeprecationWarning",
    "VariableInitializerWarning",
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
    "CutPoint",
    # offline viewer
    "viewer",
    "view",
    "diff_view",
]
