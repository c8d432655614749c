// The registrations list's bulk actions: tick rows (or every row on the page, or every row the
// filter finds), then one action. The count is shown, the action buttons are disabled while nothing
// is selected, and each irreversible button's confirmation (data-confirm, see confirm.js) names the
// count: data-confirm-template holds the sentence with "{n}" where the count goes.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[type=checkbox][name=ids]"));
  var pageAll = document.querySelector("[data-bulk-page]");
  var everything = form.querySelector("[data-bulk-everything]");
  var total = parseInt(form.dataset.total, 10) || 0;
  var counter = form.querySelector("[data-bulk-count]");

  function ticked() {
    return boxes.filter(function (b) { return b.checked; }).length;
  }

  function update() {
    var n = everything && everything.checked ? total : ticked();
    counter.textContent = String(n);
    form.querySelectorAll("[data-bulk-action]").forEach(function (button) {
      button.disabled = n === 0;
      if (button.dataset.confirmTemplate) {
        button.dataset.confirm = button.dataset.confirmTemplate.replace("{n}", String(n));
      }
    });
    if (pageAll) { pageAll.checked = boxes.length > 0 && ticked() === boxes.length; }
  }

  boxes.forEach(function (box) {
    box.setAttribute("form", "bulk-form");
    box.addEventListener("change", function () {
      if (!box.checked && everything) { everything.checked = false; }
      update();
    });
  });
  if (pageAll) {
    pageAll.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = pageAll.checked; });
      if (!pageAll.checked && everything) { everything.checked = false; }
      update();
    });
  }
  if (everything) {
    everything.addEventListener("change", function () {
      if (everything.checked) { boxes.forEach(function (b) { b.checked = true; }); }
      update();
    });
  }
  update();
})();
