"""Tests for the graph-editor command (graph_editor.cli), in-process and as a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf
from google.protobuf import text_format

import graph_editor as ge
from graph_editor._viewer_page import DATA_ID
from graph_editor.cli import main

ROOT = Path(__file__).resolve().parent.parent
HAS_DOT = shutil.which("dot") is not None


def _graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        with tf.name_scope("block"):
            w = tf.constant([[1.0]] * 4, name="w")
            h = tf.nn.relu(tf.matmul(x, w, name="mm"), name="h")
        tf.identity(h, name="y")
    return g


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    gd = _graph().as_graph_def()
    (root / "model.pb").write_bytes(gd.SerializeToString())
    (root / "model.pbtxt").write_text(text_format.MessageToString(gd))
    (root / "corrupt.pb").write_bytes(b"\xff\xfe not a protobuf \x00\x01")

    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([2.0, 3.0], name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def __call__(self, x):
            return {"scaled": tf.nn.relu(tf.multiply(x, self.w, name="mid"))}

    module = Scale()
    tf.saved_model.save(
        module, str(root / "saved"), signatures={"serving_default": module.__call__}
    )
    (root / "empty_dir").mkdir()
    return root


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str, command: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    prefix = f"graph-editor {command}: error: " if command else "graph-editor: error: "
    assert lines[0].startswith(prefix)
    return lines[0]


# --------------------------------------------------------------------------------------------
# inspect
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model.pb", "model.pbtxt"])
def test_inspect_graph_def(models, capsys, name):
    code, out, err = _run(capsys, ["inspect", str(models / name)])
    assert code == 0, err
    assert out.startswith(f"GraphDef: {models / name}")
    assert "inputs (placeholders): 1\n  x:0: float32[?,4]" in out
    assert "outputs (unconsumed tensors): 1\n  y:0: float32[?,1]" in out
    n_ops = len(_graph().get_operations())
    assert f"ops: {n_ops} in the graph" in out
    assert "Placeholder 1" in out and "MatMul 1" in out
    assert "validate: ok" in out
    assert "block/mm  " in out and f"Graph: {n_ops} ops" in out  # the summary table
    assert err == ""


def test_inspect_saved_model(models, capsys):
    code, out, err = _run(capsys, ["inspect", str(models / "saved"), "--max-rows", "3"])
    assert code == 0, err
    assert out.startswith(f"SavedModel: {models / 'saved'}")
    assert "tags: serve" in out
    assert "  serving_default\n    in   x: float32[?,2] (serving_default_x:0)" in out
    assert "    out  scaled: float32[?,2]" in out
    assert "library function(s)" in out and "functions:" in out
    # the histogram counts the inlined signature graph (Relu and Mul live in a function)
    hist = out.split("ops by type (the graph):")[1].split("functions:")[0]
    assert "Relu 1" in hist and "Mul 1" in hist
    assert "more ops (max_rows=3)." in out
    # saved_model.pb given directly means its directory
    code2, out2, _ = _run(capsys, ["inspect", str(models / "saved" / "saved_model.pb")])
    assert code2 == 0 and "serving_default" in out2


def test_inspect_saved_model_shows_the_inlined_signature_graph(models, capsys):
    # The top-level graph of a TF2 SavedModel is only a call op; the summary must show the
    # signature's real ops, with the calls inlined.
    code, out, err = _run(capsys, ["inspect", str(models / "saved"), "--max-rows", "100"])
    assert code == 0, err
    assert "graph: signature 'serving_default', calls inlined" in out
    table = out.split("\nGraph: ")[1]
    assert " Relu " in table and " Mul " in table and "mid" in table
    assert "StatefulPartitionedCall " not in table.replace("StatefulPartitionedCall/", "")
    code, out, err = _run(capsys, ["inspect", str(models / "saved"), "--signature", "nope"])
    assert code == 2 and "no signature 'nope'" in _one_error_line(err, "inspect")
    assert out == ""
    code, _, err = _run(capsys, ["inspect", str(models / "model.pb"), "--signature", "x"])
    assert code == 2 and "SavedModel directories only" in _one_error_line(err, "inspect")


def test_draw_saved_model_draws_the_signature_ops(models, tmp_path, capsys):
    out = tmp_path / "sig.dot"
    code, _, err = _run(capsys, ["draw", str(models / "saved"), "-o", str(out)])
    assert code == 0, err
    dot = out.read_text()
    assert "Relu" in dot and "mid" in dot


def test_inspect_bad_inputs(models, capsys):
    code, out, err = _run(capsys, ["inspect", str(models / "missing.pb")])
    assert code == 2 and out == ""
    assert "missing.pb" in _one_error_line(err, "inspect")
    code, out, err = _run(capsys, ["inspect", str(models / "corrupt.pb")])
    assert code == 1 and "corrupt.pb" in _one_error_line(err, "inspect")
    code, out, err = _run(capsys, ["inspect", str(models / "empty_dir")])
    assert code == 2 and "not a SavedModel" in _one_error_line(err, "inspect")
    code, out, err = _run(capsys, ["inspect", str(models / "model.pb"), "--max-rows", "-1"])
    assert code == 2 and "--max-rows" in _one_error_line(err, "inspect")
    (models / "notes.txt").write_text("hello")
    code, out, err = _run(capsys, ["inspect", str(models / "notes.txt")])
    assert code == 1 and "notes.txt" in _one_error_line(err, "inspect")


# --------------------------------------------------------------------------------------------
# draw
# --------------------------------------------------------------------------------------------


def test_draw_dot_and_scope(models, tmp_path, capsys):
    out_file = tmp_path / "g.dot"
    code, out, err = _run(capsys, ["draw", str(models / "model.pb"), "-o", str(out_file)])
    assert code == 0, err
    assert out.strip() == f"wrote {out_file} ({len(_graph().get_operations())} ops)"
    text = out_file.read_text()
    assert text.startswith('digraph "G" {') and 'subgraph "cluster_block/"' in text
    assert 'label="model.pb"' in text
    scoped = tmp_path / "s.dot"
    code, out, err = _run(
        capsys, ["draw", str(models / "model.pb"), "-o", str(scoped), "--scope", "block"]
    )
    assert code == 0 and "(3 ops)" in out
    stext = scoped.read_text()
    assert stext.count("#fde68a") == 3  # the scope's 3 ops highlighted
    assert 'label="model.pb / block"' in stext
    collapsed = tmp_path / "c.dot"
    code, _, _ = _run(
        capsys, ["draw", str(models / "model.pb"), "-o", str(collapsed), "--collapse-depth", "0"]
    )
    assert code == 0 and '"block/" [label="block/\\n(3 ops)"' in collapsed.read_text()


def test_draw_bad_inputs_write_nothing(models, tmp_path, capsys):
    pb = str(models / "model.pb")
    out_file = tmp_path / "g.dot"
    code, _, err = _run(capsys, ["draw", pb, "-o", str(out_file), "--scope", "nope"])
    assert code == 2 and "'nope'" in _one_error_line(err, "draw")
    code, _, err = _run(capsys, ["draw", pb, "-o", str(out_file), "--max-ops", "2"])
    line = _one_error_line(err, "draw")
    assert code == 1 and "--max-ops 2" in line and "--scope" in line
    code, _, err = _run(capsys, ["draw", pb, "-o", str(tmp_path / "no" / "g.svg")])
    assert code == 2 and "does not exist" in _one_error_line(err, "draw")
    code, _, err = _run(capsys, ["draw", pb, "-o", str(tmp_path / "g.txt")])
    assert code == 2 and ".svg" in _one_error_line(err, "draw")
    code, _, err = _run(capsys, ["draw", str(tmp_path / "nothing.pb"), "-o", str(out_file)])
    assert code == 2 and "nothing.pb" in _one_error_line(err, "draw")
    code, _, err = _run(capsys, ["draw", pb])  # -o missing: argparse usage error
    assert code == 2 and "-o" in _one_error_line(err, "draw")
    assert list(tmp_path.iterdir()) == []


def test_draw_scope_follows_the_library_name_rules(models, tmp_path, capsys):
    # --scope is resolved like every ge name: exact, a unique suffix, trace suffixes (a Keras
    # layer "enc" traced in scope "enc_1"), else the closest names
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        with tf.name_scope("net"), tf.name_scope("enc_1"):
            h = tf.nn.relu(tf.matmul(x, tf.ones([4, 2]), name="mm"), name="h")
        tf.identity(h, name="y")
    pb = tmp_path / "nested.pb"
    pb.write_bytes(g.as_graph_def().SerializeToString())
    for given in ("net/enc_1", "enc_1", "enc"):
        out_file = tmp_path / f"{given.replace('/', '_')}.dot"
        code, out, err = _run(capsys, ["draw", str(pb), "-o", str(out_file), "--scope", given])
        assert code == 0 and "(3 ops)" in out, (given, err)  # ones, mm, h
        assert out_file.read_text().count("#fde68a") == 3
    code, _, err = _run(capsys, ["draw", str(models / "model.pb"), "-o",
                                 str(tmp_path / "x.dot"), "--scope", "blok"])
    line = _one_error_line(err, "draw")
    assert code == 2 and "No name scope 'blok'" in line and "Closest names: ['block']" in line
    assert not (tmp_path / "x.dot").exists()


def test_cut_at_an_unknown_name_lists_the_closest_names(models, tmp_path, capsys):
    code, _, err = _run(capsys, ["cut", str(models / "saved"), "--at", "mdi", "-o",
                                 str(tmp_path / "cut")])
    line = _one_error_line(err, "cut")
    assert code == 2 and "No tensor named 'mdi'" in line
    assert re.search(r"Closest names: \[[^]]*'StatefulPartitionedCall/mid:0'", line), line
    assert list(tmp_path.iterdir()) == []


def test_draw_svg_without_graphviz(models, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    out_file = tmp_path / "g.svg"
    code, _, err = _run(capsys, ["draw", str(models / "model.pb"), "-o", str(out_file)])
    line = _one_error_line(err, "draw")
    assert code == 1
    assert "pip install tf-graph-editor[viz]" in line and "apt-get install graphviz" in line
    assert not out_file.exists()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_draw_svg(models, tmp_path, capsys):
    out_file = tmp_path / "g.svg"
    code, _, err = _run(capsys, ["draw", str(models / "saved"), "-o", str(out_file)])
    assert code == 0, err
    assert "<svg" in out_file.read_text()


def test_progress_lines_only_on_a_terminal(models, capsys, monkeypatch):
    code, _, err = _run(capsys, ["inspect", str(models / "model.pb")])
    assert code == 0 and err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = _run(capsys, ["inspect", str(models / "model.pb")])
    assert code == 0 and err == f"loading {models / 'model.pb'} ...\n"


# --------------------------------------------------------------------------------------------
# cut
# --------------------------------------------------------------------------------------------


def test_cut_saved_model(models, tmp_path, capsys):
    out_dir = tmp_path / "cut"
    code, out, err = _run(capsys, ["cut", str(models / "saved"), "--at", "mid", "-o", str(out_dir)])
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["head", "tail"]
    assert "check: max|tail(head(x)) - model(x)| = 0.0e+00" in out
    assert "head: " in out and "StatefulPartitionedCall_mid" in out
    head = tf.saved_model.load(str(out_dir / "head")).signatures["serving_default"]
    tail = tf.saved_model.load(str(out_dir / "tail")).signatures["serving_default"]
    x = tf.constant([[1.0, -1.0], [-2.0, 4.0]])
    mid = head(x=x)
    assert list(mid) == ["StatefulPartitionedCall_mid"]
    tf.debugging.assert_equal(mid["StatefulPartitionedCall_mid"], x * [2.0, 3.0])
    tf.debugging.assert_equal(tail(**mid)["scaled"], tf.nn.relu(x * [2.0, 3.0]))
    assert [p.name for p in tmp_path.iterdir()] == ["cut"]  # no temporary directory left


def test_cut_bad_inputs_write_nothing(models, tmp_path, capsys):
    saved = str(models / "saved")
    out_dir = tmp_path / "cut"
    code, _, err = _run(capsys, ["cut", saved, "--at", "nope", "-o", str(out_dir)])
    assert code == 2 and "'nope'" in _one_error_line(err, "cut")
    code, _, err = _run(capsys, ["cut", str(models / "model.pb"), "--at", "block/h",
                                 "-o", str(out_dir)])
    assert code == 2 and "SavedModel" in _one_error_line(err, "cut")
    code, _, err = _run(capsys, ["cut", saved, "--at", "mid", "-o", str(out_dir),
                                 "--signature", "other"])
    assert code == 2 and "serving_default" in _one_error_line(err, "cut")
    code, _, err = _run(capsys, ["cut", saved, "-o", str(out_dir)])
    assert code == 2 and "--at" in _one_error_line(err, "cut")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    code, _, err = _run(capsys, ["cut", saved, "--at", "mid", "-o", str(tmp_path / "full")])
    assert code == 2 and "not an empty directory" in _one_error_line(err, "cut")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["f"]


# --------------------------------------------------------------------------------------------
# usage
# --------------------------------------------------------------------------------------------


def test_usage_errors(capsys):
    code, out, err = _run(capsys, [])
    assert code == 2 and all(c in out for c in ("demo", "inspect", "draw", "cut"))
    code, _, err = _run(capsys, ["frobnicate"])
    assert code == 2 and "frobnicate" in _one_error_line(err, "")
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and ge.__version__ in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------

SURGERIES = ("noise insertion", "cut in two", "clone with independent variables",
             "op replacement", "Keras pruning with a coupled group")


def test_demo_runs_every_surgery_and_writes_pictures(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    code, out, err = _run(capsys, ["demo", "-o", str(out_dir)])
    assert code == 0, out + err
    for i, title in enumerate(SURGERIES, 1):
        assert f"[{i}/{len(SURGERIES)}] {title} ..." in out
    results = [line.split()[0] for line in out.splitlines() if line.startswith("      ")]
    assert len(results) == 5 and "FAIL" not in results
    summary = out.strip().splitlines()[-1]
    assert results.count("PASS") == 5
    assert summary.startswith("demo summary: 5 of 5 surgeries passed (0 failed)")
    ext = "svg" if HAS_DOT else "dot"
    files = sorted(p.name for p in out_dir.iterdir())
    assert "0_model_before." + ext in files and "2_cut_head." + ext in files
    diffs = ["1_noise_diff.html", "3_clone_diff.html", "4_relu6_diff.html"]
    assert [n for n in files if n.endswith(".html")] == diffs
    assert all(name.endswith("." + ext) for name in files if name not in diffs)
    page = (out_dir / "1_noise_diff.html").read_text()
    data = json.loads(re.search(r'<script type="application/json" id="' + DATA_ID
                                + r'">(.*?)</script>', page, re.S).group(1))
    assert "noise/noisy" in data["diff"]["added"]  # the noise ops are marked as added
    assert data["diff"]["rewired"] == ["mlp/layer2/MatMul"] and not data["diff"]["removed"]
    assert "validate: ok" in out and "max|tail(head(x)) - model(x)|" in out


def test_demo_without_graphviz_writes_dot_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    out_dir = tmp_path / "demo"
    code, out, _ = _run(capsys, ["demo", "-o", str(out_dir)])
    assert code == 0
    assert "Graphviz not found: writing .dot files instead of .svg" in out
    assert "pip install tf-graph-editor[viz]" in out
    files = sorted(p.name for p in out_dir.iterdir())
    assert files and all(name.endswith((".dot", "_diff.html")) for name in files)
    assert sum(name.endswith(".html") for name in files) == 3  # the diff pages need no Graphviz


def test_demo_reports_failures_with_exit_1(tmp_path, capsys, monkeypatch):
    def broken_reroute(ts0, ts1, can_modify=None, cannot_modify=None):
        return 0  # does nothing: the noise never reaches the output

    monkeypatch.setattr(ge, "reroute_ts", broken_reroute)
    code, out, _ = _run(capsys, ["demo", "-o", str(tmp_path / "d")])
    assert code == 1
    assert "FAIL" in out and "(1 failed)" in out


def test_demo_default_directory_and_bad_output(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = _run(capsys, ["demo"])
    assert code == 0 and (tmp_path / "graph-editor-demo").is_dir()
    (tmp_path / "afile").write_text("x")
    code, _, err = _run(capsys, ["demo", "-o", "afile"])
    assert code == 2 and "afile" in _one_error_line(err, "demo")


# --------------------------------------------------------------------------------------------
# python -m graph_editor, start-up cost, log lines and unexpected errors
# --------------------------------------------------------------------------------------------


def _run_python(code: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


# One fresh interpreter (TensorFlow's cold import costs seconds) runs, in this order:
# `import graph_editor` (must not load TensorFlow), `python -m graph_editor inspect model.pbtxt`
# (through runpy, exactly as `-m` runs graph_editor/__main__.py), then every public name.
# TF_CPP_MIN_LOG_LEVEL is unset, so the command's own quieting of TF's start-up lines shows.
_FRESH_PROCESS = """\
import os, runpy, sys
import graph_editor as ge
print('@LAZY', 'tensorflow' not in sys.modules, flush=True)
sys.argv = ['graph_editor', 'inspect', {model!r}]
try:
    runpy.run_module('graph_editor', run_name='__main__', alter_sys=True)
