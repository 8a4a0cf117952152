// Draws the charts whose data a page embeds with json_script; no inline script, so the CSP holds.
(function () {
  "use strict";

  function drawSpend() {
    var canvas = document.getElementById("spend-chart");
    var source = document.getElementById("spend-data");
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) return;
    var data = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.months,
        datasets: [{
          label: "Spend (" + data.currency + ")",
          data: data.totals,
          backgroundColor: "#7aa2ff",
          borderRadius: 3,
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              afterLabel: function (item) {
                var n = data.orders[item.dataIndex];
                return n + (n === 1 ? " order" : " orders");
              },
            },
          },
        },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0, autoSkip: true } } },
      },
    });
  }

  // Counts per hour stacked by outcome: the inbound log (by status) and the webhook delivery log.
  var STATUS_COLOURS = {
    processed: "#7aa2ff", ignored: "#b8c0cc", quarantined: "#e5484d", received: "#f5a524",
    delivered: "#7aa2ff", failed: "#e5484d",
  };

  function drawStackedHours(canvasId, sourceId, key) {
    var canvas = document.getElementById(canvasId);
    var source = document.getElementById(sourceId);
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) return;
    var data = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (serie) {
          return { label: serie.label, data: serie.counts, backgroundColor: STATUS_COLOURS[serie[key]] || "#999" };
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

  function drawAll() {
    drawSpend();
    drawStackedHours("inbound-chart", "inbound-data", "status");
    drawStackedHours("webhook-chart", "webhook-data", "outcome");
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
