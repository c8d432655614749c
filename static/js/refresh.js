// Reload a live page (the hall's seat map) every data-refresh seconds, unless someone is typing.
(function () {
  "use strict";
  var holder = document.querySelector("[data-refresh]");
  if (!holder) { return; }
  var seconds = Number(holder.dataset.refresh) || 15;
  setInterval(function () {
    var active = document.activeElement;
    var typing = active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA") && active.value;
    if (!typing && !document.hidden) { window.location.reload(); }
  }, seconds * 1000);
})();
