// reloader live reload: follows /__reloader/events and reloads the page
// when a new generation of the app serves. Output is put in with
// textContent only, never parsed as HTML.
(function () {
  "use strict";
  if (window.__reloader && window.__reloader.started) return;
  var me = document.currentScript;
  var R = window.__reloader = {
    gen: (me && me.getAttribute("data-gen")) || "",
    connected: false,
    cssRefreshes: 0,
    started: true
  };
  var reloading = false;

  function body(f) {
    if (document.body) f();
    else document.addEventListener("DOMContentLoaded", f);
  }
  function byId(id) { return document.getElementById(id); }
  function drop(id) { var e = byId(id); if (e) e.remove(); }
  function style(el, s) { for (var k in s) el.style[k] = s[k]; return el; }

  function badge() {
    body(function () {
      if (byId("__reloader_badge")) return;
      var b = style(document.createElement("div"), {
        position: "fixed", right: "12px", bottom: "12px", zIndex: "2147483647",
        padding: "4px 10px", borderRadius: "12px", font: "12px/1.5 system-ui, sans-serif",
        background: "rgba(30,30,30,.85)", color: "#fff", pointerEvents: "none"
      });
      b.id = "__reloader_badge";
      b.textContent = "building\u2026";
      document.body.appendChild(b);
    });
  }

  function overlay(kind, title, parts) {
    body(function () {
      drop("__reloader_overlay");
      var o = style(document.createElement("div"), {
        position: "fixed", left: "0", right: "0", bottom: "0", maxHeight: "60vh", overflow: "auto",
        zIndex: "2147483647", background: "rgba(20,20,20,.95)", color: "#eee",
        font: "13px/1.4 ui-monospace, monospace", padding: "12px 16px", boxSizing: "border-box",
        borderTop: "3px solid " + (kind === "crashed" ? "#e5a00d" : "#e5484d")
      });
      o.id = "__reloader_overlay";
      o.setAttribute("data-kind", kind);
      var close = style(document.createElement("button"), {
        float: "right", background: "none", color: "#eee", border: "0", cursor: "pointer", font: "inherit"
      });
      close.textContent = "\u00d7";
      close.title = "hide (the page underneath still works)";
      close.onclick = function () { o.remove(); };
      var h = style(document.createElement("div"), { fontWeight: "bold", marginBottom: "6px" });
      h.textContent = title;
      var pre = style(document.createElement("pre"), { margin: "0", whiteSpace: "pre-wrap" });
      (parts || []).forEach(function (p) {
        if (!p.href) { pre.appendChild(document.createTextNode(p.text)); return; }
        var a = style(document.createElement("a"), { color: "#7cc4ff" });
        a.className = "__reloader_loc";
        a.href = p.href;
        a.textContent = p.text;
        pre.appendChild(a);
      });
      o.appendChild(close); o.appendChild(h); o.appendChild(pre);
      document.body.appendChild(o);
    });
  }

  function base(u) { return u.split("?")[0].split("#")[0].split("/").pop(); }

  function refreshCSS(paths) {
    var names = (paths || []).map(base);
    var links = Array.prototype.slice.call(document.querySelectorAll('link[rel~="stylesheet"][href]'));
    var hit = links.filter(function (l) { return names.indexOf(base(l.getAttribute("href"))) >= 0; });
    if (hit.length === 0) hit = links; // a bundle under another name: refresh them all
    R.cssRefreshes++;
    hit.forEach(function (l) {
      var u = new URL(l.getAttribute("href"), location.href);
      u.searchParams.set("reloader", String(R.cssRefreshes));
      l.setAttribute("href", u.origin === location.origin ? u.pathname + u.search + u.hash : u.href);
    });
  }

  function reload() {
    if (reloading) return;
    reloading = true;
    location.reload();
  }

  function on(es, name, f) {
    es.addEventListener(name, function (e) {
      if (e.lastEventId) R.gen = e.lastEventId;
      var d = {};
      try { d = JSON.parse(e.data || "{}"); } catch (err) { /* keep {} */ }
      f(d);
    });
  }

  function connect() {
    var es = new EventSource("/__reloader/events?last=" + encodeURIComponent(R.gen));
    es.onopen = function () { R.connected = true; };
    es.onerror = function () { R.connected = false; };
    on(es, "hello", function () { R.connected = true; });
    on(es, "building", function () { badge(); });
    on(es, "build-failed", function (d) {
      drop("__reloader_badge");
      overlay("build-failed", "Build failed \u2014 still serving the previous version", d.parts);
    });
    on(es, "crashed", function (d) {
      drop("__reloader_badge");
      overlay("crashed", "The app exited (" + (d.status || "crashed") + ")", d.parts);
    });
    // A new generation started: reload now, so the unload and the request
    // overlap its start; the proxy holds the request until it serves.
    on(es, "starting", function (d) {
      if (reloading || !d.wait) return;
      document.cookie = "__reloader_wait=" + d.wait + "; path=/; max-age=60; samesite=strict";
      reload();
    });
    on(es, "swapped", function () { drop("__reloader_badge"); reload(); });
    on(es, "reload", function () { reload(); });
    on(es, "css", function (d) { refreshCSS(d.paths); });
    window.addEventListener("pagehide", function () { es.close(); });
  }
  connect();
})();
