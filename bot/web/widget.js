/* The website chat widget. One tag adds it to any page:
 *   <script src="https://BOT/webhooks/web/widget.js" data-title="Ask about pain"
 *           data-accent="#1f4e79" async></script>
 * It loads render.js and widget.css from the same place, draws a launcher button and a
 * chat panel inside a shadow root (the page's CSS cannot reach it), and keeps the
 * conversation in sessionStorage so it survives navigation within the tab.
 */
(function () {
  "use strict";

  if (window.__painAssistantWidget) return;
  window.__painAssistantWidget = true;

  var script = document.currentScript ||
    document.querySelector("script[src*='/webhooks/web/widget.js']");
  var BASE = new URL(".", script.src).href;
  var TITLE = script.getAttribute("data-title") || "Ask about pain";
  var DEFAULT_ACCENT = "#1f4e79";
  var STORE_KEY = "pain-assistant:" + BASE;

  function loadRenderer(done) {
    if (window.PainChat) return done();
    var tag = document.createElement("script");
    tag.src = BASE + "render.js";
    tag.async = true;
    tag.onload = done;
    tag.onerror = function () { /* the widget stays absent rather than half-drawn */ };
    document.head.appendChild(tag);
  }

  function readState() {
    try {
      var raw = window.sessionStorage.getItem(STORE_KEY);
      var state = raw ? JSON.parse(raw) : null;
      if (state && typeof state.id === "string" && Array.isArray(state.turns)) return state;
    } catch (e) { /* storage unavailable or corrupt: start afresh */ }
    return null;
  }

  function writeState(state) {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) { /* private mode or quota: the conversation just won't persist */ }
  }

  function start() {
    var P = window.PainChat;
    var el = P.el;
    var client = new P.Client(BASE);
    var state = readState() || { id: P.newConversationId(), turns: [], open: false };
    var pending = null;

    var host = el("div", { id: "pain-assistant-widget" });
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("link", { rel: "stylesheet", href: BASE + "widget.css" }));

    var accent = P.accessibleAccent(script.getAttribute("data-accent"), DEFAULT_ACCENT);
    var frame = el("div", { className: "pa-root" });
    frame.style.setProperty("--pa-accent", accent);

    var launcher = el("button", {
      type: "button", className: "pa-launcher", "aria-expanded": "false",
      "aria-controls": "pa-panel"
    }, [el("span", { className: "pa-launcher-icon", "aria-hidden": "true", text: "?" }),
        el("span", { text: TITLE })]);
    var restart = el("button", { type: "button", className: "pa-restart", text: "Start over" });
    var close = el("button", {
      type: "button", className: "pa-close", "aria-label": "Close chat", text: "\u00d7"
    });
    var log = el("div", {
      className: "pa-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": "Conversation", tabindex: "0"
    });
    var typing = el("div", { className: "pa-typing", role: "status" });
    var input = el("textarea", {
      id: "pa-input", className: "pa-input", rows: "2", maxlength: "2000",
      autocomplete: "off", placeholder: "Type your question"
    });
    var send = el("button", { type: "submit", className: "pa-send", text: "Send" });
    var form = el("form", { className: "pa-form" }, [
      el("label", { for: "pa-input", className: "pa-sr", text: "Your question" }), input, send
    ]);
    var panel = el("section", {
      id: "pa-panel", className: "pa-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "pa-title", hidden: true
    }, [
      el("header", { className: "pa-header" }, [
        el("h2", { id: "pa-title", className: "pa-title", text: TITLE }), restart, close
      ]),
      log, typing, form
    ]);
    frame.appendChild(launcher);
    frame.appendChild(panel);
    root.appendChild(frame);

    var turnOpts = {
      // a turn's buttons (suggestions, feedback) retire once used: keep focus in the panel
      onSend: function (payload, shown) { ask(payload, shown); input.focus(); },
      idPrefix: "pa"
    };

    function scrollDown() { log.scrollTop = log.scrollHeight; }

    function showBot(messages) {
      P.retireSuggestions(log);
      log.appendChild(P.renderBotTurn(messages, turnOpts));
      scrollDown();
    }

    function showUser(text) {
      P.retireSuggestions(log);
      log.appendChild(P.renderUserTurn(text));
      scrollDown();
    }

    function setTyping(on) {
      typing.replaceChildren();
      if (on) {
        typing.appendChild(el("span", { className: "pa-dots", "aria-hidden": "true" },
          [el("span"), el("span"), el("span")]));
        typing.appendChild(el("span", { className: "pa-typing-text", text: "The assistant is typing" }));
      }
      send.disabled = on;
    }

    /* Send a message; `shown` is what the transcript shows (null shows nothing). */
    function ask(message, shown) {
      if (pending) return;
      if (shown) {
        showUser(shown);
        state.turns.push({ role: "user", text: shown });
        writeState(state);
      }
      var controller = new AbortController();
      var id = state.id;
      pending = controller;
      setTyping(true);
      client.send(id, message, controller.signal).then(function (messages) {
        if (state.id !== id) return;
        showBot(messages);
        state.turns.push({ role: "bot", messages: messages });
        writeState(state);
      }).catch(function (err) {
        if (err && err.name === "AbortError") return;
        log.appendChild(P.renderNotice((err && err.friendly) ||
          "Sorry, the assistant could not be reached. Please try again."));
        scrollDown();
      }).then(function () {
        if (pending === controller) {
          pending = null;
          setTyping(false);
        }
      });
    }

    function setOpen(open, focusInput) {
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", open ? "true" : "false");
      frame.classList.toggle("pa-open", open);
      state.open = open;
      writeState(state);
      if (open) {
        if (!state.turns.length && !pending) ask("/greet", null);
        if (focusInput) input.focus();
        scrollDown();
      }
    }

    function startOver() {
      if (pending) pending.abort();
      pending = null;
      setTyping(false);
      client.end(state.id);
      state = { id: P.newConversationId(), turns: [], open: true };
      writeState(state);
      log.replaceChildren();
      ask("/greet", null);
      input.value = "";
      input.focus();
    }

    launcher.addEventListener("click", function () { setOpen(panel.hidden, true); });
    close.addEventListener("click", function () { setOpen(false); launcher.focus(); });
    restart.addEventListener("click", startOver);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text || pending) return;
      input.value = "";
      ask(text, text);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    frame.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) {
        setOpen(false);
        launcher.focus();
      }
    });

    state.turns.forEach(function (turn) {
      if (turn.role === "user") log.appendChild(P.renderUserTurn(String(turn.text)));
      else if (turn.role === "bot" && Array.isArray(turn.messages)) {
        P.retireSuggestions(log);
        log.appendChild(P.renderBotTurn(turn.messages, turnOpts));
      }
    });

    document.body.appendChild(host);
    if (state.open) setOpen(true, false);
  }

  function ready() {
    loadRenderer(start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
