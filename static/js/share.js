// Share links (My results → Share links): a Copy button copies its link, and typing a number of
// days chooses "another number of days". Without JavaScript the link can be selected and copied.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = document.getElementById(button.dataset.copy);
    if (!input) { return; }
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    function done(ok) {
      button.textContent = ok ? button.dataset.copied : button.dataset.copyFailed;
      window.setTimeout(function () { button.textContent = label; }, 2000);
    }
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    done(ok);
  });
  var days = document.querySelector("[data-share-days]");
  if (days) {
    days.addEventListener("input", function () {
      var other = document.querySelector("input[name=period][value=other]");
      if (other && days.value) { other.checked = true; }
    });
  }
})();
