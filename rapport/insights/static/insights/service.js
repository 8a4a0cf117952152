// Draws the service dashboard's charts from the data the page embeds with json_script; no inline script,
// so the CSP holds. Every figure is also in a table on the page, which works without this file.
(function () {
  "use strict";

  var CHANNEL_COLOURS = {
    email: "#7aa2ff", chat: "#30a46c", phone: "#f5a524", web: "#8e4ec6", social: "#e5484d", api: "#b8c0cc",
  };

  function source() {
    var element = document.getElementById("insights-service-data");
    return element && typeof Chart !== "undefined" ? JSON.parse(element.textContent) : null;
  }

  function canvas(id) {
    var found = document.getElementById(id);
    if (!found || found.dataset.drawn) { return null; }
    found.dataset.drawn = "1";
    return found;
  }

  function drawVolume(data) {
    var target = canvas("insights-volume-chart");
    if (!target) { return; }
    var datasets = data.volume.map(function (serie) {
      return { type: "bar", label: serie.channel, data: serie.counts, backgroundColor: CHANNEL_COLOURS[serie.channel] || "#999", stack: "opened", yAxisID: "y" };
    });
    datasets.push({ type: "line", label: "inbound messages", data: data.inbound, borderColor: "#1d2330", pointRadius: 0, yAxisID: "y2" });
    new Chart(target, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "conversations" } },
          y2: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false }, title: { display: true, text: "messages" } },
        },
      },
    });
  }

  function drawBacklog(data) {
    var target = canvas("insights-backlog-chart");
    if (!target) { return; }
    new Chart(target, {
      type: "line",
      data: { labels: data.labels, datasets: [{ label: "open at end of day", data: data.backlog, borderColor: "#e5484d", backgroundColor: "#e5484d33", fill: true, pointRadius: 0 }] },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { x: { ticks: { maxRotation: 0, autoSkip: true } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function drawAll() {
    var data = source();
    if (!data) { return; }
    drawVolume(data);
    drawBacklog(data);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
