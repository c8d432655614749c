// The proctor's live view: refresh the numbers every 10 seconds without reloading the page
// (a reload would lose what the proctor is typing into an action form).
(function () {
  "use strict";
  var table = document.getElementById("monitor");
  if (!table) { return; }
  var items = table.dataset.items;
  function set(row, field, text) {
    var cell = row.querySelector("[data-field=" + field + "]");
    if (cell && field !== "state") { cell.textContent = text; }
  }
  function refresh() {
    fetch(table.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        body.rows.forEach(function (r) {
          var row = table.querySelector('tr[data-user="' + r.user + '"]');
          if (!row) { return; }
          set(row, "answered", r.answered + " / " + items);
          set(row, "remaining", r.remaining === null ? "—" : Math.floor(r.remaining / 60) + "′");
          set(row, "last_seen", r.last_seen || "—");
          set(row, "focus_losses", r.focus_losses);
          set(row, "score", r.score || "—");
          row.dataset.state = r.state;
        });
        document.getElementById("monitor-updated").textContent = body.server_time;
      }).catch(function () { /* try again next time */ });
  }
  setInterval(refresh, 10000);
})();
