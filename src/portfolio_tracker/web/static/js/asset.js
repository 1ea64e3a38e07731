// The asset page's price chart (uPlot): daily closes with buys and sells marked at their
// price. Data: <script type="application/json" id="asset-chart-data"> (exact decimals as
// strings; plotted as floats, display only). The same closes are in the table below it.
"use strict";

(function () {
  const dataNode = document.getElementById("asset-chart-data");
  const chartNode = document.getElementById("price-chart");
  if (!dataNode || !chartNode || typeof uPlot === "undefined") return;
  const data = JSON.parse(dataNode.textContent);
  const labels = JSON.parse(document.getElementById("asset-chart-labels").textContent);

  const digits = new Intl.NumberFormat(data.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const compact = new Intl.NumberFormat(data.locale, { notation: "compact", maximumFractionDigits: 2 });
  const dayFormat = new Intl.DateTimeFormat(data.locale, { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" });
  const axisDay = new Intl.DateTimeFormat(data.locale, { day: "numeric", month: "short", timeZone: "UTC" });
  const axisMonth = new Intl.DateTimeFormat(data.locale, { month: "short", year: "2-digit", timeZone: "UTC" });
  const money = (value) =>
    value === null || value === undefined ? "—" : (value < 0 ? "-" : "") + data.moneyPrefix + digits.format(Math.abs(value)) + data.moneySuffix;
  const seconds = (day) => Date.parse(day + "T00:00:00Z") / 1000;

  // One x axis for closes and trades: every day that has either.
  const closes = new Map(data.dates.map((day, i) => [seconds(day), Number(data.closes[i])]));
  const buys = new Map();
  const sells = new Map();
  data.trades.forEach((t) => (t.type === "buy" ? buys : sells).set(seconds(t.date), Number(t.price)));
  const xs = Array.from(new Set([...closes.keys(), ...buys.keys(), ...sells.keys()])).sort((a, b) => a - b);
  const column = (map) => xs.map((x) => (map.has(x) ? map.get(x) : null));
  const spanDays = xs.length > 1 ? (xs[xs.length - 1] - xs[0]) / 86400 : 0;
  const marker = (colour) => ({
    stroke: colour, width: 0, paths: () => null,
    points: { show: true, size: 10, width: 2, stroke: "#ffffff", fill: colour },
    value: (u, v) => money(v),
  });

  let plot = null;
  function size() {
    const width = Math.max(chartNode.clientWidth, 260);
    return { width, height: width < 500 ? 240 : 320 };
  }
  function draw() {
    const options = {
      ...size(),
      series: [
        { label: labels.date, value: (u, v) => (v == null ? "—" : dayFormat.format(new Date(v * 1000))) },
        { label: labels.price, stroke: "#1d4ed8", width: 2, spanGaps: true, value: (u, v) => money(v) },
        { label: labels.buy, ...marker("#0f7b3a") },
        { label: labels.sell, ...marker("#b42318") },
      ],
      scales: { x: { time: true } },
      axes: [
        { space: 70, values: (u, ticks) => ticks.map((t) => (spanDays > 120 ? axisMonth : axisDay).format(new Date(t * 1000))) },
        { values: (u, ticks) => ticks.map((t) => compact.format(t)), size: 60 },
      ],
      cursor: { drag: { x: false, y: false } },
    };
    chartNode.textContent = "";
    plot = new uPlot(options, [xs, column(closes), column(buys), column(sells)], chartNode);
  }

  draw();
  if (window.ResizeObserver) {
    let width = chartNode.clientWidth;
    new ResizeObserver(() => {
      if (plot && Math.abs(chartNode.clientWidth - width) > 10) {
        width = chartNode.clientWidth;
        plot.setSize(size());
      }
    }).observe(chartNode);
  }
})();
