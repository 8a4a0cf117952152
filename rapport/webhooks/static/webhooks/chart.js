// The webhook delivery log: attempts per hour, stacked by outcome. Data comes from json_script (CSP holds).
(function () {
  "use strict";

  var COLOURS = { delivered: "#7aa2ff", failed: "#e5484d" };

  function draw() {
    var canvas = document.getElementById("webhook-chart");
    var source = document.getElementById("webhook-data");
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) return;
    var data = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (serie) {
          return { label: serie.label, data: serie.counts, backgroundColor: COLOURS[serie.outcome] || "#999" };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
