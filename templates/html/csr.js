/* Progressive enhancement only: the page reads fully without scripts.
   - Listings (table.sortable) get a filter box and sortable column headers.
   - A link with data-filter (made from "#<listing id>?q=<text>") filters its listing by the
     text before jumping to it; so does a page opened at such an address. */
"use strict";
(function () {
  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    var numeric = /^-?\d/.test(a) && /^-?\d/.test(b) && !isNaN(x) && !isNaN(y);
    if (numeric && x !== y) { return x - y; }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  // A table's block (div.output, which has the id) and the box it scrolls in.
  function outputOf(table) { return table.closest(".output") || table.parentNode; }
  function boxOf(table) { return table.closest(".table-scroll") || table; }

  function applyFilter(table, text) {
    var needle = text.trim().toLowerCase();
    var rows = table.tBodies[0].rows, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var hit = !needle || rows[i].textContent.toLowerCase().indexOf(needle) !== -1;
      rows[i].hidden = !hit;
      if (hit) { shown++; }
    }
    var count = outputOf(table).querySelector(".listing-count");
    if (count) { count.textContent = shown.toLocaleString("en-US") + " of " + rows.length.toLocaleString("en-US") + " rows"; }
  }

  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var headers = table.tHead.rows[table.tHead.rows.length - 1].cells;
    for (var h = 0; h < headers.length; h++) { headers[h].removeAttribute("aria-sort"); }
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.dataset.order = row.dataset.order || String(i); });
    rows.sort(function (r1, r2) {
      var result = compare(cellText(r1, index), cellText(r2, index));
      if (result === 0) { result = Number(r1.dataset.order) - Number(r2.dataset.order); }
      return ascending ? result : -result;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function enhance(table) {
    var tools = document.createElement("div");
    tools.className = "listing-tools";
    var label = document.createElement("label");
    label.textContent = "Filter rows ";
    var input = document.createElement("input");
    input.type = "search";
    input.setAttribute("aria-controls", outputOf(table).id);
    label.appendChild(input);
    var count = document.createElement("span");
    count.className = "listing-count";
    count.setAttribute("aria-live", "polite");
    tools.appendChild(label);
    tools.appendChild(count);
    // Title and population above the filter box: the caption's text shown in a heading block
    // before the tools; the caption stays for screen readers.
    var caption = table.caption;
    if (caption) {
      var heading = document.createElement("div");
      heading.className = "listing-heading";
      heading.setAttribute("aria-hidden", "true");
      Array.prototype.forEach.call(caption.children, function (part) {
        heading.appendChild(part.cloneNode(true));
      });
      boxOf(table).parentNode.insertBefore(heading, boxOf(table));
      caption.className += " sr-only";
    }
    boxOf(table).parentNode.insertBefore(tools, boxOf(table));  // above the box: never scrolled away
    input.addEventListener("input", function () { applyFilter(table, input.value); });
    var headers = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
    applyFilter(table, "");
  }

  function filterListing(id, text) {
    var box = document.getElementById(id);
    var table = box && box.querySelector("table.sortable");
    if (!table) { return false; }
    var input = box.querySelector(".listing-tools input");
    if (input) { input.value = text; }
    applyFilter(table, text);
    box.scrollIntoView();
    return true;
  }

  function fromHash() {
    var match = /^#([^?]+)\?q=(.*)$/.exec(window.location.hash);
    if (match) { filterListing(match[1], decodeURIComponent(match[2])); }
  }

  document.querySelectorAll("table.sortable").forEach(enhance);
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-filter]") : null;
    if (!link) { return; }
    var id = link.getAttribute("href").slice(1);
    if (filterListing(id, link.getAttribute("data-filter"))) {
      event.preventDefault();
      history.replaceState(null, "", "#" + id + "?q=" + encodeURIComponent(link.getAttribute("data-filter")));
    }
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
