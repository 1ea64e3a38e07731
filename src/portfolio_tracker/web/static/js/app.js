// Small enhancements shared by every page. The pages work without them.
"use strict";

// Sortable tables: <table class="sortable"> whose header buttons carry data-sort="text|number"
// and whose cells carry data-value (raw figures, so sorting never parses formatted text).
function sortTable(table, column, kind, direction) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const key = (row) => {
    const cell = row.cells[column];
    const raw = cell ? cell.dataset.value ?? cell.textContent : "";
    if (kind === "number") {
      return raw === "" ? null : Number(raw);
    }
    return raw.toLocaleLowerCase();
  };
  const factor = direction === "ascending" ? 1 : -1;
  rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === null && y === null) return 0;
    if (x === null) return 1; // unknown values last, whatever the direction
    if (y === null) return -1;
    if (kind === "number") return (x - y) * factor;
    return x.localeCompare(y) * factor;
  });
  rows.forEach((row) => body.appendChild(row));
}

function initSortable(table) {
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach((th, column) => {
    const button = th.querySelector("button[data-sort]");
    if (!button) return;
    button.addEventListener("click", () => {
      const next = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
      headers.forEach((other) => other.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", next);
      sortTable(table, column, button.dataset.sort, next);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(initSortable);
});
