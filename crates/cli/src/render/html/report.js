// smbaudit HTML report: sorting and filtering of the host table, copy buttons.
// The page is complete without this script. It reads data only from data-* attributes and
// its state from the URL fragment: #filter=TEXT&sort=KEY (a leading "-" sorts descending).
(function () {
  "use strict";
  var table = document.getElementById("host-table");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var input = document.getElementById("host-filter");
  var status = document.getElementById("host-status");
  var params = new URLSearchParams(location.hash.slice(1));
  var state = { filter: params.get("filter") || "", sort: params.get("sort") || "" };

  var articles = {};
  Array.prototype.forEach.call(document.querySelectorAll("article[data-row]"), function (a) {
    articles[a.dataset.row] = a;
  });
  rows.forEach(function (tr, i) { tr.dataset.order = String(i); });

  function save() {
    var p = new URLSearchParams();
    if (state.filter) { p.set("filter", state.filter); }
    if (state.sort) { p.set("sort", state.sort); }
    var s = p.toString();
    try {
      history.replaceState(null, "", s ? "#" + s : location.pathname + location.search);
    } catch (e) { /* some browsers refuse on file:// URLs; the view still works */ }
  }

  function applyFilter() {
    var q = state.filter.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (tr) {
      var hide = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
      tr.hidden = hide;
      if (!hide) { shown += 1; }
      if (articles[tr.id]) { articles[tr.id].hidden = hide; }
    });
    status.textContent = shown + " of " + rows.length + " hosts shown";
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
    var sorted = rows.slice().sort(function (a, b) {
      var x = a.dataset[key] || "";
      var y = b.dataset[key] || "";
      var c = type === "num" ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
        : type === "key" ? (x < y ? -1 : x > y ? 1 : 0)
        : x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      if (desc) { c = -c; }
      return c || Number(a.dataset.order) - Number(b.dataset.order);
    });
    sorted.forEach(function (tr) { body.appendChild(tr); });
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
      save();
    });
  });

  input.value = state.filter;
  input.addEventListener("input", function () {
    state.filter = input.value;
    applyFilter();
    save();
  });
  document.getElementById("filter-box").hidden = false;

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

  applyFilter();
  applySort();
  document.body.dataset.ready = "1";
})();
