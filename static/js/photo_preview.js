// Show the chosen photo before the form is saved (the server crops it to the one-inch ratio).
(function () {
  "use strict";
  var input = document.querySelector("input[type=file][name=photo]");
  var preview = document.getElementById("photo-preview");
  if (!input || !preview) { return; }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) { return; }
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  });
})();
