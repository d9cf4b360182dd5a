// govaudit report: filter and page the embedded findings.  Crawled text is only ever set with
// textContent, and links only for http(s) URLs, so nothing from a crawled page can run here.
(function () {
  "use strict";
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("govaudit-data").textContent);
  var rows = data.rows, L = data.labels, PAGE = 100;
  var hay = null;               // lower-cased search text per row, built on first search
  var matched = rows.map(function (_, i) { return i; });
  var page = 0;
  var $ = function (id) { return document.getElementById(id); };

  function option(sel, value, text) {
    var o = document.createElement("option"); o.value = value; o.textContent = text; sel.appendChild(o);
  }
  function fill(sel, items, used) {
    option(sel, "", L.all + " · " + sel.getAttribute("data-k"));
    items.forEach(function (it, i) { if (used[i]) option(sel, String(i), it[1] + (it[0] && it[0] !== it[1] ? " (" + it[0] + ")" : "")); });
  }
  var usedSev = {}, usedInd = {}, usedRule = {};
  rows.forEach(function (r) { usedRule[r[0]] = 1; usedSev[r[1]] = 1; usedInd[r[2]] = 1; });
  $("f-sev").setAttribute("data-k", L.severity); $("f-ind").setAttribute("data-k", L.indicator); $("f-rule").setAttribute("data-k", L.rule);
  fill($("f-sev"), data.severities, usedSev); fill($("f-ind"), data.indicators, usedInd); fill($("f-rule"), data.rules, usedRule);

  function safeHref(url) { return /^https?:\/\//i.test(url) ? url : null; }
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }

  function render() {
    var body = $("rows"), frag = document.createDocumentFragment();
    var pages = Math.max(1, Math.ceil(matched.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    for (var k = page * PAGE; k < Math.min(matched.length, (page + 1) * PAGE); k++) {
      var idx = matched[k], r = rows[idx], tr = document.createElement("tr");
      tr.className = "row"; tr.setAttribute("data-i", String(idx));
      var sev = data.severities[r[1]];
      var s = cell(tr, ""); var span = document.createElement("span"); span.className = "sev-" + sev[0]; span.textContent = sev[1]; s.appendChild(span);
      cell(tr, data.indicators[r[2]][1]);
      cell(tr, data.rules[r[0]][1]);
      var u = cell(tr, ""), href = safeHref(r[3]);
      if (href) { var a = document.createElement("a"); a.href = href; a.rel = "noreferrer"; a.textContent = r[3]; u.appendChild(a); } else { u.textContent = r[3]; }
      cell(tr, r[4]);
      frag.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(frag);
    $("status").textContent = matched.length + " " + L.shown + " " + (page + 1) + "/" + pages;
  }

  // evidence is embedded as small arrays (labels by index): [label, parts] for a field, [label, headers,
  // rows, more] for a table; a part is its text or [text, href].  Built here with textContent only.
  var EV = data.evlabels || [], SEP = document.documentElement.lang === "en" ? ", " : "\u3001";
  function appendParts(el, parts) {
    (parts || []).forEach(function (p, n) {
      if (n) el.appendChild(document.createTextNode(SEP));
      var text = typeof p === "string" ? p : p[0], href = typeof p === "string" ? null : safeHref(p[1]);
      if (href) { var a = document.createElement("a"); a.href = href; a.rel = "noreferrer"; a.textContent = text; el.appendChild(a); }
      else { el.appendChild(document.createTextNode(text)); }
    });
  }
  function evidence(items) {
    var box = document.createElement("div"); box.className = "detail";
    (items || []).forEach(function (it) {
      var div = document.createElement("div"); div.className = "ev";
      var k = document.createElement("span"); k.className = "k"; k.textContent = EV[it[0]]; div.appendChild(k);
      div.appendChild(document.createTextNode(SEP === ", " ? ": " : "\uff1a"));
      if (it.length === 2) { appendParts(div, it[1]); }
      else {
        var table = document.createElement("table"); table.className = "ev-table";
        var hr = document.createElement("tr");
        it[1].forEach(function (h) { var th = document.createElement("th"); th.textContent = EV[h]; hr.appendChild(th); });
        var thead = document.createElement("thead"); thead.appendChild(hr); table.appendChild(thead);
        var tbody = document.createElement("tbody");
        it[2].forEach(function (row) {
          var tr = document.createElement("tr");
          row.forEach(function (c) { var td = document.createElement("td"); appendParts(td, c); tr.appendChild(td); });
          tbody.appendChild(tr);
        });
        table.appendChild(tbody); div.appendChild(table);
        if (it[3]) { var m = document.createElement("div"); m.className = "muted more-rows"; m.textContent = L.more_rows.replace("{n}", it[3]); div.appendChild(m); }
      }
      box.appendChild(div);
    });
    return box;
  }
  function flatText(v) { return typeof v === "string" ? v : Array.isArray(v) ? v.map(flatText).join(" ") : (typeof v === "number" ? "" : String(v)); }

  function toggle(tr) {
    var next = tr.nextSibling;
    if (next && next.className === "detail-row") { next.parentNode.removeChild(next); return; }
    var idx = +tr.getAttribute("data-i"), r = rows[idx];
    var dtr = document.createElement("tr"); dtr.className = "detail-row";
    var td = document.createElement("td"); td.colSpan = 5;
    td.appendChild(evidence(r[5]));
    var shot = data.shots[String(idx)];
    if (shot && /^data:image\/(png|jpeg);base64,/.test(shot)) { var img = document.createElement("img"); img.src = shot; img.alt = "screenshot"; img.style.maxWidth = "640px"; td.appendChild(img); }
    dtr.appendChild(td); tr.parentNode.insertBefore(dtr, tr.nextSibling);
  }

  function apply() {
    var t = performance.now();
    var q = $("q").value.trim().toLowerCase();
    var fs = $("f-sev").value, fi = $("f-ind").value, fr = $("f-rule").value;
    var sev = fs === "" ? -1 : +fs, ind = fi === "" ? -1 : +fi, rule = fr === "" ? -1 : +fr;
    if (q && hay === null) { hay = rows.map(function (r) { return (r[3] + "\n" + r[4] + "\n" + flatText(r[5])).toLowerCase(); }); }
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (sev >= 0 && r[1] !== sev) continue;
      if (ind >= 0 && r[2] !== ind) continue;
      if (rule >= 0 && r[0] !== rule) continue;
      if (q && hay[i].indexOf(q) < 0) continue;
      out.push(i);
    }
    matched = out; page = 0; render();
    return performance.now() - t;
  }

  var timer = null;
  $("q").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  ["f-sev", "f-ind", "f-rule"].forEach(function (id) { $(id).addEventListener("change", apply); });
  $("prev").addEventListener("click", function () { page--; render(); });
  $("next").addEventListener("click", function () { page++; render(); });
  $("rows").addEventListener("click", function (e) {
    var tr = e.target.closest ? e.target.closest("tr.row") : null;
    if (tr && e.target.tagName !== "A") toggle(tr);
  });
  render();
  // figures for bench/report_bench.py (time to first render, filter latency)
  window.govaudit = {
    renderMs: performance.now() - t0,
    filter: function (q, sev) { $("q").value = q || ""; if (sev !== undefined) $("f-sev").value = sev; return apply(); },
    count: function () { return matched.length; }
  };
})();
