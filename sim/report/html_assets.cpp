#include "html_assets.hpp"

namespace rcsim {

const char kReportStyle[] = R"CSS(
body { font: 13px/1.4 "DejaVu Sans", sans-serif; margin: 12px; color: #222; background: #fff; }
h1 { font-size: 18px; margin: 0 0 6px 0; }
h2 { font-size: 14px; margin: 10px 0 2px 0; }
.findings { border: 2px solid #c00; background: #fff0f0; padding: 6px 10px; margin: 8px 0; }
.findings.clean { border-color: #080; background: #f0fff0; }
.findings li { color: #a00; font-weight: bold; }
.findings li.remark { color: #555; font-weight: normal; }
.notes { border: 1px solid #c80; background: #fff8e0; padding: 4px 10px; margin: 8px 0; }
.setup td { padding: 0 8px 0 0; vertical-align: top; }
.setup td:first-child { color: #666; }
.legend span { margin-right: 14px; }
button { font: inherit; margin: 4px 6px 4px 0; }
svg text { font: 11px "DejaVu Sans Mono", monospace; fill: #222; }
svg .lane-name { font-weight: bold; font-size: 12px; }
svg .lane { stroke: #bbb; stroke-width: 1; }
svg .lane-sock { stroke: #88a; stroke-dasharray: 4 3; }
svg .time { fill: #666; }
svg .msg-arrow { stroke: #246; stroke-width: 1.6; }
svg .msg-arrow.reply { stroke-dasharray: 5 3; }
svg .msg-arrow.twin { stroke: #286; }
svg .msg-arrow.bad { stroke: #d00; stroke-width: 3; }
svg .head { fill: #246; }
svg .head.twin { fill: #286; }
svg .head.bad { fill: #d00; }
svg .bad-text { fill: #c00; font-weight: bold; }
svg .sock-dot { fill: #fff; stroke: #246; stroke-width: 1.5; }
svg .cross-band { fill: #d00; fill-opacity: 0.18; stroke: #d00; stroke-width: 1; }
svg .decision-mark { fill: #888; }
svg .decision-mark.deviation { fill: #e60; stroke: #900; stroke-width: 1; }
svg .decision-line { stroke: #aaa; stroke-dasharray: 2 3; }
svg .decision-line.deviation { stroke: #e60; stroke-width: 2; stroke-dasharray: none; }
svg .deviation-text { fill: #b40; font-weight: bold; }
svg .irq-arrow { stroke: #808; stroke-width: 1.6; }
svg .head.irq { fill: #808; }
svg .mapped-mark { fill: #4a4; }
svg .sub-arrow { stroke: #999; stroke-width: 1; }
svg .head.sub { fill: #999; }
svg .fold text { fill: #555; font-size: 10px; }
svg .toggle { cursor: pointer; fill: #05a; font-weight: bold; }
svg .row:hover rect.hover, svg .fold:hover rect.hover { fill: #eef; }
svg rect.hover { fill: transparent; }
)CSS";

// Lays the rows out again when folds open or close (the server-side layout
// is the all-closed one, so the chart reads without the script too), and
// says it ran (data-ready) for the browser test.
const char kReportScript[] = R"JS(
(function () {
  var svg = document.getElementById('chart');
  var rows = document.getElementById('rows');
  var top = Number(svg.getAttribute('data-top'));
  function layout() {
    var y = top, at = {};
    for (var g = rows.firstElementChild; g; g = g.nextElementSibling) {
      if (g.style.display === 'none') continue;
      g.setAttribute('transform', 'translate(0,' + y + ')');
      if (g.id) at[g.id] = y;
      y += Number(g.getAttribute('data-h'));
    }
    var bands = svg.querySelectorAll('.cross-band');
    for (var i = 0; i < bands.length; i++) {
      var b = bands[i];
      var y0 = at[b.getAttribute('data-from')], y1 = at[b.getAttribute('data-to')];
      b.setAttribute('y', y0 + 4);
      b.setAttribute('height', Math.max(y1 - y0 + 10, 10));
    }
    var lanes = svg.querySelectorAll('.lane');
    for (var k = 0; k < lanes.length; k++) lanes[k].setAttribute('y2', y);
    svg.setAttribute('height', y + 10);
  }
  function show(row, open) {
    var folds = rows.querySelectorAll('.fold[data-parent="' + row + '"]');
    for (var i = 0; i < folds.length; i++) folds[i].style.display = open ? '' : 'none';
    var t = document.getElementById('t' + row);
    if (t) t.textContent = (open ? '\u25be ' : '\u25b8 ') + t.getAttribute('data-n');
  }
  svg.addEventListener('click', function (e) {
    var t = e.target;
    if (!t.classList || !t.classList.contains('toggle')) return;
    var row = t.getAttribute('data-row');
    var first = rows.querySelector('.fold[data-parent="' + row + '"]');
    show(row, first && first.style.display === 'none');
    layout();
  });
  function all(open) {
    var ts = svg.querySelectorAll('.toggle');
    for (var i = 0; i < ts.length; i++) show(ts[i].getAttribute('data-row'), open);
    layout();
  }
  document.getElementById('expand').addEventListener('click', function () { all(true); });
  document.getElementById('collapse').addEventListener('click', function () { all(false); });
  // The page opened with #open after its name: every fold open from the start.
  if (location.hash === '#open') all(true);
  else layout();
  document.body.setAttribute('data-ready', '1');
})();
)JS";

} // namespace rcsim
