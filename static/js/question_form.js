// Question form: show the fields of the chosen type and a live preview as the candidate sees it.
(function () {
  "use strict";
  var form = document.getElementById("question-form");
  var preview = document.getElementById("live-preview");
  if (!form || !preview) { return; }
  var letters = ["A", "B", "C", "D", "E", "F"];

  function value(name) {
    var el = form.elements[name];
    return el ? el.value.trim() : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function toggle() {
    var type = value("type");
    form.querySelectorAll("[data-show-for]").forEach(function (block) {
      block.hidden = block.getAttribute("data-show-for").split(" ").indexOf(type) === -1;
    });
  }

  function stemNode(text) {
    // Blanks (three or more underscores) become lines to write on.
    var node = el("div", "question-stem");
    text.split(/_{3,}/).forEach(function (part, i) {
      if (i > 0) { node.appendChild(el("span", "blank")); }
      node.appendChild(document.createTextNode(part));
    });
    return node;
  }

  function render() {
    var type = value("type");
    preview.replaceChildren(stemNode(value("stem")));
    var list = el("ul", "question-options");
    if (type === "single" || type === "multiple") {
      letters.forEach(function (key) {
        var text = value("option_" + key);
        if (!text) { return; }
        var item = el("li", form.elements["correct_" + key].checked ? "correct" : "");
        item.appendChild(el("span", "option-key", key));
        item.appendChild(document.createTextNode(" " + text));
        list.appendChild(item);
      });
    } else if (type === "true_false") {
      [["√", preview.dataset.true], ["×", preview.dataset.false]].forEach(function (pair) {
        var item = el("li", "");
        item.appendChild(el("span", "option-key", pair[0]));
        item.appendChild(document.createTextNode(" " + pair[1]));
        list.appendChild(item);
      });
    }
    if (list.children.length) { preview.appendChild(list); }
    var explanation = value("explanation");
    if (explanation) { preview.appendChild(el("div", "question-explanation", explanation)); }
  }

  form.addEventListener("input", render);
  form.addEventListener("change", function () { toggle(); render(); });
  toggle();
  render();
})();
