// Irreversible actions ask first. A submit button (or its form) with data-confirm="what will happen"
// opens the confirmation dialog; "Confirm" submits the form with the same button, "Cancel" does
// nothing. Without JavaScript the form submits as before (the server checks everything anyway).
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || !window.bootstrap) { return; }
  var modal = new bootstrap.Modal(dialog);
  var pending = null;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || form.dataset.confirm;
    if (!message || form.dataset.confirmed === "1") { return; }
    event.preventDefault();
    pending = { form: form, button: button };
    dialog.querySelector("[data-confirm-text]").textContent = message;
    modal.show();
  }, true);
  dialog.querySelector("[data-confirm-yes]").addEventListener("click", function () {
    if (!pending) { return; }
    var form = pending.form, button = pending.button;
    pending = null;
    form.dataset.confirmed = "1";
    modal.hide();
    if (form.requestSubmit) { form.requestSubmit(button || undefined); } else { form.submit(); }
  });
})();
