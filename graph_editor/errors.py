"""The exception hierarchy of graph_editor.

Every error the library raises on bad input derives from :class:`GraphEditError` and also
from the built-in type that ``tf.contrib.graph_editor`` raised in the same situation, so
legacy ``except ValueError`` / ``except TypeError`` blocks keep working::

    try:
        ge.select_ops("^foo", graph=g, bad_keyword=1)
    except ge.GraphEditError as e:      # or: except ValueError
        print(e)

Messages name the offending op or tensor, say what is wrong and how to fix it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GraphEditError",
    "GraphEditValueError",
    "GraphEditTypeError",
    "GraphEditKeyError",
    "GraphEditAssertionError",
    "GraphMismatchError",
    "GraphvizNotFoundError",
    "RenderTimeoutError",
    "GraphValidationError",
    "GraphFinalizedError",
    "LiveSessionWarning",
    "AmbiguousNameWarning",
    "GraphEditDeprecationWarning",
    "VariableInitializerWarning",
    "BatchNormNotFoldedWarning",
    "CutError",
    "CaptureError",
    "DtypeMismatchError",
    "ChannelGroupError",
]


class GraphEditError(Exception):
    """Root of every error raised by graph_editor."""

    # Inside a tf.function, AutoGraph re-raises an error from the traced body with its own
    # type only when that type is a built-in or takes the message alone through
    # ``Exception.__init__`` (else a ``StagingError``). The built-in bases of these classes
    # initialise exactly like it, so this keeps ``except ge.GraphEditValueError`` working
    # in traced code.
    __init__ = Exception.__init__


class GraphEditValueError(GraphEditError, ValueError):
    """A value is not acceptable (contrib raised ``ValueError``)."""


class GraphEditTypeError(GraphEditError, TypeError):
    """An argument has the wrong type (contrib raised ``TypeError``)."""


class GraphEditKeyError(GraphEditError, KeyError):
    """A named op or tensor does not exist (contrib raised ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would quote the whole message.
        return str(self.args[0]) if self.args else ""


class GraphEditAssertionError(GraphEditError, AssertionError):
    """An internal invariant of the input is broken, e.g. two ops share one name in a view."""


class GraphMismatchError(GraphEditValueError):
    """Ops or tensors from different graphs were mixed in one call."""


class GraphvizNotFoundError(GraphEditError, ImportError):
    """Graphviz (the ``viz`` extra and/or the ``dot`` program) is needed but missing.

    The message says how to install it: ``pip install tf-graph-editor[viz]`` and
    ``apt-get install graphviz``.
    """

    __init__ = ImportError.__init__  # keeps ImportError's ``name`` / ``path`` keywords


class RenderTimeoutError(GraphEditValueError):
    """Graphviz did not finish a picture within ``ge.render(..., timeout=)``.

    The message names smaller pictures (one node per layer, fewer expanded layers, collapsed
    scopes, a part of the graph, the HTML viewer) with the node counts they would draw.
    """


class GraphValidationError(GraphEditValueError):
    """``ge.validate(..., raise_on_error=True)`` found problems; see ``.problems``."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class GraphFinalizedError(GraphEditError, RuntimeError):
    """The graph is finalized (``graph.finalize()``): graph_editor does not edit it."""


class LiveSessionWarning(UserWarning):
    """An edited op was already run by an open ``tf.compat.v1.Session``, which ignores edits."""


class AmbiguousNameWarning(UserWarning):
    """A short tensor name was resolved by its exact suffix, but also names another op.

    Keras traces every layer in a scope with a ``_<n>`` suffix: layer ``dense`` runs in
    scope ``dense_1`` and layer ``dense_1`` in ``dense_1_2``. The short name
    ``"dense_1/Relu"`` is then an exact suffix of ``.../dense_1/Relu`` (layer ``dense``),
    which wins, and also layer ``dense_1``'s op if trace suffixes are ignored. The message
    names both; pass the full name (or ``"dense_1_2/Relu"``) to pick the other.
    """


class GraphEditDeprecationWarning(DeprecationWarning):
    """An old spelling of an argument was used; the message names the new one.

    The library spells the place to cut ``at`` and the specs to trace a function with
    ``input_specs`` everywhere; the old keywords (``layer_name=``, ``signature=``) still
    work and emit this warning, attributed to the calling line (Python shows it for calls in
    ``__main__``, under pytest and with ``-W default``); filter it by this class.
    """


def _renamed_argument(caller: str, new: str, value: Any, old: str, old_value: Any,
                      required: bool = True, stacklevel: int = 3) -> Any:
    """The value of argument ``new``, taken from its deprecated keyword ``old`` if given.

    ``value`` / ``old_value`` are None when not passed. Passing ``old`` warns with
    :class:`GraphEditDeprecationWarning`; passing both is a ``TypeError``, and so is passing
    neither when ``required``.
    """
    import warnings

    if old_value is None:
        if value is None and required:
            raise GraphEditTypeError(f"{caller}() missing required argument '{new}'.")
        return value
    if value is not None:
        raise GraphEditTypeError(
            f"{caller}() got both '{new}' and its deprecated spelling '{old}'; pass '{new}' "
            "only."
        )
    warnings.warn(
        f"{caller}: the argument '{old}' is deprecated; spell it '{new}' "
        f"({caller}(..., {new}=...)).",
        GraphEditDeprecationWarning,
        stacklevel=stacklevel,
    )
    return old_value


class VariableInitializerWarning(UserWarning):
    """A copy holds a variable's op but not its initializer (or its read op).

    The copy is then no ``tf.Variable`` (``info.transformed(var) is None``), no initializer
    sets it, and reading it fails with ``FailedPreconditionError: Could not find
    variable``. The message names the variables and how to copy their initializers.
    """


class CutError(GraphEditValueError):
    """A cut of a function or model does not separate its inputs from its outputs.

    Raised by ``ge.split_function``, ``ge.crossing_tensors``, ``ge.function_from_graph`` and
    ``ge.split_keras_model`` when the outputs do not depend on the cut tensors, a cut tensor
    does not depend on the inputs, or an output still needs an input that is not fed.
    """


class CaptureError(GraphEditValueError):
    """A function captures a value that cannot be re-bound in an edited copy.

    Deferred (by-reference) captures and captures of symbolic tensors of another graph
    have no concrete value to bind; variables and other eager resources re-bind fine.
    """


class DtypeMismatchError(GraphEditValueError, GraphEditTypeError):
    """A tensor of one dtype would feed consumers expecting another.

    Raised by every edit that substitutes one tensor for another (reroutes, rewrites,
    copies with replacements, ``insert_at``). It is both a ``GraphEditValueError`` (a
    ``ValueError``, what contrib's reroute raised) and a ``GraphEditTypeError`` (a
    ``TypeError``), so either ``except`` clause catches it.
    """


class ChannelGroupError(GraphEditValueError):
    """A channel deletion touches a coupled group and ``expand=False`` forbids the rest.

    Raised by ``ge.surgeon.delete_channels(..., expand=False)`` when the layer's output
    channels meet other producers' channels in an element-wise merge (``Add``,
    ``Multiply``...): those producers must lose the same channels. ``.group`` lists the
    producers' names.
    """

    def __init__(self, message: str, group: list | None = None) -> None:
        super().__init__(message)
        self.group = list(group or [])


class BatchNormNotFoldedWarning(UserWarning):
    """``ge.fold_batch_norm`` left batch norms in place; ``report.not_folded`` says why.

    One warning per call, naming the first few batch norms and their reasons. Batch norms
    that no conv / matmul precedes (e.g. after a ``Concat``) cannot be folded by design;
    filter the warning with ``warnings.simplefilter("ignore", BatchNormNotFoldedWarning)``.
    """
