"""The offline viewer's page: one HTML file, its CSS here and its script in _viewer_js.

:func:`page` fills the template with a title and the JSON data of
:mod:`graph_editor._viewer_data`. The script lays the graph out itself (layered: longest-path
ranks, dummy nodes on long edges, barycentre ordering, then a few smoothing passes on x),
and redraws on every expand / collapse, so only the drawn nodes are laid out.
"""

from __future__ import annotations

import html
import json

from graph_editor._viewer_js import JS

__all__ = ["page", "DATA_ID"]

#: id of the ``<script type="application/json">`` element holding the data.
DATA_ID = "ge-data"

_CSS = r"""
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.35 system-ui, -apple-system, "Segoe UI",
  Helvetica, Arial, sans-serif; color: #1f2937; }
#app { display: flex; height: 100%; }
#side { width: 360px; min-width: 260px; border-right: 1px solid #d1d5db; display: flex;
  flex-direction: column; background: #f9fafb; }
#head { padding: 10px 12px 6px; border-bottom: 1px solid #e5e7eb; }
#head h1 { font-size: 15px; margin: 0 0 4px; word-break: break-all; }
#stats { color: #6b7280; font-size: 12px; }
#search { width: 100%; padding: 6px 8px; margin-top: 8px; border: 1px solid #9ca3af;
  border-radius: 6px; font-size: 13px; }
#results { max-height: 30%; overflow: auto; border-bottom: 1px solid #e5e7eb; }
#results div { padding: 3px 12px; cursor: pointer; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
#results div:hover { background: #e0e7ff; }
#results .kind { color: #6b7280; font-size: 11px; margin-right: 6px; }
#details { flex: 1; overflow: auto; padding: 8px 12px 16px; }
#details h2 { font-size: 14px; margin: 4px 0; word-break: break-all; }
#details h3 { font-size: 12px; margin: 12px 0 4px; color: #4b5563; text-transform: uppercase;
  letter-spacing: .04em; }
#details table { border-collapse: collapse; width: 100%; font-size: 12px; }
#details td { border-top: 1px solid #e5e7eb; padding: 2px 4px; vertical-align: top;
  word-break: break-all; }
#details td:first-child { color: #4b5563; white-space: nowrap; word-break: normal; }
.io { border-top: 1px solid #e5e7eb; padding: 2px 0; font-size: 12px; word-break: break-all; }
.io .idx { color: #9ca3af; margin-right: 6px; }
.type { display: inline-block; background: #e0e7ff; color: #3730a3; border-radius: 4px;
  padding: 1px 6px; font-weight: 600; }
.link { color: #2563eb; cursor: pointer; }
.link:hover { text-decoration: underline; }
.muted { color: #6b7280; }
button { font: inherit; font-size: 12px; padding: 3px 8px; border: 1px solid #9ca3af;
  background: #fff; border-radius: 5px; cursor: pointer; }
button:hover { background: #eef2ff; }
#main { flex: 1; position: relative; overflow: hidden; background: #fff; }
#toolbar { position: absolute; top: 8px; right: 8px; display: flex; gap: 4px; z-index: 2; }
#legend { position: absolute; left: 8px; bottom: 8px; background: rgba(255,255,255,.92);
  border: 1px solid #d1d5db; border-radius: 6px; padding: 6px 8px; z-index: 2;
  max-width: 190px; }
#legend div.muted { font-size: 11px; cursor: default; }
#legend div { cursor: pointer; margin: 2px 0; }
#legend span.sw { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  vertical-align: -2px; margin-right: 6px; border: 2px solid; }
#hint { position: absolute; right: 8px; bottom: 8px; color: #9ca3af; font-size: 11px; }
svg { width: 100%; height: 100%; cursor: grab; user-select: none; }
svg.dragging { cursor: grabbing; }
.node rect { fill: #fff; stroke: #6b7280; stroke-width: 1; rx: 6; }
.node.scope rect { fill: #eef2ff; stroke: #6366f1; }
.node.scope.layer rect { fill: #f0f9ff; stroke: #0284c7; }
.node.src rect { fill: #dbeafe; stroke: #2563eb; }
.node text { font-size: 12px; fill: #111827; pointer-events: none; }
.node text.sub { font-size: 10.5px; fill: #4b5563; }
.node text.pc { font-size: 9.5px; fill: #9ca3af; text-anchor: end; }
.node { cursor: pointer; }
.node:hover rect { stroke-width: 2; }
#canvas .node.added rect { fill: #dcfce7; stroke: #16a34a; stroke-width: 2; }
#canvas .node.removed rect { fill: #fee2e2; stroke: #dc2626; stroke-width: 2;
  stroke-dasharray: 5 3; }
#canvas .node.rewired rect { fill: #fef3c7; stroke: #d97706; stroke-width: 2; }
#canvas .node.changed rect { fill: #ede9fe; stroke: #7c3aed; stroke-width: 2; }
#canvas .node.mixed rect { stroke: #d97706; stroke-width: 2.5; }
#canvas .node.match rect { stroke: #f59e0b; stroke-width: 3; }
#canvas .node.sel rect { stroke: #1d4ed8; stroke-width: 3; }
.edge { fill: none; stroke: #9ca3af; stroke-width: 1.2; }
.edge.ctl { stroke-dasharray: 4 3; stroke: #c4c4c4; }
.edge.added { stroke: #16a34a; stroke-width: 2; }
.edge.removed { stroke: #dc2626; stroke-width: 1.6; stroke-dasharray: 5 3; }
.edge.hot { stroke: #1d4ed8; stroke-width: 2.2; }
.cluster path { fill: rgba(99,102,241,.045); stroke: #a5b4fc; stroke-dasharray: 4 3;
  stroke-linejoin: round; }
.cluster text { font-size: 11px; fill: #4f46e5; cursor: pointer; font-weight: 600; }
"""


_BODY = """<div id="app">
<div id="side">
  <div id="head"><h1>{title}</h1><div id="stats"></div>
    <input id="search" type="search" placeholder="Search ops, layers, types ( / )"
      autocomplete="off"></div>
  <div id="results"></div>
  <div id="details"><p class="muted">Click a node to see its type, shapes, inputs and
  attributes. Double-click a scope (&#9656;) to open it; click an open scope's label to close
  it. Drag to pan, wheel to zoom.</p></div>
</div>
<div id="main">
  <div id="toolbar"><button id="home" title="top of the graph">Home</button>
    <button id="fit">Fit</button><button id="zoom-in">+</button>
    <button id="zoom-out">&minus;</button><button id="expand-all">Expand all</button>
    <button id="collapse-all">Collapse all</button></div>
  <div id="legend"></div>
  <div id="hint">graph_editor viewer</div>
  <svg id="canvas" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow"
    viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
    orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9ca3af"/></marker>
    </defs><g id="viewport"></g></svg>
</div>
</div>"""


def _json_for_script(data: dict) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&`` and line separators escaped."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page(title: str, data: dict) -> str:
    """The whole HTML page: styles, body, the data as JSON, and the script."""
    esc = html.escape(title)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{esc}</title>\n"
        '<meta name="generator" content="graph_editor viewer">\n'
        f"<style>{_CSS}</style></head><body>\n"
        + _BODY.format(title=esc)
        + f'\n<script type="application/json" id="{DATA_ID}">'
        + _json_for_script(data)
        + "</script>\n<script>"
        + JS
        + "</script>\n</body></html>\n"
    )
