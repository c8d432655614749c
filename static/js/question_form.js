// Question form: show the fields of the chosen type and a live preview as the candidate sees it.
(function () {
  "use strict";
  var form = document.getElementById("question-form");
  var preview = document.getElementById("live-preview");
  if (!form || !preview) { return; }

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

  // The visible answer group (templates/question_types/*.html, editor macro) previews itself: its
  // option rows ([data-option-key]) as a list, or a clone of its <template data-preview>, where
  // [data-preview-bind=NAME] shows the value of field NAME.
  function answerPreview(group) {
    var rows = group.querySelectorAll("[data-option-key]");
    if (rows.length) {
      var list = el("ul", "question-options");
      rows.forEach(function (row) {
        var text = row.querySelector("[data-option-text]").value.trim();
        if (!text) { return; }
        var item = el("li", row.querySelector("[data-option-correct]").checked ? "correct" : "");
        item.appendChild(el("span", "option-key", row.getAttribute("data-option-key")));
        item.appendChild(document.createTextNode(" " + text));
        list.appendChild(item);
      });
      return list.children.length ? list : null;
    }
    var template = group.querySelector("template[data-preview]");
    if (!template) { return null; }
    var node = template.content.cloneNode(true);
    node.querySelectorAll("[data-preview-bind]").forEach(function (target) {
      target.textContent = value(target.getAttribute("data-preview-bind"));
      if (!target.textContent) { target.remove(); }
    });
    return node;
  }

  function render() {
    preview.replaceChildren(stemNode(value("stem")));
    var group = form.querySelector("[data-show-for]:not([hidden])");
    var answer = group && answerPreview(group);
    if (answer) { preview.appendChild(answer); }
    var explanation = value("explanation");
    if (explanation) { preview.appendChild(el("div", "question-explanation", explanation)); }
  }

  form.addEventListener("input", render);
  form.addEventListener("change", function () { toggle(); render(); });
  toggle();
  render();
})();
