/* The waiting-room kiosk: a full-screen chat that forgets everything.
 *
 * Nothing is written to browser storage. After `idle_seconds` without a touch or key
 * (settings, or ?idle=N for tests) a "Still there?" prompt counts down `warning_seconds`
 * (?warn=N); then the screen is wiped: transcript, timers, pending requests, storage,
 * and the server-side conversation, and a fresh conversation starts with a new id.
 */
(function () {
  "use strict";

  var P = window.PainChat;
  var client = new P.Client(new URL(".", window.location.href).href);
  var $ = function (id) { return document.getElementById(id); };
  var log = $("k-log"), typing = $("k-typing"), form = $("k-form"), input = $("k-input");
  var send = $("k-send"), staffDialog = $("k-staff-dialog"), idleDialog = $("k-idle-dialog");
  var countdown = $("k-countdown");

  var config = { idle_seconds: 90, warning_seconds: 20, kiosk_staff_message: "", clinic_phone: null };
  var conversationId = null;
  var controllers = [];   // AbortControllers of requests in flight
  var idleTimer = null, tickTimer = null, remaining = 0;
  var touched = false;    // whether anyone used the screen since the last wipe

  function positiveNumber(value) {
    var n = parseFloat(value);
    return isFinite(n) && n > 0 ? n : null;
  }

  /* Lines a safety card adds on the kiosk: the staff message and the clinic's own line. */
  function safetyExtra(custom) {
    var lines = [];
    var staff = (custom && custom.staff_message) || config.kiosk_staff_message;
    if (staff) lines.push(staff);
    if (config.clinic_phone) lines.push("Clinic phone: " + config.clinic_phone);
    return lines;
  }

  var turnOpts = {
    onSend: function (payload, shown) { ask(payload, shown); },
    plainSources: true,   // a kiosk never leaves its page
    safetyExtra: safetyExtra,
    idPrefix: "k"
  };

  function setTyping(on) {
    typing.replaceChildren();
    if (on) {
      typing.appendChild(P.el("span", { className: "pa-dots", "aria-hidden": "true" },
        [P.el("span"), P.el("span"), P.el("span")]));
      typing.appendChild(P.el("span", { text: "The assistant is typing" }));
    }
    send.disabled = on;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function ask(message, shown) {
    if (controllers.length) return;
    if (shown) {
      P.retireSuggestions(log);
      log.appendChild(P.renderUserTurn(shown));
      scrollDown();
    }
    var controller = new AbortController();
    var id = conversationId;
    controllers.push(controller);
    setTyping(true);
    client.send(id, message, controller.signal).then(function (messages) {
      if (id !== conversationId) return;
      P.retireSuggestions(log);
      log.appendChild(P.renderBotTurn(messages, turnOpts));
      scrollDown();
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      log.appendChild(P.renderNotice((err && err.friendly) ||
        "Sorry, the assistant could not be reached. Please try again."));
      scrollDown();
    }).then(function () {
      controllers = controllers.filter(function (c) { return c !== controller; });
      if (!controllers.length) setTyping(false);
    });
  }

  /* --- idle handling ------------------------------------------------------------------ */
  function clearTimers() {
    clearTimeout(idleTimer);
    clearInterval(tickTimer);
    idleTimer = tickTimer = null;
  }

  function armIdle() {
    clearTimeout(idleTimer);
    if (touched && !idleDialog.open) {
      idleTimer = setTimeout(warn, config.idle_seconds * 1000);
    }
  }

  function activity() {
    touched = true;
    if (!idleDialog.open) armIdle();
  }

  function warn() {
    remaining = Math.ceil(config.warning_seconds);
    countdown.textContent = String(remaining);
    if (staffDialog.open) staffDialog.close();
    idleDialog.showModal();
    $("k-continue").focus();
    tickTimer = setInterval(function () {
      remaining -= 1;
      countdown.textContent = String(Math.max(remaining, 0));
      if (remaining <= 0) wipe();
    }, 1000);
  }

  function keepGoing() {
    clearInterval(tickTimer);
    tickTimer = null;
    idleDialog.close();   // the dialog hands focus back to where it was
    armIdle();
  }

  /* Forget everything and start a fresh conversation. */
  function wipe() {
    clearTimers();
    controllers.forEach(function (c) { c.abort(); });
    controllers = [];
    setTyping(false);
    if (conversationId) client.end(conversationId);
    try { window.sessionStorage.clear(); window.localStorage.clear(); } catch (e) { /* none */ }
    if (idleDialog.open) idleDialog.close();
    if (staffDialog.open) staffDialog.close();
    log.replaceChildren();
    input.value = "";
    input.blur();
    touched = false;
    window.scrollTo(0, 0);
    begin();
  }

  function begin() {
    conversationId = P.newConversationId();
    document.body.setAttribute("data-conversation-started", String(Date.now()));
    ask("/greet", null);
  }

  /* --- wiring ----------------------------------------------------------------------- */
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || controllers.length) return;
    input.value = "";
    ask(text, text);
  });
  $("k-restart").addEventListener("click", wipe);
  $("k-staff").addEventListener("click", function () {
    $("k-staff-text").textContent = config.kiosk_staff_message || "";
    staffDialog.showModal();
    $("k-staff-close").focus();
  });
  $("k-staff-close").addEventListener("click", function () { staffDialog.close(); });
  $("k-continue").addEventListener("click", keepGoing);
  idleDialog.addEventListener("cancel", function (event) {
    event.preventDefault();   // Escape counts as "continue", not as dismissing the wipe
    keepGoing();
  });
  ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (type) {
    document.addEventListener(type, activity, { passive: true, capture: true });
  });
  document.addEventListener("contextmenu", function (event) { event.preventDefault(); });
  window.addEventListener("pagehide", function () {
    if (conversationId) client.end(conversationId);
  });

  client.settings().then(function (settings) {
    Object.keys(settings || {}).forEach(function (key) {
      if (settings[key] !== null && settings[key] !== undefined) config[key] = settings[key];
    });
    var params = new URLSearchParams(window.location.search);
    config.idle_seconds = positiveNumber(params.get("idle")) || positiveNumber(config.idle_seconds) || 90;
    config.warning_seconds = positiveNumber(params.get("warn")) || positiveNumber(config.warning_seconds) || 20;
    if (config.clinic_name) {
      $("k-title").textContent = "Questions about pain \u2014 " + config.clinic_name;
    }
    begin();
  });
})();
