// The recovery panel and report: a suggested reply goes into the composer's draft, and the report's
// chart is drawn. No inline script, so the CSP holds; the pages work without this file.
(function () {
  "use strict";

  function insertIntoComposer(text) {
    var area = document.getElementById("composer-body");
    if (!area) { return false; }
    var reply = document.querySelector('#composer input[name="kind"][value="outbound"]');
    if (reply && !reply.checked) {
      reply.checked = true;
      reply.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (!area.value.trim()) {
      area.value = text;
    } else {
      var start = area.selectionStart || 0;
      var end = area.selectionEnd || 0;
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
    }
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    area.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-recovery-insert]");
    if (!button) { return; }
    event.preventDefault();
    var holder = button.closest(".recovery-reply");
    var source = holder && holder.querySelector("[data-reply-text]");
    if (source && insertIntoComposer(source.textContent.trim())) {
      button.textContent = "Inserted";
    }
  });

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
