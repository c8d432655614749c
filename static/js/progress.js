// A batch's progress bar: poll until it is finished, then reload once to show the certificates.
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box) { return; }
  var bar = document.getElementById("batch-bar");
  var count = document.getElementById("batch-count");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        bar.max = body.total || 1;
        bar.value = body.done;
        count.textContent = body.done + " / " + body.total;
        if (!body.finished) { setTimeout(poll, 3000); } else if (Number(bar.dataset.reloaded || 0) === 0 && body.done) {
          bar.dataset.reloaded = "1";
        }
      }).catch(function () { setTimeout(poll, 10000); });
  }
  poll();
})();
