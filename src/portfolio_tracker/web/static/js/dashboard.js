// The dashboard's value-over-time chart (uPlot) with range buttons and a benchmark overlay.
// Data: GET /api/portfolio/history (the same JSON the API documents). Settings come from
// <script type="application/json" id="chart-config">; labels in the page's language from
// #chart-labels. Also fills the chart's text summary and table for screen readers.
"use strict";

(function () {
  const configNode = document.getElementById("chart-config");
  const chartNode = document.getElementById("value-chart");
  if (!configNode || !chartNode) return;
  const config = JSON.parse(configNode.textContent);
  const labels = JSON.parse(document.getElementById("chart-labels").textContent);
  const summaryNode = document.getElementById("history-summary");
  const tableBody = document.querySelector("#history-table tbody");
  const benchmarkSelect = document.getElementById("benchmark");
  const rangeButtons = Array.from(document.querySelectorAll("[data-range]"));

  const digits = new Intl.NumberFormat(config.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const compact = new Intl.NumberFormat(config.locale, { notation: "compact", maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat(config.locale, { style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const dayFormat = new Intl.DateTimeFormat(config.locale, { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" });
  const axisDay = new Intl.DateTimeFormat(config.locale, { day: "numeric", month: "short", timeZone: "UTC" });
  const axisMonth = new Intl.DateTimeFormat(config.locale, { month: "short", year: "2-digit", timeZone: "UTC" });

  // Amounts: the browser's digits for the locale, the server's symbol and its side (1.234,56 ₺).
  function money(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    const text = digits.format(Math.abs(value));
    return (value < 0 ? "-" : "") + config.moneyPrefix + text + config.moneySuffix;
  }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, name) => (name in values ? values[name] : ""));
  }
  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }
  function rangeStart(range) {
    const today = new Date(config.today + "T00:00:00Z");
    const start = new Date(today);
    switch (range) {
      case "1M": start.setUTCMonth(start.getUTCMonth() - 1); break;
      case "3M": start.setUTCMonth(start.getUTCMonth() - 3); break;
      case "YTD": start.setUTCMonth(0, 1); break;
      case "1Y": start.setUTCFullYear(start.getUTCFullYear() - 1); break;
      case "5Y": start.setUTCFullYear(start.getUTCFullYear() - 5); break;
      default: return null;
    }
    return isoDay(start);
  }

  let plot = null;
  let request = 0;

  function draw(history) {
    const points = history.points || [];
    const hasBenchmark = points.some((p) => p.benchmark_value !== null && p.benchmark_value !== undefined);
    const xs = points.map((p) => Date.parse(p.date + "T00:00:00Z") / 1000);
    const values = points.map((p) => Number(p.market_value));
    const invested = points.map((p) => Number(p.net_invested));
    const bench = points.map((p) => (p.benchmark_value == null ? null : Number(p.benchmark_value)));
    const spanDays = xs.length > 1 ? (xs[xs.length - 1] - xs[0]) / 86400 : 0;
    const series = [
      { label: labels.date, value: (u, v) => (v == null ? "—" : dayFormat.format(new Date(v * 1000))) },
      { label: labels.value, stroke: "#1d4ed8", width: 2, fill: "rgba(29,78,216,0.08)", value: (u, v) => money(v) },
      { label: labels.invested, stroke: "#475569", width: 1.5, dash: [6, 4], value: (u, v) => money(v) },
    ];
    const data = [xs, values, invested];
    if (hasBenchmark) {
      series.push({ label: labels.benchmark, stroke: "#c2410c", width: 1.5, value: (u, v) => money(v) });
      data.push(bench);
    }
    const options = {
      width: Math.max(chartNode.clientWidth, 280),
      height: chartNode.clientWidth < 500 ? 240 : 320,
      series,
      scales: { x: { time: true } },
      axes: [
        {
          space: 70,
          values: (u, ticks) => ticks.map((t) => (spanDays > 120 ? axisMonth : axisDay).format(new Date(t * 1000))),
        },
        { values: (u, ticks) => ticks.map((t) => compact.format(t)), size: 60 },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    if (plot) plot.destroy();
    chartNode.textContent = "";
    plot = new uPlot(options, data, chartNode);
    describe(history, points, hasBenchmark);
  }

  function describe(history, points, hasBenchmark) {
    tableBody.textContent = "";
    if (points.length === 0) {
      summaryNode.textContent = labels.noPoints;
      return;
    }
    const first = points[0];
    const last = points[points.length - 1];
    let text = fill(labels.summary, {
      from: dayFormat.format(new Date(first.date + "T00:00:00Z")),
      to: dayFormat.format(new Date(last.date + "T00:00:00Z")),
      start: money(Number(first.market_value)),
      end: money(Number(last.market_value)),
      invested: money(Number(last.net_invested)),
      twr: history.twr == null ? "—" : percent.format(Number(history.twr)),
    });
    if (history.unpriced_days > 0) {
      text += " " + fill(labels.unpriced, { days: history.unpriced_days });
    }
    (history.excluded || []).slice(0, 5).forEach((gap) => {
      text += " " + fill(labels.excluded, {
        name: gap.name,
        from: dayFormat.format(new Date(gap.from + "T00:00:00Z")),
        to: dayFormat.format(new Date(gap.to + "T00:00:00Z")),
        reason: gap.reason === "no_rate" ? labels.noRate : labels.noPrice,
      });
    });
    const benchmark = history.benchmark;
    if (benchmark) {
      text += " " + (benchmark.value == null
        ? labels.noBenchmark
        : fill(labels.benchmarkValue, { name: benchmark.symbol, value: money(Number(benchmark.value)) }));
    }
    summaryNode.textContent = text;
    // At most ~40 rows: every n-th point and always the last one.
    const step = Math.max(1, Math.ceil(points.length / 40));
    points.forEach((point, index) => {
      if (index % step !== 0 && index !== points.length - 1) return;
      const row = tableBody.insertRow();
      const cells = [
        dayFormat.format(new Date(point.date + "T00:00:00Z")),
        money(Number(point.market_value)),
        money(Number(point.net_invested)),
        hasBenchmark && point.benchmark_value != null ? money(Number(point.benchmark_value)) : "—",
      ];
      cells.forEach((value, column) => {
        const cell = row.insertCell();
        cell.textContent = value;
        if (column > 0) cell.className = "num";
      });
    });
  }

  function load() {
    const pressed = rangeButtons.find((b) => b.getAttribute("aria-pressed") === "true");
    const range = pressed ? pressed.dataset.range : "1Y";
    const params = new URLSearchParams();
    const from = rangeStart(range);
    if (from) params.set("from", from);
    params.set("interval", range === "5Y" || range === "ALL" ? "week" : "day");
    if (benchmarkSelect.value) params.set("benchmark", benchmarkSelect.value);
    const mine = ++request;
    chartNode.setAttribute("aria-busy", "true");
    fetch(config.historyUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error("history " + response.status);
        return response.json();
      })
      .then((history) => {
        if (mine === request) draw(history);
      })
      .catch(() => {
        if (mine === request) summaryNode.textContent = labels.failed;
      })
      .finally(() => chartNode.removeAttribute("aria-busy"));
  }

  rangeButtons.forEach((button) => {
    button.addEventListener("click", () => {
      rangeButtons.forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
      load();
    });
  });
  benchmarkSelect.addEventListener("change", load);
  if (window.ResizeObserver) {
    let width = chartNode.clientWidth;
    new ResizeObserver(() => {
      if (plot && Math.abs(chartNode.clientWidth - width) > 10) {
        width = chartNode.clientWidth;
        plot.setSize({ width: Math.max(width, 280), height: width < 500 ? 240 : 320 });
      }
    }).observe(chartNode);
  }
  load();
})();
