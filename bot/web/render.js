/* Shared by the chat widget and the kiosk: talking to the bot and drawing its turns.
 *
 * Every piece of user or bot text goes into the page as a text node (never as HTML).
 * A bot turn that carries the response contract's `custom` object is drawn from it
 * (quotations, numbered citations, sources, disclaimer, safety card, suggestions);
 * a turn without one falls back to its plain text messages and buttons.
 */
(function () {
  "use strict";

  var SAFETY_KINDS = { crisis: true, red_flag: true };

  /* A random conversation id: 128 bits from the platform's CSPRNG, as hex. */
  function newConversationId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  /* Build an element; string children become text nodes, attributes are set one by one. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name === "className") node.className = value;
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* Paragraphs of plain text (blank lines separate them; single newlines are kept by CSS). */
  function paragraphs(text, className) {
    return String(text || "").split(/\n{2,}/).filter(function (part) {
      return part.trim() !== "";
    }).map(function (part) {
      return el("p", { className: className, text: part.trim() });
    });
  }

  /* Only absolute https: URLs become links. */
  function httpsUrl(url) {
    if (typeof url !== "string" || url === "") return null;
    try {
      var parsed = new URL(url);
      return parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  /* --- colour contrast (WCAG 2.x relative luminance) --------------------------------- */
  function parseColor(value) {
    if (typeof value !== "string" || value.trim() === "") return null;
    var probe = document.createElement("span");
    probe.style.color = "";
    probe.style.color = value;
    if (probe.style.color === "") return null; // not a CSS colour
    probe.style.display = "none";
    document.documentElement.appendChild(probe);
    var computed = getComputedStyle(probe).color;
    probe.remove();
    var m = computed.match(/rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?/);
    if (!m) return null;
    var alpha = m[4] === undefined ? 1 : parseFloat(m[4]) / (m[4].slice(-1) === "%" ? 100 : 1);
    if (alpha < 1) return null; // translucent colours cannot be checked reliably
    return [parseFloat(m[1]), parseFloat(m[2]), parseFloat(m[3])];
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v = v / 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrastRatio(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  /* The accent if white text on it reaches 4.5:1 (WCAG AA), otherwise the fallback. */
  function accessibleAccent(value, fallback) {
    var rgb = parseColor(value);
    if (rgb && contrastRatio(rgb, [255, 255, 255]) >= 4.5) {
      return "rgb(" + rgb.map(Math.round).join(", ") + ")";
    }
    return fallback;
  }

  /* --- talking to the bot -------------------------------------------------------------- */
  function Client(base) {
    this.base = base.replace(/\/?$/, "/");
  }

  Client.prototype.send = function (sender, message, signal) {
    return fetch(this.base + "webhook", {
      method: "POST",
      // text/plain keeps this a CORS "simple request" (no preflight); the body is JSON.
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({ sender: sender, message: message }),
      credentials: "omit",
      cache: "no-store",
      signal: signal
    }).then(function (resp) {
      if (resp.status === 429) {
        // too many messages: the server's own wording (server.rate_limit_message)
        return resp.json().catch(function () { return {}; }).then(function (body) {
          var err = new Error("HTTP 429");
          err.friendly = body && typeof body.message === "string" ? body.message : null;
          throw err;
        });
      }
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    }).then(function (messages) {
      if (!Array.isArray(messages)) throw new Error("unexpected reply");
      return messages;
    });
  };

  /* Ask the server to delete the conversation; survives page unloads (keepalive). */
  Client.prototype.end = function (sender) {
    return fetch(this.base + "end", {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({ sender: sender }),
      credentials: "omit",
      cache: "no-store",
      keepalive: true
    }).then(function (resp) {
      return resp.ok ? resp.json() : null;
    }).catch(function () {
      return null;
    });
  };

  Client.prototype.settings = function () {
    return fetch(this.base + "settings", { credentials: "omit", cache: "no-store" })
      .then(function (resp) { return resp.ok ? resp.json() : {}; })
      .catch(function () { return {}; });
  };

  /* --- drawing turns ------------------------------------------------------------------- */
  var turnCounter = 0;

  function findCustom(messages) {
    for (var i = 0; i < messages.length; i++) {
      var custom = messages[i] && messages[i].custom;
      if (custom && typeof custom === "object" && typeof custom.kind === "string") {
        return custom;
      }
    }
    return null;
  }

  function suggestionButtons(items, opts) {
    var valid = (items || []).filter(function (s) {
      return s && typeof s.title === "string" && typeof s.payload === "string";
    });
    if (!valid.length) return null;
    return el("div", {
      className: "pa-suggestions", role: "group", "aria-label": "Suggested questions"
    }, valid.map(function (s) {
      return el("button", {
        type: "button", className: "pa-suggestion", text: s.title,
        onclick: function () { opts.onSend(s.payload, s.title); }
      });
    }));
  }

  function excerptList(excerpts, turnId) {
    if (!Array.isArray(excerpts) || !excerpts.length) return null;
    return el("div", { className: "pa-excerpts" }, excerpts.map(function (ex, i) {
      var n = ex.n || i + 1;
      var marker = el("button", {
        type: "button", className: "pa-cite", text: "[" + n + "]",
        "aria-label": "Source " + n,
        onclick: function () {
          var target = document.getElementById(turnId + "-src-" + n) ||
            (marker.getRootNode().getElementById &&
             marker.getRootNode().getElementById(turnId + "-src-" + n));
          if (target) {
            target.scrollIntoView({ block: "nearest" });
            target.focus();
          }
        }
      });
      return el("figure", { className: "pa-excerpt" }, [
        el("blockquote", {}, [el("p", { text: ex.text || "" })]),
        el("figcaption", {}, [marker])
      ]);
    }));
  }

  function sourceList(sources, turnId, opts) {
    if (!Array.isArray(sources) || !sources.length) return null;
    var items = sources.map(function (src, i) {
      var n = src.n || i + 1;
      var url = httpsUrl(src.url);
      var title = url && !opts.plainSources
        ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: src.title || url })
        : el("span", { className: "pa-source-title", text: src.title || "" });
      var parts = [el("span", { className: "pa-source-n", text: "[" + n + "] " }), title];
      if (src.publisher) parts.push(document.createTextNode(" \u2014 " + src.publisher));
      if (src.label) parts.push(el("span", { className: "pa-source-label", text: " (" + src.label + ")" }));
      if (url && opts.plainSources) parts.push(el("span", { className: "pa-source-url", text: " " + url }));
      return el("li", { id: turnId + "-src-" + n, tabindex: "-1" }, parts);
    });
    return el("div", { className: "pa-sources" }, [
      el("p", { className: "pa-sources-label", text: "Sources" }),
      el("ol", {}, items)
    ]);
  }

  function feedbackButtons(opts) {
    var group = el("div", { className: "pa-feedback", role: "group", "aria-label": "Was this answer helpful?" });
    function choose(payload, button) {
      Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
        b.disabled = true;
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      opts.onSend(payload, null);
    }
    var yes = el("button", { type: "button", className: "pa-fb", "aria-pressed": "false", text: "Helpful" });
    var no = el("button", { type: "button", className: "pa-fb", "aria-pressed": "false", text: "Not helpful" });
    yes.addEventListener("click", function () { choose("/feedback_helpful", yes); });
    no.addEventListener("click", function () { choose("/feedback_not_helpful", no); });
    group.appendChild(el("span", { className: "pa-fb-label", text: "Was this helpful?" }));
    group.appendChild(yes);
    group.appendChild(no);
    return group;
  }

  function renderCustom(custom, opts, turnId) {
    var kind = custom.kind;
    var safety = SAFETY_KINDS[kind] === true;
    var body = [];
    if (safety) {
      var card = el("section", {
        className: "pa-safety pa-safety-" + kind, "aria-label": "Important safety information"
      }, paragraphs(custom.text, "pa-safety-text"));
      var extra = typeof opts.safetyExtra === "function" ? opts.safetyExtra(custom) : opts.safetyExtra;
      (extra || []).forEach(function (line) {
        if (line && String(custom.text || "").indexOf(line) === -1) {
          card.appendChild(el("p", { className: "pa-safety-extra", text: line }));
        }
      });
      body.push(card);
    } else {
      body = body.concat(paragraphs(custom.text, "pa-text"));
    }
    body.push(excerptList(custom.excerpts, turnId));
    body.push(sourceList(custom.sources, turnId, opts));
    if (custom.disclaimer) body.push(el("p", { className: "pa-disclaimer", text: custom.disclaimer }));
    if (kind === "answer" && !opts.noFeedback) body.push(feedbackButtons(opts));
    body.push(suggestionButtons(custom.suggestions, opts));
    return body;
  }

  function renderPlain(messages, opts) {
    var body = [];
    messages.forEach(function (m) {
      if (m && typeof m.text === "string") body = body.concat(paragraphs(m.text, "pa-text"));
      if (m && Array.isArray(m.buttons)) body.push(suggestionButtons(m.buttons, opts));
    });
    return body;
  }

  /* One bot turn as an element; opts: {onSend(payload, shownText), safetyExtra: [lines] or
   * function(custom) -> [lines] (added to safety cards),
   * noFeedback, plainSources (show addresses as text instead of links: kiosk)}. */
  function renderBotTurn(messages, opts) {
    turnCounter += 1;
    var turnId = (opts.idPrefix || "pa") + "-t" + turnCounter;
    var custom = findCustom(messages || []);
    var kind = custom ? custom.kind : "plain";
    var children = custom ? renderCustom(custom, opts, turnId) : renderPlain(messages || [], opts);
    return el("div", { className: "pa-turn pa-bot pa-kind-" + kind, "data-kind": kind },
      [el("span", { className: "pa-sr", text: "Assistant: " })].concat(children));
  }

  function renderUserTurn(text) {
    return el("div", { className: "pa-turn pa-user" }, [
      el("span", { className: "pa-sr", text: "You: " }),
      el("p", { className: "pa-text", text: text })
    ]);
  }

  function renderNotice(text) {
    return el("div", { className: "pa-turn pa-notice" }, [el("p", { text: text })]);
  }

  /* Disable every earlier suggestion group so only the latest turn offers choices. */
  function retireSuggestions(log) {
    Array.prototype.forEach.call(log.querySelectorAll(".pa-suggestions"), function (group) {
      group.classList.add("pa-retired");
    });
  }

  window.PainChat = {
    newConversationId: newConversationId,
    el: el,
    httpsUrl: httpsUrl,
    parseColor: parseColor,
    contrastRatio: contrastRatio,
    accessibleAccent: accessibleAccent,
    Client: Client,
    findCustom: findCustom,
    renderBotTurn: renderBotTurn,
    renderUserTurn: renderUserTurn,
    renderNotice: renderNotice,
    retireSuggestions: retireSuggestions
  };
})();
