// Draws the dashboard's charts with Chart.js from the JSON the server embedded
// (#dashboard-data). The page is complete without this script: tables, CSV
// links, the SQL and the retention heatmap are all server-rendered.
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  var palette = ["#1f5aaa", "#e07b00", "#2a9d4b", "#c0392b", "#7d4cb0",
                 "#8c6d31", "#d45fa8", "#6b6b6b", "#a3a310", "#17a2b8"];
  var outcomeColours = {delivered: "#2a9d4b", retry: "#e0b000", failed: "#e07b00", dead: "#c0392b"};

  function coloured(datasets, byLabel) {
    return datasets.map(function (d, i) {
      var c = (byLabel && byLabel[d.label]) || palette[i % palette.length];
      return {label: d.label, data: d.data, backgroundColor: c, borderColor: c};
    });
  }

  // Shades the CTIT buckets the fraud rules flag (indices in chart data "flagged").
  var flaggedBuckets = {
    id: "flaggedBuckets",
    beforeDatasetsDraw: function (chart, args, options) {
      var flagged = options.indices || [];
      if (!flagged.length) return;
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      var step = (x.right - x.left) / chart.data.labels.length;
      ctx.save();
      ctx.fillStyle = "rgba(192, 57, 43, 0.12)";
      flagged.forEach(function (i) {
        ctx.fillRect(x.left + i * step, area.top, step, area.bottom - area.top);
      });
      ctx.restore();
    }
  };

  var options = {
    daily: {stacked: true, title: "installs"},
    ctit: {stacked: false, title: "installs"},
    fraud: {stacked: true, title: "count", horizontal: true},
    postback_outcomes: {stacked: true, title: "deliveries", colours: outcomeColours}
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var name = canvas.getAttribute("data-chart");
    var d = data[name], o = options[name] || {};
    if (!d) return;
    var config = {
      type: "bar",
      data: {labels: d.labels, datasets: coloured(d.datasets, o.colours)},
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: o.horizontal ? "y" : "x",
        scales: {
          x: {stacked: !!o.stacked},
          y: {stacked: !!o.stacked, beginAtZero: true}
        },
        plugins: {flaggedBuckets: {indices: d.flagged || []}}
      },
      plugins: [flaggedBuckets]
    };
    canvas.chart = new Chart(canvas, config);
    canvas.setAttribute("data-rendered", "true");
  });
})();
