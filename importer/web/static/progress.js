// Live progress of a running batch: polls /batches/{id}.json and updates
// the page; when the batch ends, reloads it to show the results. Without
// scripts the page refreshes itself instead (a <noscript> meta refresh).
(function () {
  "use strict";
  var text = document.getElementById("progress-text");
  var bar = document.getElementById("progress");
  if (!text || !bar) { return; }
  var id = text.getAttribute("data-batch");
  function fmt(s) {
    s = Math.round(s);
    if (s < 60) { return s + "s"; }
    var m = Math.floor(s / 60);
    if (m < 60) { return m + "m" + (s % 60) + "s"; }
    return Math.floor(m / 60) + "h" + (m % 60) + "m";
  }
  function tick() {
    fetch("/batches/" + id + ".json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (b) {
        if (b.state !== "running") { window.location.reload(); return; }
        if (b.rows > 0) { bar.max = b.rows; }
        bar.value = b.done;
        var msg = b.done + " of " + (b.rows >= 0 ? b.rows : "?") + " rows done";
        if (b.startedAt) {
          var el = (Date.now() - Date.parse(b.startedAt)) / 1000;
          if (el > 0 && b.done > 0) {
            var rate = b.done / el;
            msg += ", " + Math.round(rate) + " rows/s";
            if (b.rows > 0) { msg += ", about " + fmt((b.rows - b.done) / rate) + " left"; }
          }
        }
        text.textContent = msg;
        setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 500);
})();