except SystemExit as exc:
    print('@EXIT', exc.code, flush=True)
print('@LEVEL', os.environ.get('TF_CPP_MIN_LOG_LEVEL'))
print('@MISSING', [n for n in ge.__all__ if getattr(ge, n, None) is None])
print('@IN_DIR', set(ge.__all__) <= set(dir(ge)))
"""


@pytest.fixture(scope="module")
def fresh_process(models):
    """The fresh interpreter's stdout split at its ``@KEY`` lines, plus its stderr."""
    out = _run_python(_FRESH_PROCESS.format(model=str(models / "model.pbtxt")))
    assert out.returncode == 0, out.stderr
    parts = dict(re.findall(r"^@(\w+) ?(.*?)(?=^@|\Z)", out.stdout, re.M | re.S))
    parts["stderr"] = out.stderr
    return parts


def test_python_dash_m(models, fresh_process):
    inspect_out = fresh_process["LAZY"].split("\n", 1)[1]
    assert fresh_process["EXIT"].strip() == "0", fresh_process["stderr"]
    assert inspect_out.startswith("GraphDef:") and "block/h" in inspect_out
    # The error path stops before TensorFlow is imported: a real `python -m` run costs little.
    bad = subprocess.run(
        [sys.executable, "-m", "graph_editor", "draw", str(models / "nope.pb"), "-o", "x.svg"],
        capture_output=True, text=True, timeout=120, cwd=models,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT)),
    )
    assert bad.returncode == 2 and bad.stdout == ""
    last = bad.stderr.strip().splitlines()[-1]
    assert last.startswith("graph-editor draw: error: no such file or directory")
    assert "nope.pb" in last
    assert not (models / "x.svg").exists()


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_do_not_import_tensorflow(flag):
    code = (
        "import sys\n"
        "from graph_editor.cli import main\n"
        "try:\n"
        f"    main([{flag!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TF_IMPORTED' if 'tensorflow' in sys.modules else 'TF_NOT_IMPORTED')\n"
    )
    out = _run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("TF_NOT_IMPORTED")
    assert ("usage: graph-editor" if flag == "--help" else "graph-editor ") in out.stdout
    assert out.stderr == ""  # no TensorFlow start-up lines


