// smbaudit HTML report: sorting, filtering and paging of the host table, expanding host
// findings, copy buttons.
// The page is complete without this script (every row shown). It reads data only from data-*
// attributes and its state from the URL fragment: #filter=TEXT&sort=KEY&page=N (a leading
// "-" sorts descending; page=all shows every row). A large table is shown PAGE rows at a
// time, which keeps a 4096-host report quick to lay out.
(function () {
  "use strict";
  var PAGE = 250;
  var table = document.getElementById("host-table");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var ordered = rows.slice();
  var matching = rows.slice();
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var input = document.getElementById("host-filter");
  var status = document.getElementById("host-status");
  var pager = document.getElementById("pager");
  var params = new URLSearchParams(location.hash.slice(1));
  var state = {
    filter: params.get("filter") || "",
    sort: params.get("sort") || "",
    // 0-based; -1 shows every row.
    page: params.get("page") === "all" ? -1 : Math.max(0, (parseInt(params.get("page"), 10) || 1) - 1)
  };

  var articles = {};
  Array.prototype.forEach.call(document.querySelectorAll("article[data-row]"), function (a) {
    articles[a.dataset.row] = a;
  });
  rows.forEach(function (tr, i) { tr.order = i; });

  function save() {
    var p = new URLSearchParams();
    if (state.filter) { p.set("filter", state.filter); }
    if (state.sort) { p.set("sort", state.sort); }
    if (state.page !== 0) { p.set("page", state.page < 0 ? "all" : String(state.page + 1)); }
    var s = p.toString();
    try {
      history.replaceState(null, "", s ? "#" + s : location.pathname + location.search);
    } catch (e) { /* some browsers refuse on file:// URLs; the view still works */ }
  }

  // Shows the current page of the matching rows and hides every other row.
  function applyPage() {
    var pages = Math.max(1, Math.ceil(matching.length / PAGE));
    if (state.page >= pages) { state.page = pages - 1; }
    var lo = state.page < 0 ? 0 : state.page * PAGE;
    var hi = state.page < 0 ? matching.length : Math.min(matching.length, lo + PAGE);
    rows.forEach(function (tr) { tr.shown = false; });
    for (var i = lo; i < hi; i += 1) { matching[i].shown = true; }
    rows.forEach(function (tr) {
      if (tr.hidden === tr.shown) { tr.hidden = !tr.shown; }
    });
    var text = matching.length + " of " + rows.length + " hosts shown";
    if (hi - lo < matching.length) {
      text = matching.length + " of " + rows.length + " hosts match, " + (lo + 1) + "\u2013" + hi +
        " shown (page " + (state.page + 1) + " of " + pages + ")";
    }
    status.textContent = text;
    pager.hidden = matching.length <= PAGE;
    pager.querySelector("[data-go=prev]").disabled = state.page <= 0;
    pager.querySelector("[data-go=next]").disabled = state.page < 0 || state.page >= pages - 1;
    pager.querySelector("[data-go=all]").disabled = state.page < 0;
  }

  function applyFilter() {
    var q = state.filter.trim().toLowerCase();
    matching = ordered.filter(function (tr) {
      var match = q === "" || tr.textContent.toLowerCase().indexOf(q) >= 0;
      var article = articles[tr.id];
      if (article && article.hidden === match) { article.hidden = !match; }
      return match;
    });
    applyPage();
  }

  function applySort() {
    var desc = state.sort.charAt(0) === "-";
    var key = desc ? state.sort.slice(1) : state.sort;
    var th = null;
    headers.forEach(function (h) {
      if (h.dataset.key === key) { th = h; } else { h.removeAttribute("aria-sort"); }
    });
    if (!th) { return; }
    // "num": numbers; "key": sort keys made by the report (compared as plain strings);
    // "text": names, in natural order (FILE2 before FILE10).
    var type = th.dataset.type;
    ordered = rows.slice().sort(function (a, b) {
      var x = a.dataset[key] || "";
      var y = b.dataset[key] || "";
      var c = type === "num" ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
        : type === "key" ? (x < y ? -1 : x > y ? 1 : 0)
        : x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      if (desc) { c = -c; }
      return c || a.order - b.order;
    });
    var frag = document.createDocumentFragment();
    ordered.forEach(function (tr) { frag.appendChild(tr); });
    body.appendChild(frag);
    th.setAttribute("aria-sort", desc ? "descending" : "ascending");
  }

  headers.forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    button.addEventListener("click", function () {
      var key = th.dataset.key;
      state.sort = state.sort === key ? "-" + key : key;
      applySort();
      applyFilter();
      save();
    });
  });

  input.value = state.filter;
  input.addEventListener("input", function () {
    state.filter = input.value;
    state.page = 0;
    applyFilter();
    save();
  });
  document.getElementById("filter-box").hidden = false;

  pager.addEventListener("click", function (e) {
    var go = e.target.dataset && e.target.dataset.go;
    if (!go) { return; }
    state.page = go === "all" ? -1 : Math.max(0, state.page + (go === "next" ? 1 : -1));
    applyPage();
    save();
    table.scrollIntoView();
  });

  // Expand or fold every shown host's findings at once.
  var expand = document.getElementById("expand-all");
  expand.addEventListener("click", function () {
    var open = expand.dataset.open !== "1";
    Array.prototype.forEach.call(body.querySelectorAll("tr:not([hidden]) details"), function (d) {
      d.open = open;
    });
    expand.dataset.open = open ? "1" : "0";
    expand.textContent = open ? "Fold all findings" : "Expand all findings";
  });

  // A link to a host's row (#row-host-...) shows the row's page and opens its findings.
  function openTarget() {
    var id = location.hash.slice(1);
    var tr = id.indexOf("row-") === 0 ? document.getElementById(id) : null;
    if (!tr || tr.parentNode !== body) { return; }
    if (matching.indexOf(tr) < 0) {
      state.filter = input.value = "";
      applyFilter();
    }
    if (state.page >= 0) { state.page = Math.floor(matching.indexOf(tr) / PAGE); }
    applyPage();
    var details = tr.querySelector("details");
    if (details) { details.open = true; }
    tr.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);

  Array.prototype.forEach.call(document.querySelectorAll(".fix"), function (fix) {
    var pre = fix.querySelector("pre");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      var text = pre.textContent;
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; }, select);
      } else {
        select();
      }
    });
    fix.querySelector("h6").appendChild(button);
  });

  applySort();
  applyFilter();
  openTarget();
  // Reading the widths lays the page out, so data-ready-ms is when it could first be used.
  var box = document.getElementById("host-box");
  document.body.dataset.tableFits = box.scrollWidth <= box.clientWidth ? "1" : "0";
  document.body.dataset.tableWidth = box.scrollWidth + "/" + box.clientWidth;
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = "1";
})();
