"""The viewer's pages in a real browser: headless Chromium driven by selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them when missing)
and ``selenium`` (the ``dev`` extra). Skipped, with the reason, only when Chromium or its
driver cannot be found.
"""

from __future__ import annotations

import shutil

import keras
import pytest
import tensorflow as tf
from test_viewer import _gate_edit, blocks_graph, small_model

import graph_editor as ge

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def _find_chromium() -> tuple[str | None, str | None]:
    binary = next((shutil.which(n) for n in _BROWSERS if shutil.which(n)), None)
    return binary, shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    binary, driver_path = _find_chromium()
    if binary is None or driver_path is None:
        pytest.skip(
            "Chromium not found (need `chromium` and `chromedriver` on the PATH: "
            "apt-get install chromium chromium-driver; .ci/run installs them)"
        )
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is missing: pip install -e '.[dev]'"
    )
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
    ):
        opts.add_argument(arg)
    opts.binary_location = binary
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(driver, path) -> None:
    driver.get(path.resolve().as_uri())
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
    assert driver.execute_script("return window.geViewer.visibleCount()") > 0


def _by(driver):
    from selenium.webdriver.common.by import By

    return By


def _details(driver) -> str:
    return driver.find_element(_by(driver).ID, "details").text


def _node(driver, key: str):
    return driver.find_element(_by(driver).CSS_SELECTOR, f'#canvas g.node[data-key="{key}"]')


def _scope_key(driver, layer: str) -> str:
    i = driver.execute_script(
        "return window.geViewer.data.scopes.findIndex(s => (s.ln || s.n.split('/').pop())"
        " === arguments[0])",
        layer,
    )
    assert i >= 0, layer
    return f"s{i}"


def test_search_click_details_expand(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    By = _by(browser)
    path = ge.view(small_model(), tmp_path / "tiny.html")
    _open(browser, path)
    # One node per layer at first (input, 7 layers, and the graph's output op).
    n0 = browser.execute_script("return window.geViewer.visibleCount()")
    layers = browser.find_elements(By.CSS_SELECTOR, "#canvas g.node.scope.layer")
    assert len(layers) == 7 and n0 <= 10

    # Search for a layer by name, click the first result: its details show its type.
    box = browser.find_element(By.ID, "search")
    box.send_keys("bn")
    results = browser.find_elements(By.CSS_SELECTOR, "#results div")
    assert results and "tiny_1/bn_1/" in results[0].text
    results[0].click()
    details = _details(browser)
    assert "BatchNormalization" in details and "Keras layer" in details
    assert "bn/moving_variance" in details  # the variables it reads
    bn = _scope_key(browser, "bn")
    assert "sel" in _node(browser, bn).get_attribute("class")

    # Click a node in the drawing: the details panel follows.
    c1 = _node(browser, _scope_key(browser, "c1"))
    ActionChains(browser).move_to_element(c1).click().perform()
    details = _details(browser)
    assert details.startswith("c1") and "Conv2D" in details
    assert "c1/kernel" in details and "float32[?,8,8,4]" in details

    # Double-click opens the layer: its ops are drawn, inside an outline with its name.
    ActionChains(browser).double_click(c1).perform()
    n1 = browser.execute_script("return window.geViewer.visibleCount()")
    assert n1 > n0
    conv = browser.find_elements(
        By.XPATH,
        "//*[local-name()='g'][contains(@class,'node')]"
        "/*[local-name()='text'][text()='convolution']",
    )
    assert len(conv) == 1
    label = browser.find_element(
        By.XPATH,
        "//*[local-name()='g'][@class='cluster']/*[local-name()='text'][contains(., 'c1_1')]",
    )
    ActionChains(browser).move_to_element(conv[0]).click().perform()
    assert "Conv2D" in _details(browser) and "strides" in _details(browser)
    # Clicking the open layer's label closes it again.
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", label
    )
    assert browser.execute_script("return window.geViewer.visibleCount()") == n0

    # Zoom with the wheel, pan by dragging: the viewport transform changes.
    viewport = browser.find_element(By.ID, "viewport")
    t0 = viewport.get_attribute("transform")
    browser.execute_script(
        "document.getElementById('canvas').dispatchEvent(new WheelEvent('wheel',"
        " {deltaY: -300, clientX: 700, clientY: 300, bubbles: true, cancelable: true}))"
    )
    t1 = browser.find_element(By.ID, "viewport").get_attribute("transform")
    assert t1 != t0 and "scale(" in t1
    canvas = browser.find_element(By.ID, "canvas")
    ActionChains(browser).move_to_element_with_offset(
        canvas, 300, 300
    ).click_and_hold().move_by_offset(80, 40).release().perform()
    assert browser.find_element(By.ID, "viewport").get_attribute("transform") != t1

    # Enter in the search box jumps to the best match; Escape clears it.
    box.clear()
    box.send_keys("MatMul", Keys.ENTER)
    assert _details(browser).splitlines()[0].endswith("/MatMul")
    box.send_keys(Keys.ESCAPE)
    assert browser.find_elements(By.CSS_SELECTOR, "#results div") == []


