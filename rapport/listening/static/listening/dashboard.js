// Draws the listening charts from data the pages embed with json_script; no inline script, so the CSP
// holds. Every figure is also in a table or list on the page, which works without this file.
(function () {
  "use strict";

  var COLOURS = { negative: "#e5484d", neutral: "#b8c0cc", positive: "#30a46c", mean: "#1d2330" };

  function load(canvasId, sourceId) {
    var canvas = document.getElementById(canvasId);
    var source = document.getElementById(sourceId);
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) { return null; }
    canvas.dataset.drawn = "1";
    return { canvas: canvas, data: JSON.parse(source.textContent) };
  }

  function percent(values) {
    return values.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; });
  }

  function drawSentiment() {
    var found = load("listening-sentiment-chart", "listening-sentiment-data");
    if (!found) { return; }
    var data = found.data;
    var datasets = ["negative", "neutral", "positive"].map(function (label) {
      return { type: "bar", label: label, data: percent(data.shares[label]), backgroundColor: COLOURS[label], stack: "share", yAxisID: "y" };
    });
    datasets.push({ type: "line", label: "mean score", data: data.mean, borderColor: COLOURS.mean, pointRadius: 0, spanGaps: true, yAxisID: "y2" });
    new Chart(found.canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: true, min: 0, max: 100, title: { display: true, text: "% of messages" } },
          y2: { position: "right", min: -1, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: "mean" } },
        },
      },
    });
  }

  // A figure with its interval: a line, and a band between the low and high bounds (hidden from the legend).
  function withBand(label, values, colour, axis, scale) {
    function pick(key) { return values.map(function (v) { return v[key] === null ? null : v[key] * scale; }); }
    return [
      { type: "line", label: label + " low", data: pick("low"), borderWidth: 0, pointRadius: 0, spanGaps: true, yAxisID: axis, band: true },
      { type: "line", label: label + " high", data: pick("high"), borderWidth: 0, pointRadius: 0, spanGaps: true, fill: "-1", backgroundColor: colour + "33", yAxisID: axis, band: true },
      { type: "line", label: label, data: pick("value"), borderColor: colour, backgroundColor: colour, pointRadius: 2, spanGaps: true, yAxisID: axis },
    ];
  }

  function drawSurveys() {
    var found = load("listening-survey-chart", "listening-survey-data");
    if (!found) { return; }
    var data = found.data;
    var datasets = []
      .concat(withBand("CSAT %", data.kinds.csat, "#7aa2ff", "y", 100))
      .concat(withBand("NPS", data.kinds.nps, "#8e4ec6", "y", 1))
      .concat(withBand("CES", data.kinds.ces, "#f5a524", "y2", 1));
    datasets.push({ type: "bar", label: "response rate %", data: data.response_rate.map(function (v) { return v.value === null ? null : v.value * 100; }), backgroundColor: "#b8c0cc66", yAxisID: "y" });
    new Chart(found.canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom", labels: { filter: function (item, chart) { return !chart.datasets[item.datasetIndex].band; } } } },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true } },
          y: { min: -100, max: 100, title: { display: true, text: "CSAT %, NPS, response %" } },
          y2: { position: "right", min: 1, max: 7, grid: { drawOnChartArea: false }, title: { display: true, text: "CES" } },
        },
      },
    });
  }

  function drawMentions() {
    var found = load("listening-mentions-chart", "listening-mentions-data");
    if (!found) { return; }
    var data = found.data;
    var labels = data.labels.map(function (iso) { return iso.slice(0, 13).replace("T", " ") + "h"; });
    new Chart(found.canvas, {
      data: {
        labels: labels,
        datasets: [
          { type: "bar", label: "mentions", data: data.counts, backgroundColor: data.spike.map(function (s) { return s ? "#e5484d" : "#7aa2ff"; }), yAxisID: "y" },
          { type: "line", label: "mean sentiment", data: data.sentiment, borderColor: COLOURS.mean, pointRadius: 0, spanGaps: false, yAxisID: "y2" },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { afterLabel: function (item) { return item.datasetIndex === 0 && data.spike[item.dataIndex] ? "spike" : ""; } } } },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
          y2: { position: "right", min: -1, max: 1, grid: { drawOnChartArea: false } },
        },
      },
    });
  }

  function drawAll() { drawSentiment(); drawSurveys(); drawMentions(); }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
