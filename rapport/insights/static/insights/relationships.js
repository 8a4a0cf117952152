// Draws the relationships dashboard's charts from the data the page embeds with json_script; no inline
// script, so the CSP holds. Every figure is also in a table on the page, which works without this file.
(function () {
  "use strict";

  var BAND_COLOURS = { healthy: "#30a46c", watch: "#f5a524", at_risk: "#e5484d" };
  var LINE_COLOURS = ["#7aa2ff", "#30a46c", "#f5a524", "#8e4ec6", "#e5484d", "#1d2330"];

  function source() {
    var element = document.getElementById("insights-relationships-data");
    return element && typeof Chart !== "undefined" ? JSON.parse(element.textContent) : null;
  }

  function canvas(id) {
    var found = document.getElementById(id);
    if (!found || found.dataset.drawn) { return null; }
    found.dataset.drawn = "1";
    return found;
  }

  function percent(value) { return value === null ? null : Math.round(value * 1000) / 10; }

  function drawClv(data) {
    var target = canvas("insights-clv-chart");
    if (!target) { return; }
    new Chart(target, {
      data: {
        labels: data.bins.labels,
        datasets: [
          { type: "bar", label: "customers", data: data.bins.customers, backgroundColor: "#7aa2ff", yAxisID: "y" },
          { type: "line", label: "total CLV", data: data.bins.total_clv, borderColor: "#1d2330", pointRadius: 2, yAxisID: "y2" },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "customers" } },
          y2: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "CLV" } },
        },
      },
    });
  }

  function drawBands(data) {
    var target = canvas("insights-bands-chart");
    if (!target) { return; }
    new Chart(target, {
      type: "bar",
      data: {
        labels: data.bands.map(function (band) { return band.label; }),
        datasets: [{ label: "customers", data: data.bands.map(function (band) { return band.customers; }), backgroundColor: data.bands.map(function (band) { return BAND_COLOURS[band.key] || "#999"; }) }],
      },
      options: {
        animation: false, maintainAspectRatio: false, indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function drawDefection(data) {
    var target = canvas("insights-defection-chart");
    if (!target) { return; }
    new Chart(target, {
      data: {
        labels: data.defection.labels,
        datasets: [
          { type: "line", label: "defection rate (%)", data: data.defection.rate.map(percent), borderColor: "#e5484d", pointRadius: 2, spanGaps: false, yAxisID: "y" },
          { type: "bar", label: "active at start", data: data.defection.active, backgroundColor: "#b8c0cc66", yAxisID: "y2" },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, title: { display: true, text: "% of active customers" } },
          y2: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false }, title: { display: true, text: "customers" } },
        },
      },
    });
  }

  function drawCohorts(data) {
    var target = canvas("insights-cohorts-chart");
    if (!target) { return; }
    new Chart(target, {
      type: "line",
      data: {
        labels: data.cohorts.months_after,
        datasets: data.cohorts.lines.map(function (line, i) {
          return { label: line.label, data: line.shares.map(percent), borderColor: LINE_COLOURS[i % LINE_COLOURS.length], pointRadius: 2 };
        }),
      },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { title: { display: true, text: "months after the first purchase" } },
          y: { beginAtZero: true, title: { display: true, text: "% of the cohort buying" } },
        },
      },
    });
  }

  function drawAll() {
    var data = source();
    if (!data) { return; }
    drawClv(data);
    drawBands(data);
    drawDefection(data);
    drawCohorts(data);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
