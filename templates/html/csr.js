/* Progressive enhancement only: the page reads fully without scripts.
   - Listings (table.sortable) get a filter box, a count of rows and subjects, and sortable
     column headers.
   - A link with data-filter ("TRT01A=Placebo&AEDECOD=ERYTHEMA&te=Y&back=t_ae_soc_pt", the
     rows behind a count) shows exactly the rows of its listing whose fields hold those texts
     (a field: the column whose header has that data-key, else the row's hidden fact
     data-f-<key>; exact text, not a substring), says which they are and how many, and offers
     the way back. A page opened at "#<listing id>?<filter>" does the same.
   - A report compared with the previous data lock gets a "Show only changed tables" button. */
"use strict";
(function () {
  var SUBJECT_KEY = "USUBJID";

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

  function plural(n, word) {
    return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s");
  }

  /* What the script knows of a listing: its rows (in their first order), the column of each
     key, the labels of its fields, the texts of each field (read once), the active selection. */
  function state(table) {
    if (table._csr) { return table._csr; }
    var headers = table.tHead.rows[table.tHead.rows.length - 1].cells;
    var columns = {}, labels = {};
    Array.prototype.forEach.call(headers, function (th, index) {
      var key = th.getAttribute("data-key");
      if (key) { columns[key] = index; labels[key] = th.textContent.replace(/\s+/g, " ").trim(); }
    });
    var facts = JSON.parse(table.getAttribute("data-facts") || "{}");
    Object.keys(facts).forEach(function (key) { labels[key] = facts[key]; });
    table._csr = {
      rows: Array.prototype.slice.call(table.tBodies[0].rows),
      columns: columns, labels: labels, facts: facts, texts: {},
      selection: null, text: ""
    };
    return table._csr;
  }

  /* The texts of one field, row by row; null when the listing has no such field. */
  function field(table, key) {
    var s = state(table);
    if (!(key in s.texts)) {
      var index = s.columns[key];
      if (index !== undefined) {
        s.texts[key] = s.rows.map(function (row) { return cellText(row, index); });
      } else if (key in s.facts) {
        var name = "data-f-" + key.toLowerCase();
        s.texts[key] = s.rows.map(function (row) { return row.getAttribute(name) || ""; });
      } else {
        s.texts[key] = null;
      }
    }
    return s.texts[key];
  }

  function parseFilter(query) {
    var where = [], back = "";
    new URLSearchParams(query).forEach(function (value, key) {
      if (key === "back") { back = value; } else { where.push([key, value]); }
    });
    return { where: where, back: back };
  }

  /* Show the rows that hold the selection (exact) and contain the typed text; count them. */
  function apply(table) {
    var s = state(table), needle = s.text.trim().toLowerCase();
    var where = s.selection ? s.selection.where : [];
    var columns = where.map(function (pair) { return field(table, pair[0]); });
    var subjects = field(table, SUBJECT_KEY) || s.rows.map(function (row) { return cellText(row, 0); });
    var shown = 0, seen = new Set();
    s.rows.forEach(function (row, i) {
      var hit = columns.every(function (texts, k) { return texts !== null && texts[i] === where[k][1]; });
      if (hit && needle) { hit = row.textContent.toLowerCase().indexOf(needle) !== -1; }
      row.hidden = !hit;
      if (hit) { shown++; seen.add(subjects[i]); }
    });
    var count = outputOf(table).querySelector(".listing-count");
    if (count) {
      var filtered = s.selection || needle;
      count.textContent = plural(shown, "row") + ", " + plural(seen.size, "subject") +
        (filtered ? " (of " + plural(s.rows.length, "row") + ")" : "");
    }
    return { rows: shown, subjects: seen.size };
  }

  function describe(table, where) {
    var s = state(table);
    return where.map(function (pair) {
      var known = pair[0] in s.columns || pair[0] in s.facts;
      var label = known ? s.labels[pair[0]] : pair[0] + " (not a field of this listing)";
      return label + " = " + (pair[1] === "" ? "blank" : pair[1]);
    }).join("; ");
  }

  /* The selection bar: which rows, "show all rows", and the way back to where the link was. */
  function showSelection(table, origin) {
    var s = state(table), bar = outputOf(table).querySelector(".listing-selection");
    if (!bar) { return; }
    while (bar.firstChild) { bar.removeChild(bar.firstChild); }
    bar.hidden = !s.selection;
    if (!s.selection) { return; }
    var text = document.createElement("span");
    text.textContent = "Rows where " + describe(table, s.selection.where) + ".";
    bar.appendChild(text);
    var clear = document.createElement("button");
    clear.type = "button";
    clear.textContent = "Show all rows";
    clear.addEventListener("click", function () { select(table, null, null); });
    bar.appendChild(clear);
    var target = s.selection.back && document.getElementById(s.selection.back);
    if (origin || target) {
      var back = document.createElement("a");
      back.className = "listing-back";
      back.href = "#" + (target ? s.selection.back : "");
      var number = target && target.querySelector(".number");
      back.textContent = "Back to " + (number ? number.textContent : "the text");
      back.addEventListener("click", function (event) {
        var to = origin || target;
        if (to && to.isConnected) {
          event.preventDefault();
          to.scrollIntoView({ block: "center" });
          if (to.focus) { to.focus(); }
        }
      });
      bar.appendChild(back);
    }
  }

  function select(table, selection, origin) {
    var s = state(table);
    s.selection = selection && selection.where.length ? selection : null;
    boxOf(table).scrollTop = 0;  // the selected rows from the first, in the table's own box
    var result = apply(table);
    showSelection(table, origin);
    return result;
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
    state(table);
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
    var bar = document.createElement("div");
    bar.className = "listing-selection";
    bar.hidden = true;
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
    // above the box the table scrolls in: never scrolled away
    boxOf(table).parentNode.insertBefore(tools, boxOf(table));
    boxOf(table).parentNode.insertBefore(bar, boxOf(table));
    input.addEventListener("input", function () { state(table).text = input.value; apply(table); });
    var headers = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
    apply(table);
  }

  function listingTable(id) {
    var box = document.getElementById(id);
    return box && box.querySelector("table.sortable");
  }

  /* Follow a link with data-filter: select its rows; returns {rows, subjects}, or null when
     its listing is not on the page (the anchor then does the jump). */
  function follow(link, scroll) {
    var id = link.getAttribute("href").slice(1);
    var table = listingTable(id);
    if (!table) { return null; }
    var query = link.getAttribute("data-filter");
    var result = select(table, parseFilter(query), link);
    if (scroll !== false) {
      outputOf(table).scrollIntoView();
      history.pushState(null, "", "#" + id + "?" + query);
    }
    return result;
  }

  function fromHash() {
    var match = /^#([^?]+)\?(.*)$/.exec(window.location.hash);
    if (!match) { return; }
    var table = listingTable(decodeURIComponent(match[1]));
    if (table) {
      select(table, parseFilter(match[2]), null);
      outputOf(table).scrollIntoView();
    }
  }

  /* A report compared with the previous data lock marks its changed cells (td.changed, with
     the previous text in data-previous); a button then shows only the tables that have one. */
  function changedOnly() {
    var changed = document.querySelectorAll("main .changed");
    if (!changed.length) { return; }
    Array.prototype.forEach.call(changed, function (cell) {
      var output = cell.closest(".output");
      if (output) { output.classList.add("has-changed"); }
    });
    var button = document.createElement("button");
    button.type = "button";
    button.id = "changed-only";
    button.setAttribute("aria-pressed", "false");
    button.textContent = "Show only changed tables";
    button.addEventListener("click", function () {
      var on = document.body.classList.toggle("only-changed");
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "Show all tables" : "Show only changed tables";
    });
    var toc = document.getElementById("toc");
    toc.insertBefore(button, toc.firstChild);
  }

  changedOnly();
  document.querySelectorAll("table.sortable").forEach(enhance);
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-filter]") : null;
    if (link && follow(link) !== null) { event.preventDefault(); }
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
  // For tests and for other scripts: follow a link without scrolling; select rows of a listing.
  window.csrgen = {
    follow: function (link) { return follow(link, false); },
    select: function (id, query) {
      var table = listingTable(id);
      return table ? select(table, parseFilter(query), null) : null;
    }
  };
})();
