// The answering page: server-held clock, autosave with sequence numbers, an offline queue kept in
// localStorage, one-at-a-time or all-on-one-page, the navigation grid, integrity events, submit.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("exam-config").textContent);
  var msg = document.getElementById("exam-messages").dataset;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var storeKey = "iiom-exam-" + config.attempt;
  var statusEl = document.getElementById("save-status");
  var alertEl = document.getElementById("exam-alert");
  var clockEl = document.getElementById("clock");
  var questions = Array.prototype.slice.call(document.querySelectorAll(".exam-q"));
  var byItem = {};
  questions.forEach(function (q) { byItem[q.dataset.item] = q; });

  // --- state: acknowledged answers from the server, pending ones from this browser -------------
  var acked = config.answers || {};            // item -> {response, flagged, seq}
  var pending = loadPending();                  // item -> {response, flagged, seq}
  var lastSeq = {};
  Object.keys(acked).forEach(function (k) { lastSeq[k] = acked[k].seq; });
  Object.keys(pending).forEach(function (k) {
    if (!acked[k] || pending[k].seq > acked[k].seq) { lastSeq[k] = pending[k].seq; } else { delete pending[k]; }
  });
  var stopped = false;  // taken over or closed: never save again from this page
  var paused = false, pausedLeft = 0;  // the hall's clock is stopped by the invigilator
  var pausedEl = document.getElementById("exam-paused");

  function loadPending() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function keepPending() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* storage full: memory only */ }
  }
  function current(item) { return pending[item] || acked[item] || null; }

  // --- reading and writing the inputs ------------------------------------------------------------
  // Each question holds one [data-answer] box naming how its inputs read (the type partials in
  // templates/question_types/ say which): one (a radio; a JSON literal with data-json), many (the
  // ticked boxes, sorted), list (the text inputs by data-blank), text (one input). No type codes here.
  function inputs(box, selector) { return Array.prototype.slice.call(box.querySelectorAll(selector)); }
  var COLLECT = {
    one: function (box) {
      var checked = box.querySelector("input:checked");
      if (!checked) { return null; }
      return box.hasAttribute("data-json") ? JSON.parse(checked.value) : checked.value;
    },
    many: function (box) {
      var keys = inputs(box, "input:checked").map(function (i) { return i.value; });
      return keys.length ? keys.sort() : null;
    },
    list: function (box) {
      var blanks = inputs(box, "input[data-blank]").map(function (i) { return i.value; });
      return blanks.some(function (b) { return b.trim() !== ""; }) ? blanks : null;
    },
    text: function (box) {
      var value = box.querySelector("input").value;
      return value.trim() !== "" ? value : null;
    }
  };
  var FILL = {
    one: function (box, r) {
      inputs(box, "input").forEach(function (i) { i.checked = r !== null && r !== undefined && String(r) === i.value; });
    },
    many: function (box, r) {
      inputs(box, "input").forEach(function (i) { i.checked = !!r && r.indexOf(i.value) !== -1; });
    },
    list: function (box, r) {
      inputs(box, "input[data-blank]").forEach(function (i) { i.value = r && r[Number(i.dataset.blank)] || ""; });
    },
    text: function (box, r) { box.querySelector("input").value = typeof r === "string" ? r : ""; }
  };
  function box(q) { return q.querySelector("[data-answer]"); }
  function readResponse(q) { var b = box(q); return COLLECT[b.dataset.answer](b); }
  function writeResponse(q, response) { var b = box(q); FILL[b.dataset.answer](b, response); }

  function answered(item) {
    var c = current(item);
    return !!c && c.response !== null && c.response !== undefined;
  }

  function refreshGrid() {
    var count = 0;
    document.querySelectorAll("[data-goto]").forEach(function (cell) {
      var item = cell.dataset.goto;
      var c = current(item);
      cell.classList.toggle("answered", answered(item));
      cell.classList.toggle("flagged", !!c && c.flagged);
      if (answered(item)) { count += 1; }
    });
    document.getElementById("answered-count").textContent = count;
  }

  // --- saving ------------------------------------------------------------------------------------
  var timer = null, inFlight = null, backoff = 2000;  // inFlight: the save being sent, a promise

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "save-status small " + (kind || "");
  }

  function change(q) {
    if (stopped) { return; }
    var item = q.dataset.item;
    lastSeq[item] = (lastSeq[item] || 0) + 1;
    pending[item] = {response: readResponse(q), flagged: q.querySelector("[data-flag]").checked, seq: lastSeq[item]};
    keepPending();
    refreshGrid();
    schedule(600);
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(flush, delay);
  }

  // Send what is pending. While a save is on its way, wait for it and then send what is left, so
  // whoever waits for flush() (hand-in, time up) waits for every answer, not just the first batch.
  function flush() {
    if (stopped) { return Promise.resolve(); }
    if (inFlight) { return inFlight.then(flush); }
    var items = Object.keys(pending);
    if (!items.length) { return Promise.resolve(); }
    var saves = items.map(function (item) {
      var p = pending[item];
      return {item: Number(item), response: p.response, flagged: p.flagged, seq: p.seq};
    });
    setStatus(msg.saving, "saving");
    inFlight = post(config.save_url, {saves: saves}).then(function (body) {
      inFlight = null;
      backoff = 2000;
      body.acks.forEach(function (ack) {
        var key = String(ack.item);
        var p = pending[key];
        if (p && p.seq <= ack.seq) {
          acked[key] = {response: p.response, flagged: p.flagged, seq: ack.seq};
          delete pending[key];
        }
      });
      body.rejected.forEach(function (r) { delete pending[String(r.item)]; showAlert(msg.rejected); });
      keepPending();
      sync(body);
      refreshGrid();
      if (Object.keys(pending).length) { schedule(200); return; }
      setStatus(msg.saved.replace("{time}", serverClock(body.server_time)), "saved");
    }).catch(function (error) {
      inFlight = null;
      if (error && error.stop) { return; }
      setStatus(navigator.onLine === false ? msg.offline : msg.retrying, "offline");
      schedule(backoff);
      backoff = Math.min(backoff * 2, 30000);
    });
    return inFlight;
  }

  // Flush until nothing is pending, or a few tries have not managed it (offline).
  function drain(tries) {
    return flush().then(function () {
      if (stopped || !Object.keys(pending).length || tries <= 1 || navigator.onLine === false) { return; }
      return drain(tries - 1);
    });
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) { return body; }
        if (response.status === 409) { stop(body); throw {stop: true}; }
        if (response.status === 423) { resync(); }  // paused: the answer waits in the queue
        throw {status: response.status};
      });
    });
  }

  function stop(body) {
    stopped = true;
    clearTimeout(timer);
    if (body.taken_over) {
      showAlert(msg.takenover, true);
      setStatus(msg.takenover, "offline");
      document.querySelectorAll("#questions input").forEach(function (i) { i.disabled = true; });
    } else if (body.closed) {
      localStorage.removeItem(storeKey);
      window.location.href = body.receipt_url || config.receipt_url;
    }
  }

  // --- the clock belongs to the server -----------------------------------------------------------
  var offset = 0;        // server time minus browser time, in ms
  var deadline = Date.parse(config.deadline);
  var warned = {};

  function sync(body) {
    if (!body || !body.server_time) { return; }
    offset = Date.parse(body.server_time) - Date.now();
    deadline = Date.parse(body.deadline);
    if (body.status && body.status !== "in_progress") { stop({closed: true}); }
    var was = paused;
    paused = !!body.paused;
    pausedLeft = body.remaining || 0;
    if (pausedEl) { pausedEl.hidden = !paused; }
    if (was && !paused && typeof schedule === "function") { schedule(100); }  // resumed: send what waited
  }
  sync(config);

  function serverClock(iso) {
    var d = new Date(iso);
    return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
  }

  function tick() {
    var left = paused ? pausedLeft : Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    clockEl.textContent = (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    clockEl.classList.toggle("text-danger", left <= 300);
    if (paused) { return; }  // no warnings and no time-up while the clock stands still
    if (left <= 300 && left > 60 && !warned.five) { warned.five = true; showAlert(msg.five); }
    if (left <= 60 && left > 0 && !warned.one) { warned.one = true; showAlert(msg.one); }
    if (left === 0 && !warned.end && !stopped) {
      warned.end = true;
      showAlert(msg.timeup);
      var finish = function () {
        if (navigator.onLine === false) { window.addEventListener("online", finish, {once: true}); return; }
        document.getElementById("submit-form").submit();
      };
      drain(3).then(finish);
    }
  }
  setInterval(tick, 1000);
  tick();

  function resync() {
    fetch(config.clock_url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        sync(body);
        if (body.taken_over) { stop({taken_over: true}); }
      }).catch(function () { /* offline: the local clock keeps counting */ });
  }
  setInterval(resync, 60000);
  setInterval(function () { if (paused) { resync(); } }, 5000);  // learn of the resume within seconds

  function showAlert(text, sticky) {
    alertEl.textContent = text;
    alertEl.hidden = false;
    if (!sticky) { setTimeout(function () { alertEl.hidden = true; }, 15000); }
  }

  // --- one at a time or all on one page ----------------------------------------------------------
  var mode = localStorage.getItem("iiom-exam-mode") || "all";
  var index = 0;
  var toggle = document.getElementById("toggle-mode");

  function show(i) {
    index = Math.max(0, Math.min(questions.length - 1, i));
    if (mode === "one") {
      questions.forEach(function (q, n) { q.hidden = n !== index; });
      document.querySelectorAll(".section-title").forEach(function (t) { t.hidden = true; });
    }
    document.querySelectorAll("[data-goto]").forEach(function (cell) {
      cell.classList.toggle("current", cell.dataset.goto === questions[index].dataset.item);
    });
  }

  function applyMode() {
    var one = mode === "one";
    questions.forEach(function (q) { q.hidden = false; });
    document.querySelectorAll(".section-title").forEach(function (t) { t.hidden = one; });
    document.querySelectorAll(".exam-q-nav").forEach(function (n) { n.hidden = !one; });
    toggle.textContent = one ? toggle.dataset.all : toggle.dataset.one;
    show(index);
  }

  toggle.addEventListener("click", function () {
    mode = mode === "one" ? "all" : "one";
    localStorage.setItem("iiom-exam-mode", mode);
    applyMode();
  });
  document.querySelectorAll("[data-goto]").forEach(function (cell) {
    cell.addEventListener("click", function () {
      var target = byItem[cell.dataset.goto];
      show(questions.indexOf(target));
      if (mode === "all") { target.scrollIntoView({block: "start"}); }
    });
  });
  document.querySelectorAll("[data-prev]").forEach(function (b) { b.addEventListener("click", function () { show(index - 1); }); });
  document.querySelectorAll("[data-next]").forEach(function (b) { b.addEventListener("click", function () { show(index + 1); }); });

  // --- inputs ------------------------------------------------------------------------------------
  questions.forEach(function (q) {
    var c = current(q.dataset.item);
    if (c) {
      writeResponse(q, c.response);
      q.querySelector("[data-flag]").checked = !!c.flagged;
    }
    q.addEventListener("change", function () { change(q); });
    q.querySelectorAll("input[type=text]").forEach(function (input) {
      input.addEventListener("input", function () { change(q); });
    });
  });
  refreshGrid();
  applyMode();
  if (Object.keys(pending).length) { schedule(100); }

  // --- reporting a faulty question --------------------------------------------------------------
  document.querySelectorAll("[data-report]").forEach(function (button) {
    button.addEventListener("click", function () {
      var q = button.closest(".exam-q");
      var note = q.querySelector("[data-report-note]").value.trim();
      if (!note) { return; }
      post(config.challenge_url, {item: Number(q.dataset.item), note: note}).then(function () {
        q.querySelector("[data-report-status]").textContent = msg.reported;
      }).catch(function () { /* the candidate may try again */ });
    });
  });

  // --- connection and integrity events -----------------------------------------------------------
  var events = [];
  function note(kind) {
    events.push(kind);
    clearTimeout(note.timer);
    note.timer = setTimeout(function () {
      if (!events.length || stopped) { return; }
      var batch = events.splice(0, events.length);
      post(config.events_url, {events: batch}).then(focusPolicy)
        .catch(function () { events = batch.concat(events); });
    }, 1000);
  }
  // The exam's focus-loss policy, applied by the server: a warning, the invigilator told, or the
  // exam submitted (only where the exam says so).
  var focusShown = "";
  function focusPolicy(body) {
    if (!body) { return; }
    if (body.closed) { stop(body); return; }
    var level = body.focus || "";
    if ((level === "warn" || level === "alert") && level + body.focus_losses !== focusShown) {
      focusShown = level + body.focus_losses;
      showAlert((level === "alert" ? msg.focusalert : msg.focuswarn).replace("{n}", body.focus_losses), true);
    }
  }
  document.addEventListener("visibilitychange", function () { note(document.hidden ? "hidden" : "visible"); });
  window.addEventListener("blur", function () { note("blur"); });
  window.addEventListener("focus", function () { note("focus"); });
  window.addEventListener("online", function () { note("online"); backoff = 2000; schedule(100); resync(); });
  window.addEventListener("offline", function () { note("offline"); setStatus(msg.offline, "offline"); });

  // --- submission --------------------------------------------------------------------------------
  var dialog = document.getElementById("submit-dialog");
  document.getElementById("open-submit").addEventListener("click", function () {
    var missing = questions.filter(function (q) { return !answered(q.dataset.item); })
      .map(function (q) { return q.dataset.position; });
    var list = document.getElementById("unanswered-list");
    list.textContent = missing.length ? list.dataset.some + " " + missing.join(", ") : list.dataset.none;
    dialog.showModal();
  });
  document.getElementById("cancel-submit").addEventListener("click", function () { dialog.close(); });
  document.getElementById("submit-form").addEventListener("submit", function (event) {
    if (!Object.keys(pending).length || stopped) { localStorage.removeItem(storeKey); return; }
    event.preventDefault();  // send the last answers first
    var form = event.target;
    drain(3).then(function () {
      if (!Object.keys(pending).length) { localStorage.removeItem(storeKey); form.submit(); }
      else { dialog.close(); setStatus(msg.offline, "offline"); }
    });
  });
})();
