// The live monitoring page (/charging): listen to the page's event stream and recolour ports,
// show stations online or offline, add and remove alert rows, and update ages each second.
// Without this script the page shows the state it was drawn with.
"use strict";
(function () {
  var root = document.querySelector(".live[data-events]");
  if (!root || !window.EventSource) { return; }
  var only = root.getAttribute("data-only-station");
  var statusLine = root.querySelector(".live-status");

  function word(name, n) {
    return (root.getAttribute("data-word-" + name) || "").replace("{n}", String(n));
  }
  function age(seconds, form) {
    seconds = Math.max(0, seconds);
    if (seconds < 120) { return word(form + "-s", Math.floor(seconds)); }
    if (seconds < 7200) { return word(form + "-min", Math.floor(seconds / 60)); }
    return word(form + "-h", Math.floor(seconds / 3600));
  }
  function tick() {
    var now = Date.now();
    root.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (isNaN(since)) { return; }
      var seconds = (now - since) / 1000;
      if (el.classList.contains("sla")) {
        var used = seconds / parseFloat(el.getAttribute("data-allowed-s"));
        el.textContent = el.getAttribute("data-template").replace("{percent}",
          Math.round(used * 100) + " %");
        var row = el.closest("tr");
        if (used >= 1 && row && !row.classList.contains("overdue")) {
          row.classList.add("overdue");
          row.querySelector(".overdue-flag").textContent = word("overdue", "");
        }
      } else {
        el.textContent = age(seconds, el.getAttribute("data-form") || "for");
      }
    });
  }
  function station(id) {
    var found = null;
    root.querySelectorAll(".station[data-station]").forEach(function (el) {
      if (el.getAttribute("data-station") === id) { found = el; }
    });
    return found;
  }
  function chip(port) {
    var li = document.createElement("li");
    li.setAttribute("data-port", port.id);
    var glyph = document.createElement("span");
    glyph.className = "glyph";
    glyph.setAttribute("aria-hidden", "true");
    var name = document.createElement("span");
    name.className = "port-name";
    name.textContent = port.name;
    var state = document.createElement("span");
    state.className = "port-state";
    li.append(glyph, " ", name, " ", state);
    return li;
  }
  function showPort(card, port) {
    var list = card.querySelector(".ports");
    var li = null;
    list.querySelectorAll("[data-port]").forEach(function (el) {
      if (el.getAttribute("data-port") === port.id) { li = el; }
    });
    if (!li) {
      li = chip(port);
      list.appendChild(li);
      var none = card.querySelector(".no-ports");
      if (none) { none.remove(); }
    }
    li.className = "port st-" + port.state;
    li.querySelector(".glyph").textContent = port.glyph;
    li.querySelector(".port-state").textContent = port.label;
    var code = li.querySelector(".port-code");
    if (port.error_code) {
      if (!code) {
        code = document.createElement("code");
        code.className = "port-code";
        li.append(" ", code);
      }
      code.textContent = port.error_code;
    } else if (code) { code.remove(); }
  }
  function onState(change) {
    var card = station(change.station_id);
    if (!card) { return; }
    if (change.port) { showPort(card, change.port); return; }
    var dd = card.querySelector(".connection");
    dd.className = "connection " + (change.connected ? "on" : "off");
    dd.querySelector(".glyph").textContent = change.connected ? "●" : "○";
    dd.querySelector(".connection-word").textContent = change.connection;
    card.classList.toggle("is-offline", !change.connected);
    var last = card.querySelector(".age");
    if (change.connected) {
      last.setAttribute("data-since", change.at);
      last.setAttribute("data-form", "ago");
    }
  }
  function onSeen(seen) {
    Object.keys(seen.stations).forEach(function (id) {
      var card = station(id);
      if (!card) { return; }
      var last = card.querySelector(".age");
      last.setAttribute("data-since", seen.stations[id]);
      last.setAttribute("data-form", "ago");
    });
  }
  var rows = root.querySelector("[data-alert-rows]");
  function alertRow(id) {
    var found = null;
    rows.querySelectorAll("tr[data-alert]").forEach(function (el) {
      if (el.getAttribute("data-alert") === id) { found = el; }
    });
    return found;
  }
  function noAlerts() {
    root.querySelector(".no-alerts").hidden = rows.children.length > 0;
  }
  function onAlert(change) {
    if (only && change.station_id !== only) { return; }
    var row = alertRow(change.id);
    if (change.event === "resolved") {
      if (row) { row.remove(); }
    } else {
      var holder = document.createElement("tbody");
      holder.innerHTML = change.html;  // drawn and escaped by the server
      var fresh = holder.querySelector("tr");
      if (row) { row.replaceWith(fresh); } else { rows.appendChild(fresh); }
    }
    noAlerts();
  }
  function onOpenAlerts(list) {
    rows.querySelectorAll("tr[data-alert]").forEach(function (el) {
      if (list.ids.indexOf(el.getAttribute("data-alert")) < 0) { el.remove(); }
    });
    noAlerts();
  }

  var source = new EventSource(root.getAttribute("data-events"));
  function listen(name, handle) {
    source.addEventListener(name, function (e) { handle(JSON.parse(e.data)); tick(); });
  }
  listen("state", onState);
  listen("alert", onAlert);
  listen("seen", onSeen);
  listen("open_alerts", onOpenAlerts);
  source.addEventListener("open", function () {
    statusLine.textContent = "";
    root.setAttribute("data-live", "on");
  });
  source.addEventListener("error", function () {
    statusLine.textContent = word("paused", "");
    root.setAttribute("data-live", "off");
  });
  window.setInterval(tick, 1000);
})();
