"""The ``graph-editor`` command (also ``python -m graph_editor``).

Subcommands::

    graph-editor demo [-o DIR]                    # the classic surgeries, checked numerically
    graph-editor inspect PATH [--max-rows N]      # SavedModel dir or GraphDef .pb / .pbtxt
    graph-editor draw PATH -o OUT.html|.svg [--scope S] [--expand S] [--max-ops N]
                     [--collapse-depth D] [--op-level] [--timeout SEC] [--force]
    graph-editor cut PATH --at TENSOR -o OUTDIR [--signature KEY] [--no-check]

Exit codes: 0 success, 1 failure (a check failed, Graphviz missing, unreadable file, an
unexpected error), 2 usage error (bad arguments, missing path, unknown scope or tensor).
Errors are one line on stderr (``--debug`` prints the traceback of an unexpected one), and
nothing is written when a command fails.

TensorFlow is imported by the commands that need it, never for ``--help`` or ``--version``;
the command (not the library) quiets TensorFlow's C++ start-up log lines by setting
``TF_CPP_MIN_LOG_LEVEL=2`` for its own process when the variable is not already set.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph_editor.errors import GraphEditError

__all__ = ["main", "CommandError"]

PROG = "graph-editor"


class CommandError(Exception):
    """A command failed; ``code`` is the exit status (2: usage error, 1: failure)."""

    def __init__(self, message: str, code: int = 1, prog: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors reported as one line and exit status 2."""

    def error(self, message: str) -> Any:
        raise CommandError(f"{message} (see `{self.prog} --help`)", 2, prog=self.prog)


_PROGRESS_MIN_OPS = 2000


def _progress(message: str) -> None:
    """A progress line on stderr, only when it is a terminal (never in pipes or logs)."""
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Loading models
# --------------------------------------------------------------------------------------------


class _Model:
    """A loaded file: its graph plus what ``inspect`` reports."""

    def __init__(self, kind: str, path: Path, graph: Any, graph_def: Any) -> None:
        self.kind = kind
        self.path = path
        self.graph = graph
        self.graph_def = graph_def
        self.tags: list[str] = []
        self.signatures: list[tuple[str, list[str], list[str]]] = []
        self.graph_desc = "the whole GraphDef" if kind == "GraphDef" else "the top-level graph"
        self.inlined = False  # True: a SavedModel signature's graph with its calls inlined
        self.notes: list[str] = []


def _tensor_info_text(key: str, info: Any) -> str:
    import tensorflow as tf

    dtype = tf.dtypes.as_dtype(info.dtype).name if info.dtype else "?"
    if info.tensor_shape.unknown_rank:
        shape = "[?]"
    else:
        shape = "[" + ",".join("?" if d.size < 0 else str(d.size) for d in info.tensor_shape.dim)
        shape += "]"
    return f"{key}: {dtype}{shape} ({info.name})"


