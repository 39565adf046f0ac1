/* varmatch report: sortable and filterable tables. Progressive enhancement: without this script
   every row is shown in its printed order; with it, filter bars appear and column heads sort. */
(function () {
  "use strict";
  var TIER = { I: 1, II: 2, III: 3, IV: 4 };
  var RUNG = { exact: 1, codon: 2, range: 3, "class": 4, gene: 5 };

  function cellValue(group, col) {
    var row = group.tagName === "TBODY" ? group.rows[0] : group;
    var cell = row && row.cells[col];
    if (!cell) return "";
    var v = cell.getAttribute("data-value");
    return v !== null ? v : cell.textContent.trim();
  }

  function compare(kind, a, b) {
    if (kind === "num") {
      var x = parseFloat(a), y = parseFloat(b);
      if (isNaN(x)) x = -Infinity;
      if (isNaN(y)) y = -Infinity;
      return x - y;
    }
    if (kind === "tier") return (TIER[a] || 9) - (TIER[b] || 9);
    if (kind === "rung") return (RUNG[a] || 9) - (RUNG[b] || 9);
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      var kind = th.getAttribute("data-sort");
      if (!kind) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { if (h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        // a match spans one <tbody>; plain tables sort the rows of their single <tbody>
        var groups, parent;
        if (table.tBodies.length > 1 || table.tBodies[0].classList.contains("match")) {
          groups = Array.prototype.slice.call(table.tBodies);
          parent = table;
        } else {
          parent = table.tBodies[0];
          groups = Array.prototype.slice.call(parent.rows);
        }
        groups.map(function (g, i) { return [g, cellValue(g, col), i]; })
          .sort(function (p, q) { return (asc ? 1 : -1) * compare(kind, p[1], q[1]) || p[2] - q[2]; })
          .forEach(function (p) { parent.appendChild(p[0]); });
      });
    });
  }

  function setupFilters(bar) {
    var scope = document.getElementById(bar.getAttribute("data-for"));
    if (!scope) return;
    bar.hidden = false;
    var text = bar.querySelector(".f-text"), tier = bar.querySelector(".f-tier"),
      gene = bar.querySelector(".f-gene"), drug = bar.querySelector(".f-drug"),
      count = bar.querySelector(".f-count");
    var groups = scope.querySelectorAll(".row-group");
    function apply() {
      var q = text ? text.value.trim().toLowerCase() : "", shown = 0;
      Array.prototype.forEach.call(groups, function (g) {
        var ok = (!q || g.textContent.toLowerCase().indexOf(q) >= 0) &&
          (!tier || !tier.value || g.getAttribute("data-tier") === tier.value) &&
          (!gene || !gene.value || (" " + (g.getAttribute("data-genes") || "") + " ").indexOf(" " + gene.value + " ") >= 0) &&
          (!drug || !drug.value || ("|" + (g.getAttribute("data-drugs") || "") + "|").indexOf("|" + drug.value + "|") >= 0);
        g.hidden = !ok;
        if (ok) shown += 1;
      });
      // hide a tier heading and its table when none of its rows is left
      Array.prototype.forEach.call(scope.querySelectorAll("table"), function (t) {
        var any = t.querySelector(".row-group:not([hidden])");
        t.hidden = !any;
        var h = t.previousElementSibling;
        if (h && h.classList.contains("tier-head")) h.hidden = !any;
      });
      if (count) count.textContent = shown + " of " + groups.length + " shown";
    }
    [text, tier, gene, drug].forEach(function (el) {
      if (el) el.addEventListener(el === text ? "input" : "change", apply);
    });
    apply();
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
  Array.prototype.forEach.call(document.querySelectorAll(".filters[data-for]"), setupFilters);
})();
