// The dashboard's charts, drawn with the Chart.js shipped in static/vendor from the figures the page carries
// (a JSON block); each chart's figures are also a table on the page.
(function () {
  "use strict";
  var PALETTE = ["#0b4f9c", "#a33b00", "#1f6f3a", "#6b2d8f", "#7a5c00", "#8a1c1c", "#00607a", "#4a4a4a"];
  function dollars(cents) { return "$" + (cents / 100).toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2}); }
  function datasets(series, kind) {
    return series.map(function (s, i) {
      return {label: s.name, data: s.values, backgroundColor: PALETTE[i % PALETTE.length],
              borderColor: PALETTE[i % PALETTE.length], type: kind, fill: false, tension: 0.2};
    });
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    config.options = Object.assign({responsive: true, animation: false, maintainAspectRatio: true, aspectRatio: 2}, config.options || {});
    new window.Chart(canvas, config);
  }
  function stacked(money) {
    var ticks = money ? {callback: function (v) { return dollars(v); }} : {precision: 0};
    return {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: ticks}},
            plugins: money ? {tooltip: {callbacks: {label: function (c) { return c.dataset.label + ": " + dollars(c.parsed.y); }}}} : {}};
  }
  function start() {
    var block = document.getElementById("dashboard-data");
    if (!block || !window.Chart) { return; }
    var data = JSON.parse(block.textContent);
    var buckets = data.buckets.map(function (name, b) {
      return {label: name, data: data.aging.map(function (p) { return p.buckets[b]; }), backgroundColor: PALETTE[b % PALETTE.length]};
    });
    draw("chart-aging", {type: "bar", data: {labels: data.aging.map(function (p) { return p.portfolio; }), datasets: buckets}, options: stacked(true)});
    draw("chart-flow", {type: "line", data: {labels: data.days, datasets: datasets(data.flow, "line")}, options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
    draw("chart-contacts", {type: "bar", data: {labels: data.days, datasets: datasets(data.contacts, "bar")}, options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
    draw("chart-collected", {type: "bar", data: {labels: data.days, datasets: datasets(data.collected, "bar")}, options: stacked(true)});
    draw("chart-workload", {type: "bar", data: {labels: data.ahead, datasets: datasets(data.workload, "bar")}, options: stacked(false)});
    draw("chart-holds", {type: "bar", data: {labels: data.days, datasets: datasets(data.holds, "bar")}, options: stacked(false)});
    draw("chart-promises", {type: "bar", data: {labels: data.promises.map(function (p) { return p.portfolio; }),
      datasets: [{label: "kept rate (%)", backgroundColor: PALETTE[2],
                  data: data.promises.map(function (p) { return p.kept_rate === null ? 0 : Math.round(p.kept_rate * 100); })}]},
      options: {scales: {y: {beginAtZero: true, max: 100}}}});
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
