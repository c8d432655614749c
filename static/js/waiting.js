// The waiting room of a synchronized start: a countdown on the server's clock; at the start one
// tiny request for the hall's key, the sealed paper decrypted here (WebCrypto AES-GCM) and the
// answering page started (exam.js). Where WebCrypto is missing (a page not served over HTTPS or
// from localhost), the page reloads at the start and gets the paper in clear.
(function () {
  "use strict";
  var configEl = document.getElementById("exam-config");
  var config = JSON.parse(configEl.textContent);
  var sealed = JSON.parse(document.getElementById("exam-sealed").textContent);
  var msg = document.getElementById("waiting-messages").dataset;
  var countdown = document.getElementById("countdown");
  var statusEl = document.getElementById("waiting-status");
  var offset = Date.parse(config.server_time) - Date.now();  // server minus browser, ms
  var startsAt = Date.parse(config.starts_at);
  var opened = false, asked = false;

  function serverNow() { return Date.now() + offset; }

  function bytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function tick() {
    if (opened) { return; }
    var ms = startsAt - serverNow();
    var left = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    countdown.textContent = (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    if (ms <= 0) {
      if (!asked) { asked = true; askForKey(0); }
      return;
    }
    setTimeout(tick, ms % 1000 || 1000);  // on the second, and at the start exactly
  }

  function askForKey(tries) {
    if (!(window.crypto && window.crypto.subtle)) {
      statusEl.textContent = msg.reload;
      setTimeout(function () { window.location.reload(); }, Math.random() * 1500);
      return;
    }
    fetch(config.key_url, {credentials: "omit", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.status === 425) {  // a little early by this computer's clock: the server says how much
            setTimeout(function () { askForKey(tries); }, Math.max(20, body.starts_in_ms || 200));
            return;
          }
          if (!response.ok || !body.key) { throw new Error("no key"); }
          return open(body.key, body.server_time);
        });
      })
      .catch(function () {
        if (tries > 2) { statusEl.textContent = msg.retry; }
        setTimeout(function () { askForKey(tries + 1); }, Math.min(5000, 250 * Math.pow(2, tries)) * (0.5 + Math.random()));
      });
  }

  function open(key, serverTime) {
    statusEl.textContent = msg.opening;
    return crypto.subtle.importKey("raw", bytes(key), {name: "AES-GCM"}, false, ["decrypt"])
      .then(function (cryptoKey) {
        return crypto.subtle.decrypt({name: "AES-GCM", iv: bytes(sealed.iv), additionalData: new TextEncoder().encode(config.attempt)},
          cryptoKey, bytes(sealed.data));
      })
      .then(function (plain) {
        opened = true;
        document.getElementById("paper").innerHTML = new TextDecoder().decode(plain);
        document.getElementById("waiting-room").hidden = true;
        document.getElementById("exam-bar").hidden = false;
        // The answering page takes the server's time from its config: now, not when this page came.
        config.server_time = new Date(serverTime ? Date.parse(serverTime) : serverNow()).toISOString();
        configEl.textContent = JSON.stringify(config);
        var script = document.createElement("script");
        script.src = examScript;
        document.body.appendChild(script);
      });
  }

  var examScript = document.querySelector("script[data-exam-script]").dataset.examScript;

  // Keep the session alive and learn of a moved start (the invigilator may move it before it comes).
  function resync() {
    if (opened) { return; }
    fetch(config.clock_url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.server_time) { offset = Date.parse(body.server_time) - Date.now(); }
        if (body.starts_at && Date.parse(body.starts_at) !== startsAt && !asked) {
          startsAt = Date.parse(body.starts_at);
          config.deadline = body.deadline;
        }
        if (body.taken_over) { window.location.reload(); }
      }).catch(function () { /* offline: the countdown goes on by this computer's clock */ });
    setTimeout(resync, 45000 + Math.random() * 30000);
  }
  setTimeout(resync, 45000 + Math.random() * 30000);
  tick();
})();
