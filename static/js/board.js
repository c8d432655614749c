// The progress board refreshes its cells every 15 seconds.
(function () {
  "use strict";
  var table = document.getElementById("board");
  if (!table) { return; }
  var labels = JSON.parse(table.dataset.labels);
  function refresh() {
    fetch(table.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        body.rows.forEach(function (row) {
          Object.keys(row.states).forEach(function (task) {
            var cell = table.querySelector('tr[data-candidate="' + row.candidate + '"] td[data-task="' + task + '"]');
            if (cell) { cell.className = "state-" + row.states[task]; cell.textContent = labels[row.states[task]]; }
          });
        });
      }).catch(function () { /* next time */ });
  }
  setInterval(refresh, 15000);
})();
