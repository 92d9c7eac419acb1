// Address book suggestions in the order form (partials-recurring.html): typing
// a recipient or an address line lists the saved addresses that match; choosing
// one fills the form. Without this script the form offers "Start from a saved
// address" links instead.
(function () {
  "use strict";
  var start = document.getElementById("start-from");
  var form = document.querySelector("form.order-form");
  if (!start || !form || !window.fetch) return;
  var url = start.getAttribute("data-suggest");
  var list = document.createElement("ul");
  list.id = "address-suggestions";
  list.className = "suggestions";
  list.hidden = true;
  var timer = 0;
  var seq = 0;
  function fill(values) {
    Object.keys(values).forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (input && "value" in input) input.value = values[name];
    });
    list.hidden = true;
  }
  function show(input, addresses) {
    list.textContent = "";
    addresses.forEach(function (a) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = a.label;
      b.addEventListener("click", function () { fill(a.values); input.focus(); });
      li.appendChild(b);
      list.appendChild(li);
    });
    input.parentNode.appendChild(list);
    list.hidden = addresses.length === 0;
  }
  function suggest(input) {
    var q = input.value.trim();
    var mine = ++seq;
    if (q.length < 2) { list.hidden = true; return; }
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { addresses: [] }; })
      .then(function (data) { if (mine === seq) show(input, data.addresses || []); })
      .catch(function () { list.hidden = true; });
  }
  ["recipient_name", "address_line_1"].forEach(function (name) {
    var input = form.elements.namedItem(name);
    if (!input) return;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-controls", "address-suggestions");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(input); }, 200);
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") list.hidden = true; });
  });
})();