def test_importing_the_package_is_lazy_and_every_public_name_resolves(fresh_process):
    assert fresh_process["LAZY"].startswith("True\n"), "import graph_editor loaded TensorFlow"
    assert fresh_process["MISSING"].strip() == "[]", fresh_process["MISSING"]
    assert fresh_process["IN_DIR"].strip() == "True"


def test_rewrite_is_both_the_module_and_the_function():
    import importlib

    import graph_editor.passes  # noqa: F401 - imports graph_editor.rewrite as a submodule

    module = importlib.import_module("graph_editor.rewrite")
    import graph_editor.rewrite as m

    assert m is module and ge.rewrite is module
    assert m.rewrite is not m and callable(ge.rewrite)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        tf.identity(tf.nn.relu(tf.nn.relu(x)), name="y")
    report = ge.rewrite(g, ge.OpMatcher("Relu").input_ops(ge.OpMatcher("Relu")),
                        lambda match: tf.nn.relu(match.inputs[0]))
    assert isinstance(report, m.RewriteReport) and report.matches == 1


def test_command_quiets_tensorflow_start_up_lines_for_its_process_only(fresh_process,
                                                                        monkeypatch):
    assert fresh_process["EXIT"].strip() == "0", fresh_process["stderr"]
    assert fresh_process["LEVEL"].strip() == "2"
    assert "cpu_feature_guard" not in fresh_process["stderr"]
    assert "I0000" not in fresh_process["stderr"]
    version = ("import os\nfrom graph_editor.cli import main\ntry:\n    main(['--version'])\n"
               "except SystemExit:\n    pass\n"
               "print('LEVEL', os.environ.get('TF_CPP_MIN_LOG_LEVEL'))")
    assert "LEVEL 0" in _run_python(version, {"TF_CPP_MIN_LOG_LEVEL": "0"}).stdout  # yours wins
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    ge.summary(_graph())  # the library itself never sets it
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ


def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(models, capsys,
                                                                   monkeypatch):
    import graph_editor.cli as cli

    def boom(args):
        raise RuntimeError("first line of the failure\nsecond line\nthird line")

    monkeypatch.setattr(cli, "_cmd_inspect", boom)
    assert main(["inspect", str(models / "model.pb")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("graph-editor inspect: error: RuntimeError: first line of the failure")
    assert "--debug" in err
    for argv in (["--debug", "inspect", str(models / "model.pb")],
                 ["inspect", str(models / "model.pb"), "--debug"]):
        with pytest.raises(RuntimeError, match="first line"):
            main(argv)


def test_draw_refuses_to_overwrite_without_force_and_a_directory_as_output(models, tmp_path,
                                                                           capsys):
    out_file = tmp_path / "g.dot"
    out_file.write_text("keep me")
    code, out, err = _run(capsys, ["draw", str(models / "model.pb"), "-o", str(out_file)])
    assert code == 2 and out == "" and "exists; pass --force" in err and err.count("\n") == 1
    assert out_file.read_text() == "keep me"
    code, out, err = _run(capsys, ["draw", str(models / "model.pb"), "-o", str(out_file),
                                   "--force"])
    assert code == 0 and out_file.read_text().startswith('digraph "G" {')
    (tmp_path / "d.svg").mkdir()
    code, _, err = _run(capsys, ["draw", str(models / "model.pb"), "-o", str(tmp_path / "d.svg")])
    assert code == 2 and "is a directory" in err and err.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_input_is_one_line(models, tmp_path, capsys):
    locked = tmp_path / "locked.pb"
    locked.write_bytes((models / "model.pb").read_bytes())
    locked.chmod(0)
    code, _, err = _run(capsys, ["inspect", str(locked)])
    assert code == 2 and "Permission denied" in err and err.count("\n") == 1


def test_os_errors_are_one_line_with_exit_2(models, capsys, monkeypatch):
    import graph_editor.cli as cli

    def denied(args):
        raise PermissionError(13, "Permission denied", "/models/locked.pb")

    monkeypatch.setattr(cli, "_cmd_inspect", denied)
    code, _, err = _run(capsys, ["inspect", str(models / "model.pb")])
    assert code == 2
    assert err == "graph-editor inspect: error: Permission denied: '/models/locked.pb'\n"


def test_draw_html_writes_the_offline_viewer(models, tmp_path, capsys):
    out_file = tmp_path / "model.html"
    code, out, err = _run(capsys, ["draw", str(models / "model.pb"), "-o", str(out_file),
                                   "--expand", "block"])
    assert code == 0, err
    assert out.startswith(f"wrote {out_file} (") and "no network needed" in out
    page = out_file.read_text()
    data = json.loads(re.search(r'<script type="application/json" id="' + DATA_ID
                                + r'">(.*?)</script>', page, re.S).group(1))
    assert "block/h" in json.dumps(data)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)  # nothing fetched
    code, _, err = _run(capsys, ["draw", str(models / "model.pb"), "-o",
                                 str(tmp_path / "m2.html"), "--expand", "no_such_scope"])
    assert code == 2 and "no_such_scope" in err and err.count("\n") == 1
    assert not (tmp_path / "m2.html").exists()


def test_draw_hints_use_the_commands_options_and_never_repeat_one_in_use(models, tmp_path,
                                                                          capsys):
    pb = str(models / "model.pb")
    out_file = tmp_path / "g.dot"
    code, _, err = _run(capsys, ["draw", pb, "-o", str(out_file), "--max-ops", "3"])
    line = _one_error_line(err, "draw")
    assert code == 1 and "--collapse-depth 0" in line and "-o model.html" in line
    assert "max_ops=" not in line and "collapse_depth=" not in line and "ge." not in line
    code, _, err = _run(capsys, ["draw", pb, "-o", str(out_file), "--max-ops", "2",
                                 "--collapse-depth", "0"])
    line = _one_error_line(err, "draw")
    assert code == 1 and "--collapse-depth 0" not in line  # already in use
    assert not out_file.exists()


def test_draw_expand_and_op_level_reach_the_picture(models, tmp_path, capsys):
    pb = str(models / "model.pb")
    code, _, err = _run(capsys, ["draw", pb, "-o", str(tmp_path / "a.dot"),
                                 "--collapse-depth", "0", "--expand", "block"])
    assert code == 0, err
    assert '"block/h"' in (tmp_path / "a.dot").read_text()  # the scope is drawn open
    code, _, err = _run(capsys, ["draw", pb, "-o", str(tmp_path / "b.dot"), "--expand", "nope"])
    assert code == 2 and "nope" in _one_error_line(err, "draw")