def test_diff_page(browser, tmp_path):
    By = _by(browser)
    g = blocks_graph()
    before = g.as_graph_def()
    after = _gate_edit(g)
    _open(browser, ge.diff_view(before, after, tmp_path / "edit.html"))
    legend = browser.find_element(By.ID, "legend").text
    for word in ("added (1)", "removed (3)", "rewired (1)", "changed (0)"):
        assert word in legend
    added = browser.find_elements(By.CSS_SELECTOR, "#canvas g.node.added")
    removed = browser.find_elements(By.CSS_SELECTOR, "#canvas g.node.removed")
    rewired = browser.find_elements(By.CSS_SELECTOR, "#canvas g.node.rewired")
    assert (len(added), len(removed), len(rewired)) == (1, 2, 1)
    assert browser.find_elements(By.CSS_SELECTOR, "#canvas path.edge.removed")
    rewired[0].click()
    details = _details(browser)
    assert "rewired" in details and "INPUTS BEFORE THE EDIT" in details.upper()
    assert "block2/act:0" in details and "block2/gate:0" in details
    # The legend lists the ops of a kind.
    browser.find_element(By.CSS_SELECTOR, '#legend div[data-status="removed"]').click()
    listed = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#results div[data-key]")]
    assert [t.split()[-1] for t in listed] == ["block2/mm", "block2/act"]
    note = browser.find_element(By.CSS_SELECTOR, "#results div.muted").text
    assert note.startswith("1 more not drawn")  # block2/ones, folded into block2/mm


def test_cycle_is_drawn(browser, tmp_path):
    """A cycle (as v1 while loops make) is laid out with one edge turned around."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        a = tf.add(x, x, name="a")
        b = tf.tanh(a, name="b")
        tf.identity(b, name="out")
    a.op._update_input(1, b)  # a = x + b: a <-> b is a cycle (raw TF allows it)
    _open(browser, ge.view(g, tmp_path / "cycle.html"))
    assert browser.execute_script("return window.geViewer.visibleCount()") == 4
    ys = browser.execute_script(
        "return ['x', 'a', 'b', 'out'].map(n => document.querySelector("
        "'#canvas g.node[data-key=\"o' + window.geViewer.data.ops.findIndex(o => o.n === n)"
        " + '\"]').getAttribute('transform'))"
    )
    rows = [float(t.split(",")[1].rstrip(")")) for t in ys]
    assert rows == sorted(rows) and len(set(rows)) == 4  # x, a, b, out top-down
    assert len(browser.find_elements(_by(browser).CSS_SELECTOR, "#canvas path.edge")) == 4


@pytest.mark.slow
def test_mobilenetv2_page(browser, tmp_path):
    By = _by(browser)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))
    path = ge.view(model, tmp_path / "mobilenetv2.html")
    _open(browser, path)
    # Layer level at first: one node per layer, not per op.
    n0 = browser.execute_script("return window.geViewer.visibleCount()")
    assert 150 <= n0 <= 170
    box = browser.find_element(By.ID, "search")
    box.send_keys("block_5_depthwise")
    first = browser.find_elements(By.CSS_SELECTOR, "#results div")[0]
    assert first.text.split()[0] == "DepthwiseConv2D"
    first.click()
    details = _details(browser)
    assert details.startswith("block_5_depthwise") and "DepthwiseConv2D" in details
    assert "block_5_depthwise/kernel" in details
    browser.find_element(By.ID, "expand-all").click()
    assert browser.execute_script("return window.geViewer.visibleCount()") > 3 * n0
    browser.find_element(By.ID, "collapse-all").click()
    assert browser.execute_script("return window.geViewer.visibleCount()") == n0
