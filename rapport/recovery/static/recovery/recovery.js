// The recovery report's chart (the panel's "Insert into reply" is rapport/composer.js). No inline script,
// so the CSP holds; the pages work without this file.
(function () {
  "use strict";

  // Cost per month, stacked by reason.
  var COLOURS = ["#7aa2ff", "#f5a524", "#e5484d", "#30a46c", "#8e4ec6", "#b8c0cc"];

  function drawCost() {
    var canvas = document.getElementById("recovery-cost-chart");
    var source = document.getElementById("recovery-cost-data");
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) { return; }
    var data = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (serie, i) {
          return { label: serie.label, data: serie.amounts, backgroundColor: COLOURS[i % COLOURS.length] };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: data.currency } },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", drawCost);
  document.addEventListener("htmx:afterSettle", drawCost);
})();
