// The portal's only script: no build step, no inline code (the Content-Security-Policy
// allows scripts from the portal's origin only). Every page works without it; it adds
// live updates, the import progress bar and small conveniences.
(function () {
  "use strict";
  var prefix = document.body.getAttribute("data-prefix") || "";

  // Times are written by the server in the account's time zone, which they
  // name; the script leaves them as they are.
  var lang = document.documentElement.lang || "en";

  // fill writes a translated pattern of the page ("{read} of {total} rows
  // read") with numbers the page's language's way.
  function fill(pattern, values) {
    return pattern.replace(/\{(\w+)\}/g, function (m, k) {
      var v = values[k];
      return typeof v === "number" ? v.toLocaleString(lang) : (v == null ? "?" : v);
    });
  }

  function fetchHTML(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    });
  }

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  var views = {
    drafts: ["draft"],
    active: ["submitted", "scheduled", "en_route"],
    completed: ["delivered", "failed", "cancelled"]
  };

  // Live updates of the orders list and of an order's page, from the portal's
  // Server-Sent Events. EventSource reconnects by itself, with Last-Event-ID.
  function live() {
    var table = document.querySelector("table[data-live=orders]");
    var section = document.querySelector("[data-live-order]");
    if (!table && !section) return;
    var es = new EventSource(prefix + "/events");
    es.addEventListener("open", function () { document.body.setAttribute("data-live", "connected"); });
    es.addEventListener("error", function () { document.body.setAttribute("data-live", "reconnecting"); });
    es.addEventListener("reset", function () { location.reload(); });
    es.addEventListener("order", function (msg) {
      var ev;
      try { ev = JSON.parse(msg.data); } catch (e) { return; }
      if (table) updateRow(table, ev);
      if (section && section.getAttribute("data-live-order") === ev.order) {
        fetchHTML(prefix + "/orders/" + encodeURIComponent(ev.order) + "/live").then(function (html) {
          section.innerHTML = html;
          section.setAttribute("data-updated", ev.to);
        }).catch(function () {});
      }
    });
  }

  function updateRow(table, ev) {
    var view = table.getAttribute("data-view");
    var tr = document.getElementById("order-" + ev.order);
    var belongs = (views[view] || []).indexOf(ev.to) >= 0;
    // A searched or filtered list updates the rows it shows, and adds none: the
    // server alone knows whether a new order matches.
    if (!tr && (!belongs || table.hasAttribute("data-filtered"))) return;
    fetchHTML(prefix + "/orders/" + encodeURIComponent(ev.order) + "/row?view=" + encodeURIComponent(view)).then(function (html) {
      var row = fragment(html);
      if (!row) return;
      if (!belongs) row.classList.add("moved");
      row.classList.add("flash-row");
      var current = document.getElementById("order-" + ev.order);
      if (current) {
        current.replaceWith(row);
      } else {
        var body = table.tBodies[0];
        var empty = body.querySelector("tr.empty");
        if (empty) empty.remove();
        body.insertBefore(row, body.firstChild);
      }
    }).catch(function () {});
  }

  // The import's progress bar: Server-Sent Events, or polling where they fail.
  function importProgress() {
    var job = document.getElementById("import-job");
    if (!job) return;
    var bar = document.getElementById("import-progress");
    var text = document.getElementById("import-progress-text");
    var done = false;
    function show(st) {
      if (st.total) bar.max = st.total;
      bar.value = st.read;
      var pattern = job.getAttribute(st.total ? "data-text" : "data-text-unknown") || job.getAttribute("data-text");
      if (pattern) text.textContent = fill(pattern, { read: st.read, total: st.total || null, stored: st.stored });
      if (st.finished && !done) {
        done = true;
        location.assign(st.result || job.getAttribute("data-result"));
      }
    }
    function poll() {
      fetch(job.getAttribute("data-status"), { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (st) { show(st); if (!done) setTimeout(poll, 1000); })
        .catch(function () { setTimeout(poll, 2000); });
    }
    if (!window.EventSource) { poll(); return; }
    var es = new EventSource(job.getAttribute("data-events"));
    es.addEventListener("progress", function (m) { show(JSON.parse(m.data)); });
    es.addEventListener("done", function (m) { es.close(); show(JSON.parse(m.data)); });
    es.addEventListener("error", function () { if (!done) { es.close(); poll(); } });
  }

  function conveniences() {
    document.querySelectorAll("[data-copy]").forEach(function (b) {
      b.addEventListener("click", function () {
        var input = document.getElementById(b.getAttribute("data-copy"));
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).catch(function () {});
        b.textContent = b.getAttribute("data-copied") || "Copied";
      });
    });
    document.querySelectorAll("[data-back]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        if (history.length > 1) { e.preventDefault(); history.back(); }
      });
    });
    var all = document.getElementById("select-all");
    if (all) {
      // "Select all N matching" is offered once every row of the page is
      // selected (the page shows it to browsers without this script).
      var matching = document.getElementById("select-matching");
      var boxes = document.querySelectorAll("input.select-order");
      var offer = function () {
        if (!matching) return;
        var every = boxes.length > 0;
        boxes.forEach(function (c) { every = every && c.checked; });
        matching.hidden = !every;
        // Hidden, it selects nothing: a box ticked in it before is unticked.
        if (!every) matching.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.checked = false; });
      };
      all.addEventListener("change", function () {
        boxes.forEach(function (c) { c.checked = all.checked; });
        offer();
      });
      boxes.forEach(function (c) { c.addEventListener("change", offer); });
      offer();
    }
    // A button of a form with several actions asks for its own (the others do not).
    document.querySelectorAll("button[data-confirm]").forEach(function (b) {
      b.addEventListener("click", function (e) {
        if (!confirm(b.getAttribute("data-confirm"))) { e.preventDefault(); return; }
        if (b.form && !b.form.querySelector('input[name="confirm"]')) {
          var yes = document.createElement("input");
          yes.type = "hidden"; yes.name = "confirm"; yes.value = "yes";
          b.form.appendChild(yes);
        }
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); return; }
        // Answered here: the server need not ask again with its own page.
        if (!f.querySelector('input[name="confirm"]')) {
          var yes = document.createElement("input");
          yes.type = "hidden"; yes.name = "confirm"; yes.value = "yes";
          f.appendChild(yes);
        }
      });
    });
  }

  // The tracking page: its content again every 20 s until the order settles
  // (a recipient's page holds no stream open).
  function trackPoll() {
    var section = document.querySelector("[data-track-live]");
    if (!section) return;
    var timer = setInterval(function () {
      if (document.hidden) return;
      fetchHTML(section.getAttribute("data-track-live")).then(function (html) {
        section.innerHTML = html;
        var st = section.querySelector("#track-status");
        if (st && ["delivered", "failed", "cancelled"].indexOf(st.getAttribute("data-status")) >= 0) clearInterval(timer);
      }).catch(function () {});
    }, 20000);
    if (section.hasAttribute("data-settled")) clearInterval(timer);
  }

  conveniences();
  live();
  importProgress();
  trackPoll();
})();
