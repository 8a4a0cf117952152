// Draws the customer's sentiment trend from its json_script data; no inline script, so the CSP holds.
(function () {
  "use strict";

  function drawTrend() {
    var canvas = document.getElementById("sentiment-trend-chart");
    var source = document.getElementById("sentiment-trend-data");
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) return;
    var data = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{ label: "Sentiment", data: data.scores, borderColor: "#2f5bd3", pointRadius: 3, tension: 0.2 }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { min: -1, max: 1 }, x: { ticks: { maxRotation: 0, autoSkip: true } } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", drawTrend);
  document.addEventListener("htmx:afterSettle", drawTrend);
})();