def _import_graph(graph_def: Any, path: Path) -> Any:
    import tensorflow as tf

    graph = tf.Graph()
    try:
        with graph.as_default():
            tf.graph_util.import_graph_def(graph_def, name="")
    except (ValueError, tf.errors.OpError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CommandError(f"cannot import the graph of '{path}': {first}", 1) from e
    return graph


def _load(path_arg: str, signature: str | None = None) -> _Model:
    """Load a SavedModel directory or a GraphDef ``.pb`` / ``.pbtxt``.

    For a TF2 SavedModel the graph is the chosen signature's, with its calls inlined
    (``ge.saved_model.load``): the top-level graph only holds a call op.
    """
    path = Path(path_arg)
    if not path.exists():
        raise CommandError(f"no such file or directory: '{path}'", 2)
    if path.is_file() and path.name in ("saved_model.pb", "saved_model.pbtxt"):
        path = path.parent
    if path.is_dir():
        if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
            return _load_saved_model(path, signature)
        raise CommandError(
            f"'{path}' is a directory but not a SavedModel (no saved_model.pb in it)", 2
        )
    if signature is not None:
        raise CommandError("--signature applies to SavedModel directories only", 2)
    if path.suffix not in (".pb", ".pbtxt", ".txt"):
        raise CommandError(
            f"'{path}': expected a SavedModel directory or a GraphDef file (.pb or .pbtxt)", 2
        )
    return _load_graph_def(path)


def _load_graph_def(path: Path) -> _Model:
    import tensorflow as tf
    from google.protobuf import message, text_format

    gd = tf.compat.v1.GraphDef()
    data = path.read_bytes()
    try:
        if path.suffix == ".pb":
            gd.ParseFromString(data)
        else:
            text_format.Parse(data.decode("utf-8"), gd)
    except (message.DecodeError, text_format.ParseError, UnicodeDecodeError) as e:
        raise CommandError(f"cannot read '{path}' as a GraphDef: {e}", 1) from e
    if not gd.node:
        raise CommandError(f"'{path}' holds no graph nodes (is it a GraphDef?)", 1)
    return _Model("GraphDef", path, _import_graph(gd, path), gd)


def _load_saved_model(path: Path, signature: str | None = None) -> _Model:
    from google.protobuf import message, text_format

    # The SavedModel file format is a protobuf schema; read it without loading variables.
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    try:
        if (path / "saved_model.pb").is_file():
            sm.ParseFromString((path / "saved_model.pb").read_bytes())
        else:
            text_format.Parse((path / "saved_model.pbtxt").read_text(encoding="utf-8"), sm)
    except (message.DecodeError, text_format.ParseError, UnicodeDecodeError) as e:
        raise CommandError(f"cannot read the SavedModel in '{path}': {e}", 1) from e
    if not sm.meta_graphs:
        raise CommandError(f"the SavedModel in '{path}' has no meta graph", 1)
    mg = sm.meta_graphs[0]
    model = _Model("SavedModel", path, _import_graph(mg.graph_def, path), mg.graph_def)
    model.tags = list(mg.meta_info_def.tags)
    for key in sorted(mg.signature_def):
        sig = mg.signature_def[key]
        ins = [_tensor_info_text(k, sig.inputs[k]) for k in sorted(sig.inputs)]
        outs = [_tensor_info_text(k, sig.outputs[k]) for k in sorted(sig.outputs)]
        model.signatures.append((key, ins, outs))
    keys = sorted(mg.signature_def)
    if signature is not None and signature not in mg.signature_def:
        raise CommandError(
            f"no signature '{signature}' in '{path}' (it has: {', '.join(keys) or 'none'})", 2
        )
    if keys and mg.object_graph_def.nodes:  # a TF2 SavedModel: the ops live in functions
        key = signature or ("serving_default" if "serving_default" in keys else keys[0])
        _inline_signature(model, key)
    return model


def _inline_signature(model: _Model, key: str) -> None:
    """Replace the model's graph by signature ``key``'s graph with its calls inlined."""
    from graph_editor import saved_model

    _progress(f"loading signature '{key}' with its variables ...")
    try:
        edited = saved_model.load(str(model.path), signature_key=key)
    except Exception as e:  # noqa: BLE001 - any failure: fall back to the top-level graph
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        model.notes.append(
            f"could not inline signature '{key}' ({first}); showing the top-level graph"
        )
        return
    model.graph = edited.graph
    model.inlined = True
    model.graph_desc = f"signature '{key}', calls inlined"


# --------------------------------------------------------------------------------------------
# inspect
# --------------------------------------------------------------------------------------------


def _histogram_text(counts: list[tuple[str, int]], width: int = 96) -> list[str]:
    items = [f"{t} {n}" for t, n in counts]
    lines, line = [], "  "
    for item in items:
        if len(line) + len(item) + 2 > width and line.strip():
            lines.append(line.rstrip(", "))
            line = "  "
        line += item + ", "
    if line.strip():
        lines.append(line.rstrip(", "))
    return lines


def _cmd_inspect(args: argparse.Namespace) -> int:
    import collections

    from graph_editor import lint, visualize

    if args.max_rows < 0:
        raise CommandError(f"--max-rows must be >= 0, got {args.max_rows}", 2)
    _progress(f"loading {args.path} ...")
    model = _load(args.path, args.signature)
    g = model.graph
    ops = g.get_operations()
    out = [f"{model.kind}: {model.path}"]
    if model.kind == "SavedModel":
        out.append(f"tags: {', '.join(model.tags) or '(none)'}")
        out.append(f"signatures: {len(model.signatures)}")
        for key, ins, outs in model.signatures:
            out.append(f"  {key}")
            out += [f"    in   {x}" for x in ins]
            out += [f"    out  {x}" for x in outs]
    else:
        placeholders = [op for op in ops if op.type in ("Placeholder", "PlaceholderWithDefault")]
        sinks = [
            op for op in ops
            if op.outputs and not any(t.consumers() for t in op.outputs)
            and op.type not in ("NoOp", "Const")
        ]
        out.append(f"inputs (placeholders): {len(placeholders)}")
        out += [f"  {t.name}: {visualize._tensor_text(t)}"
                for op in placeholders for t in op.outputs]
        out.append(f"outputs (unconsumed tensors): {len(sinks)}")
        out += [f"  {t.name}: {visualize._tensor_text(t)}" for op in sinks for t in op.outputs]
    functions = model.graph_def.library.function
    counts = collections.Counter(op.type for op in ops)
    out.append(f"graph: {model.graph_desc}")
    out += [f"note: {n}" for n in model.notes]
    out.append(f"ops: {len(ops)} in the graph")
    inlined = model.inlined
    if functions:
        fn_counts = collections.Counter(n.op for f in functions for n in f.node_def)
        out[-1] += (
            f", {sum(fn_counts.values())} in {len(functions)} library function(s)"
        )
        if not inlined:  # the inlined graph already holds the functions' ops
            counts.update(fn_counts)
    out.append("ops by type (the graph):" if inlined or not functions
               else "ops by type (graph and functions):")
    out += _histogram_text(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if functions:
        out.append("functions:")
        for f in functions:
            out.append(f"  {f.signature.name}: {len(f.node_def)} ops")
    problems = lint.validate(g)
    out.append(f"validate: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    out += [f"  {p}" for p in problems]
    out.append("")
    out.append(visualize.summary(g, max_rows=args.max_rows))
    print("\n".join(out))
    return 0


# --------------------------------------------------------------------------------------------
# draw
# --------------------------------------------------------------------------------------------


# The library's hints name its keyword arguments; the command's users get its options.
_CLI_SPELLINGS = (
    (re.compile(r"\bcollapse_depth=(\d+)"), r"--collapse-depth \1"),
    (re.compile(r"\bmax_ops=(\d+)"), r"--max-ops \1"),
    (re.compile(r"\bmax_ops \(None: no limit\)"), "--max-ops"),
    (re.compile(r"\blayers=None, the default here"), "without --op-level"),
    (re.compile(r"\blayers=False"), "--op-level"),
    (re.compile(r"\bexpand= (opens|keeps)"), r"--expand \1"),
    (re.compile(r"\(e\.g\. ge\.sgv_scope\('<scope>', graph=graph\)\)"), "(--scope SCOPE)"),
    (re.compile(r"\(ge\.view\(obj, 'x\.html'\)\)"), "(-o model.html)"),
    (re.compile(r"\braise timeout= \(None: no limit\)"), "raise --timeout"),
)


def _cli_spelling(text: str) -> str:
    for pattern, repl in _CLI_SPELLINGS:
        text = pattern.sub(repl, text)
    return text


def _draw_target(args: argparse.Namespace) -> tuple[Path, str]:
    """Check ``-o`` and the numeric options before loading anything: (path, format)."""
    out = Path(args.output)
    if not out.parent.is_dir():
        raise CommandError(f"output directory does not exist: '{out.parent}'", 2)
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf", "dot", "gv", "html"):
        raise CommandError(
            f"'{out}': the output must end in .html (the offline viewer), .svg, .png, .pdf "
            "or .dot", 2)
    if args.max_ops is not None and args.max_ops <= 0:
        raise CommandError(f"--max-ops must be positive, got {args.max_ops}", 2)
    if out.is_dir():
        raise CommandError(f"'{out}' is a directory; give a file name (-o DIR/model.svg)", 2)
    if out.exists() and not args.force:
        raise CommandError(f"'{out}' exists; pass --force to overwrite it", 2)
    return out, fmt


def _cmd_draw(args: argparse.Namespace) -> int:
    out, fmt = _draw_target(args)
    _progress(f"loading {args.path} ...")
    model = _load(args.path, args.signature)
    from graph_editor import select
    from graph_editor.subgraph import SubGraphView

    for note in model.notes:
        print(f"note: {note}", file=sys.stderr)
    obj: Any = model.graph
    if args.scope:
        obj = SubGraphView(select.get_name_scope_ops(model.graph, _scope(model, args.scope)))
    n_ops = len(obj.ops) if isinstance(obj, SubGraphView) else len(model.graph.get_operations())
    title = f"{model.path.name}{' / ' + args.scope if args.scope else ''}"
    if fmt == "html":
        _draw_html(args, obj, out, title)
        print(f"wrote {out} ({n_ops} ops; open it in a browser, no network needed)")
        return 0
    if n_ops > _PROGRESS_MIN_OPS:
        _progress(f"drawing {n_ops} ops with Graphviz (large graphs take a while) ...")
    _draw_graphviz(args, obj, out, title)
    print(f"wrote {out} ({n_ops} ops)")
    return 0


def _scope(model: _Model, scope: str) -> str:
    """The graph's name scope that ``--scope`` names (the library's name rules: a unique
    suffix, trace suffixes, a Keras layer's name)."""
    from graph_editor import _names

    try:
        return _names.resolve_scope(model.graph, scope, "--scope")
    except GraphEditError as e:
        raise CommandError(f"{_one_line(e)} (in '{model.path}')", 2) from e


def _draw_html(args: argparse.Namespace, obj: Any, out: Path, title: str) -> None:
    from graph_editor import viewer
    from graph_editor.errors import GraphEditKeyError

    expand = "all" if args.expand and "all" in args.expand else args.expand
    try:
        viewer.view(obj, out, title=title, expand=expand)
    except GraphEditKeyError as e:  # an unknown --expand name
        raise CommandError(_one_line(e), 2) from e


def _draw_graphviz(args: argparse.Namespace, obj: Any, out: Path, title: str) -> None:
    from graph_editor import visualize
    from graph_editor.errors import GraphEditKeyError, GraphEditValueError, GraphvizNotFoundError

    try:
        visualize.render(
            obj, out, max_ops=args.max_ops, collapse_depth=args.collapse_depth, title=title,
            expand=args.expand, layers=False if args.op_level else None, timeout=args.timeout,
        )
    except GraphvizNotFoundError as e:
        raise CommandError(f"{e} (or write a .dot file: -o OUT.dot)", 1) from e
    except GraphEditKeyError as e:  # an unknown --expand name
        raise CommandError(_cli_spelling(_one_line(e)), 2) from e
    except GraphEditValueError as e:
        raise CommandError(_cli_spelling(str(e).removeprefix("to_dot: ")), 1) from e


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def _parser() -> _Parser:
    from graph_editor._version import __version__

    parser = _Parser(
        prog=PROG,
        description="Network surgery for TensorFlow graphs: inspect, draw, and a demo of the "
        "classic surgeries.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an unexpected error (any command)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="print the traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_demo(sub, common)
    _add_inspect(sub, common)
    _add_draw(sub, common)
    _add_cut(sub, common)
    return parser


def _add_demo(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="build a small model, perform the classic surgeries, check them, draw them",
        description="Build a small MLP, insert noise at a hidden layer, cut it in two, clone "
        "a block with independent variables, replace an op type; check each numerically and "
        "write before/after pictures (SVG, or .dot without Graphviz).",
    )
    p.add_argument("-o", "--output", default="graph-editor-demo",
                   help="directory for the pictures (default: ./graph-editor-demo)")
    p.set_defaults(func=_cmd_demo)


def _add_inspect(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "inspect",
        parents=[common],
        help="signatures, inputs/outputs, op-type histogram and summary of a model",
        description="Print what a SavedModel directory or a GraphDef (.pb / .pbtxt) holds.",
    )
    p.add_argument("path", help="SavedModel directory, or GraphDef .pb / .pbtxt file")
    p.add_argument("--max-rows", type=int, default=50,
                   help="rows of the op table (default: 50)")
    p.add_argument("--signature", default=None,
                   help="SavedModel signature whose graph to show, calls inlined "
                   "(default: serving_default)")
    p.set_defaults(func=_cmd_inspect)


def _add_draw(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "draw",
        parents=[common],
        help="draw a model (or one name scope of it): offline HTML viewer, SVG, PNG, PDF, DOT",
        description="Draw a SavedModel signature's graph (calls inlined) or a GraphDef. "
        ".html writes one self-contained interactive page (pan, zoom, search, details, open "
        "and close scopes); SVG/PNG/PDF need Graphviz; .dot does not.",
    )
    p.add_argument("path", help="SavedModel directory, or GraphDef .pb / .pbtxt file")
    p.add_argument("-o", "--output", required=True,
                   help="output file: .html (interactive offline viewer), .svg, .png, .pdf, "
                   ".dot")
    p.add_argument("--scope", help="draw only the ops under this name scope (plus neighbours)")
    p.add_argument("--max-ops", type=int, default=500,
                   help="refuse to draw more nodes than this (default: 500)")
    p.add_argument("--collapse-depth", type=int, default=None,
                   help="draw name scopes deeper than this as single nodes")
    p.add_argument("--signature", default=None,
                   help="SavedModel signature to draw (default: serving_default)")
    p.add_argument("--expand", action="append", metavar="SCOPE",
                   help="show this scope or layer open, down to its ops (repeatable; "
                   "'all' opens everything)")
    p.add_argument("--op-level", action="store_true",
                   help="one node per op even for a Keras / TF2 model (default: per layer)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="stop Graphviz after this long (default: 60)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(func=_cmd_draw)


def _add_cut(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "cut",
        parents=[common],
        help="cut a SavedModel in two at a tensor: OUTDIR/head and OUTDIR/tail",
        description="Cut a SavedModel in two at one or more tensors (ge.saved_model.split): "
        "OUTDIR/head computes the cut tensors from the inputs, OUTDIR/tail the outputs from "
        "them; then check tail(head(x)) against the original on random inputs.",
    )
    p.add_argument("path", help="SavedModel directory")
    p.add_argument("--at", action="append", required=True, metavar="TENSOR",
                   help="tensor to cut at (a unique name suffix works); repeat for several")
    p.add_argument("-o", "--output", required=True, help="output directory (new or empty)")
    p.add_argument("--signature", default="serving_default",
                   help="the signature to cut (default: serving_default)")
    p.add_argument("--no-check", action="store_true",
                   help="skip the numeric check of tail(head(x)) against the original")
    p.set_defaults(func=_cmd_cut)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``graph-editor`` command; return its exit status.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on failure, 2 on a usage error.

    Example:
        >>> from graph_editor.cli import main
        >>> _ = open("model.pb", "wb").write(graph.as_graph_def().SerializeToString())
        >>> main(["inspect", "model.pb"])
        GraphDef: ...
        validate: ok
        ...
        0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if "tensorflow" not in sys.modules:  # the command's process only; the library never does
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = _parser()
    command = None
    try:
        args = parser.parse_args(argv)
        command = getattr(args, "command", None)
        if not command:
            parser.print_help()
            return 2
        return int(args.func(args))
    except CommandError as e:
        prog = e.prog or (f"{PROG} {command}" if command else PROG)
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.code
    except GraphEditError as e:  # a library check refused the input
        print(f"{PROG} {command}: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # permissions, a directory where a file was expected, a full disk
        where = f": '{e.filename}'" if e.filename else ""
        print(f"{PROG} {command or ''}".rstrip()
              + f": error: {e.strerror or _one_line(e)}{where}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - any other failure: one line, or the traceback
        if "--debug" in argv:
            raise
        print(f"{PROG} {command or ''}".rstrip() + f": error: {type(e).__name__}: "
              f"{_one_line(e)} (run again with --debug for the traceback)", file=sys.stderr)
        return 1


def _one_line(error: BaseException) -> str:
    """An exception's message on one line: its first non-empty line, clipped."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    if len(lines) > 1 and isinstance(error, GraphEditError):
        text = " ".join(lines)  # the library's own messages are written to be read whole
    return text if len(text) <= 400 else text[:397] + "..."


def _cmd_demo(args: argparse.Namespace) -> int:
    from graph_editor._demo import run_demo

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise CommandError(f"'{out}' exists and is not a directory", 2)
    return run_demo(out)


# --------------------------------------------------------------------------------------------
# cut
# --------------------------------------------------------------------------------------------


def _check_cut(path: Path, head: Path, tail: Path, key: str) -> str:
    """Compare tail(head(x)) with the original on random inputs; a one-line verdict."""
    import numpy as np
    import tensorflow as tf

    original = tf.saved_model.load(str(path)).signatures[key]
    specs = original.structured_input_signature[1]
    if not specs or any(not s.dtype.is_floating or s.shape.rank is None
                        for s in specs.values()):
        return "check skipped (inputs are not all floating tensors of known rank)"
    rng = np.random.default_rng(0)
    inputs = {
        name: tf.constant(rng.normal(size=[2 if d is None else d for d in s.shape.as_list()]),
                          dtype=s.dtype)
        for name, s in specs.items()
    }
    expected = original(**inputs)
    mid = tf.saved_model.load(str(head)).signatures[key](**inputs)
    got = tf.saved_model.load(str(tail)).signatures[key](**mid)
    if sorted(got) != sorted(expected):
        raise CommandError(f"check failed: the tail's outputs {sorted(got)} are not the "
                           f"original's {sorted(expected)}", 1)
    err = max(float(np.max(np.abs(got[k].numpy() - expected[k].numpy()), initial=0.0))
              for k in expected)
    if not err <= 1e-4:
        raise CommandError(f"check failed: tail(head(x)) differs from the original by {err:.2e}",
                           1)
    return f"check: max|tail(head(x)) - model(x)| = {err:.1e} on random inputs"


def _cmd_cut(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    import graph_editor as ge
    from graph_editor.errors import GraphEditKeyError

    out = Path(args.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CommandError(f"'{out}' exists and is not an empty directory", 2)
    if not out.parent.is_dir():
        raise CommandError(f"output directory's parent does not exist: '{out.parent}'", 2)
    model = _load(args.path)
    if model.kind != "SavedModel":
        raise CommandError(
            f"'{model.path}': cut needs a SavedModel directory (for a GraphDef, find cut "
            "points with ge.find_cut_points and see `graph-editor demo`)", 2)
    if args.signature not in [key for key, _, _ in model.signatures]:
        raise CommandError(
            f"no signature '{args.signature}' in '{model.path}'; it has: "
            f"{', '.join(key for key, _, _ in model.signatures) or 'none'}", 2)
    split = getattr(getattr(ge, "saved_model", None), "split", None)
    if split is None:
        raise CommandError("cut needs ge.saved_model.split, which is not available", 1)
    at = args.at[0] if len(args.at) == 1 else list(args.at)
    tmp = Path(tempfile.mkdtemp(prefix=".graph-editor-cut-", dir=out.parent))
    try:
        _progress(f"cutting {model.path} at {', '.join(args.at)} ...")
        try:
            crossing = split(str(model.path), at, str(tmp / "head"), str(tmp / "tail"),
                             signature_key=args.signature)
        except GraphEditKeyError as e:
            raise CommandError(str(e), 2) from e
        verdict = ("check skipped (--no-check)" if args.no_check
                   else _check_cut(model.path, tmp / "head", tmp / "tail", args.signature))
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"cut {model.path} at {', '.join(args.at)}")
    print(f"  head: {out / 'head'}  (signature '{args.signature}': the original inputs -> "
          f"{', '.join(crossing)})")
    print(f"  tail: {out / 'tail'}  (signature '{args.signature}': {', '.join(crossing)} -> "
          "the original outputs)")
    print(f"  {verdict}")
    return 0
