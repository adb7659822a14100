"""Benchmark: the offline viewer (``ge.view``) on keras.applications models.

For each model (``weights=None``, 96x96): the seconds to get its graph
(``ge.graph_from_keras``: Keras tracing the model), to write the page of that graph
(``ge.view(graph)``: what the viewer itself costs), to write the page of the model
(``ge.view(model)``: tracing included, layer classes added), the page's size, and the nodes
drawn at first. With Chromium, ``chromedriver`` and ``selenium`` installed, also
the page's load time in headless Chromium, the time of "Expand all" (every op drawn) and of
opening one layer, measured in the page.

Target: the page costs little next to tracing (``page s`` <= 1.5 s for each model) and is
interactive at once (``load s``, to the first drawing, <= 1 s).

Run: ``.venv/bin/python benchmarks/bench_view.py [MobileNetV2 ResNet50 ...]
[--screenshot docs/img/viewer_mobilenetv2.png]`` (the screenshot is of the first model).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import graph_editor as ge  # noqa: E402

MODELS = ("MobileNetV2", "ResNet50", "EfficientNetB0", "DenseNet121")


def _browser():
    """A headless Chromium driven by selenium, or None (with the reason printed)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        print("(no selenium: browser timings skipped; pip install selenium)")
        return None
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        print("(no chromium/chromedriver: browser timings skipped)")
        return None
    opts = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,1000"):
        opts.add_argument(arg)
    opts.binary_location = binary
    return webdriver.Chrome(service=Service(driver), options=opts)


_TIME_JS = """
const v = window.geViewer, t0 = performance.now();
document.getElementById('expand-all').click();
const t1 = performance.now(), n = v.visibleCount();
document.getElementById('collapse-all').click();
const t2 = performance.now();
const layer = v.data.scopes.findIndex(s => s.k === arguments[0]);
v.toggle(layer);
return [t1 - t0, n, performance.now() - t2];
"""


def _screenshot(driver, path: str) -> None:
    """MobileNetV2 at its first residual block, with a layer selected."""
    driver.execute_script(
        "const v = window.geViewer; v.search('block_2_add');"
        "document.getElementById('search').value = 'block_2_add';"
        "const i = v.data.scopes.findIndex(s => s.ln === 'block_2_add' ||"
        " s.n.endsWith('/block_2_add_1')); v.reveal('s' + i);"
        "document.getElementById('zoom-out').click();"
    )
    time.sleep(0.3)
    driver.save_screenshot(path)
    print(f"screenshot: {path}")


def main() -> None:
    args = sys.argv[1:]
    shot = None
    if "--screenshot" in args:
        k = args.index("--screenshot")
        shot = args[k + 1]
        del args[k : k + 2]
    names = args or list(MODELS)
    driver = _browser()
    tmp = tempfile.mkdtemp()
    print(
        f"{'model':<16}{'ops':>6}{'graph s':>9}{'page s':>8}{'view s':>8}{'MB':>7}"
        f"{'nodes':>7}{'load s':>8}{'all ms':>8}{'all n':>7}{'open ms':>8}"
    )
    for i, name in enumerate(names):
        model = getattr(keras.applications, name)(weights=None, input_shape=(96, 96, 3))
        t0 = time.perf_counter()
        graph = ge.graph_from_keras(model)
        t_graph = time.perf_counter() - t0
        path = os.path.join(tmp, f"{name}.html")
        t0 = time.perf_counter()
        ge.view(graph, path)
        t_page = time.perf_counter() - t0
        t0 = time.perf_counter()
        ge.view(model, path)
        t_view = time.perf_counter() - t0
        size = os.path.getsize(path) / 1e6
        row = (
            f"{name:<16}{len(graph.get_operations()):>6}{t_graph:>9.2f}{t_page:>8.2f}"
            f"{t_view:>8.2f}{size:>7.2f}"
        )
        if driver is not None:
            t0 = time.perf_counter()
            driver.get("file://" + path)
            nodes = driver.execute_script("return window.geViewer.visibleCount()")
            t_load = time.perf_counter() - t0
            t_all, n_all, t_open = driver.execute_script(_TIME_JS, "Conv2D")
            row += f"{nodes:>7}{t_load:>8.2f}{t_all:>8.0f}{n_all:>7}{t_open:>8.0f}"
            if shot and i == 0:
                driver.get("file://" + path)
                _screenshot(driver, shot)
        print(row, flush=True)
    if driver is not None:
        driver.quit()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
