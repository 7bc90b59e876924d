// Session timeout warning (WCAG 2.2.1 Timing Adjustable): two minutes before the idle
// timeout ends the session, a dialog says so and offers "Stay signed in", which asks the
// server to extend the session. The server enforces the limits; this only warns.
//
// Timings come from <meta name="syllabus-session" data-...> (seconds left, as the server
// counts them), so no inline script is needed under the CSP; so do the texts
// (data-text-*, translated by the template into the page's language, {name} placeholders). Tabs of the same site tell
// each other when the session was extended (localStorage), so a second tab does not warn
// about a session the first one kept alive.
(() => {
  "use strict";

  const meta = document.querySelector('meta[name="syllabus-session"]');
  if (!meta) return;

  const cfg = {
    idle: Number(meta.dataset.idleSeconds),
    absolute: Number(meta.dataset.absoluteSeconds),
    warn: Number(meta.dataset.warnSeconds) || 120,
    idleMinutes: meta.dataset.idleMinutes,
    keepaliveUrl: meta.dataset.keepaliveUrl,
    statusUrl: meta.dataset.statusUrl,
    logoutUrl: meta.dataset.logoutUrl,
  };
  if (!Number.isFinite(cfg.idle) || !Number.isFinite(cfg.absolute)) return;

  // The page's language; English when a template left a text out.
  const TEXTS = {
    title: "Are you still there?",
    timeLeft: "Time left:",
    stay: "Stay signed in",
    signOut: "Sign out now",
    ok: "OK",
    absolute: "Your session reaches its time limit in {time}. Save your work: you will need to sign in again.",
    idle: "You have not done anything for a while. To protect your account you will be signed out in {time}, after {minutes} minutes without activity.",
    minutes: "{count} minutes",
    oneMinute: "1 minute",
    seconds: "{count} seconds",
    unreachable: "The server could not be reached. Check your connection and try again.",
  };
  function text(name, values) {
    const key = "text" + name.charAt(0).toUpperCase() + name.slice(1);
    const template = meta.dataset[key] || TEXTS[name];
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in (values || {}) ? String(values[key]) : whole));
  }

  const STORAGE_KEY = "syllabus.session.deadlines";
  let idleEnd = Date.now() + cfg.idle * 1000;
  let absoluteEnd = Date.now() + cfg.absolute * 1000;
  let warnTimer = null;
  let endTimer = null;
  let tick = null;
  let dialog = null;
  let returnFocusTo = null;

  function csrfToken() {
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (error) {
      // fall through to the cookie
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function formatRemaining(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const minutes = Math.floor(total / 60);
    const seconds = String(total % 60).padStart(2, "0");
    return `${minutes}:${seconds}`;
  }

  function describeRemaining(ms) {
    const total = Math.max(0, Math.round(ms / 1000));
    if (total >= 90) return text("minutes", { count: Math.round(total / 60) });
    if (total >= 60) return text("oneMinute");
    return text("seconds", { count: total });
  }

  function buildDialog() {
    const element = document.createElement("dialog");
    element.className = "session-dialog";
    element.setAttribute("role", "alertdialog");
    element.setAttribute("aria-modal", "true");
    element.setAttribute("aria-labelledby", "session-dialog-title");
    element.setAttribute("aria-describedby", "session-dialog-message");
    element.innerHTML = `
      <h2 id="session-dialog-title"></h2>
      <p id="session-dialog-message"></p>
      <p class="session-dialog-timer"><span data-session-time-left></span> <span role="timer" aria-live="off" data-session-countdown></span></p>
      <p class="session-dialog-error" role="alert" hidden></p>
      <div class="session-dialog-actions">
        <button type="button" data-session-stay></button>
        <button type="button" class="secondary" data-session-signout></button>
        <button type="button" data-session-ok hidden></button>
      </div>`;
    // Texts go in as text, never as markup.
    element.querySelector("#session-dialog-title").textContent = text("title");
    element.querySelector("[data-session-time-left]").textContent = text("timeLeft");
    element.querySelector("[data-session-stay]").textContent = text("stay");
    element.querySelector("[data-session-signout]").textContent = text("signOut");
    element.querySelector("[data-session-ok]").textContent = text("ok");
    element.querySelector("[data-session-stay]").addEventListener("click", stay);
    element.querySelector("[data-session-signout]").addEventListener("click", signOut);
    element.querySelector("[data-session-ok]").addEventListener("click", closeDialog);
    // Escape must not silently leave the user to be signed out: it means "stay".
    element.addEventListener("cancel", (event) => {
      event.preventDefault();
      if (element.dataset.mode === "absolute") closeDialog();
      else stay();
    });
    document.body.appendChild(element);
    return element;
  }

  function showDialog() {
    dialog = dialog || buildDialog();
    const end = Math.min(idleEnd, absoluteEnd);
    const absolute = absoluteEnd <= idleEnd;
    dialog.dataset.mode = absolute ? "absolute" : "idle";
    const message = dialog.querySelector("#session-dialog-message");
    const time = describeRemaining(end - Date.now());
    message.textContent = absolute
      ? text("absolute", { time })
      : text("idle", { time, minutes: cfg.idleMinutes });
    dialog.querySelector("[data-session-stay]").hidden = absolute;
    dialog.querySelector("[data-session-signout]").hidden = absolute;
    dialog.querySelector("[data-session-ok]").hidden = !absolute;
    dialog.querySelector(".session-dialog-error").hidden = true;
    const countdown = dialog.querySelector("[data-session-countdown]");
    const update = () => {
      countdown.textContent = formatRemaining(Math.min(idleEnd, absoluteEnd) - Date.now());
    };
    update();
    clearInterval(tick);
    tick = setInterval(update, 1000);
    if (!dialog.open) {
      returnFocusTo = document.activeElement;
      dialog.showModal();
    }
    const first = absolute
      ? dialog.querySelector("[data-session-ok]")
      : dialog.querySelector("[data-session-stay]");
    first.focus();
  }

  function closeDialog() {
    clearInterval(tick);
    if (dialog && dialog.open) dialog.close();
    if (returnFocusTo && typeof returnFocusTo.focus === "function" && document.contains(returnFocusTo)) {
      returnFocusTo.focus();
    }
    returnFocusTo = null;
  }

  function setDeadlines(idleSeconds, absoluteSeconds, broadcast) {
    idleEnd = Date.now() + idleSeconds * 1000;
    absoluteEnd = Date.now() + absoluteSeconds * 1000;
    if (broadcast) {
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify({ idleEnd, absoluteEnd }));
      } catch (error) {
        // storage may be disabled; each tab then keeps its own timers
      }
    }
    schedule();
  }

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    const end = Math.min(idleEnd, absoluteEnd);
    const now = Date.now();
    warnTimer = setTimeout(showDialog, Math.max(0, end - cfg.warn * 1000 - now));
    endTimer = setTimeout(expire, Math.max(0, end - now));
  }

  async function stay() {
    const button = dialog.querySelector("[data-session-stay]");
    button.disabled = true;
    try {
      const response = await fetch(cfg.keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      if (response.status === 401) {
        reloadPage();
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      closeDialog();
      setDeadlines(data.idle_seconds, data.absolute_seconds, true);
    } catch (error) {
      const problem = dialog.querySelector(".session-dialog-error");
      problem.textContent = text("unreachable");
      problem.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function signOut() {
    const form = document.createElement("form");
    form.method = "post";
    form.action = cfg.logoutUrl;
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrfToken();
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  }

  function reloadPage() {
    // A GET of this page: the server signs the session out and shows the sign-in page.
    window.location.assign(window.location.pathname + window.location.search);
  }

  async function expire() {
    // Another window may have kept the session alive: ask before leaving the page.
    try {
      const response = await fetch(cfg.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        if (data.idle_seconds > 0 && data.absolute_seconds > 0) {
          closeDialog();
          setDeadlines(data.idle_seconds, data.absolute_seconds, false);
          return;
        }
      }
    } catch (error) {
      // offline: the page is reloaded below, and the server decides
    }
    reloadPage();
  }

  window.addEventListener("storage", (event) => {
    if (event.key !== STORAGE_KEY || !event.newValue) return;
    try {
      const shared = JSON.parse(event.newValue);
      if (shared.idleEnd > idleEnd) {
        idleEnd = shared.idleEnd;
        absoluteEnd = shared.absoluteEnd;
        closeDialog();
        schedule();
      }
    } catch (error) {
      // ignore malformed values
    }
  });

  // This page load itself was a request: tell other tabs the session was extended.
  setDeadlines(cfg.idle, cfg.absolute, true);
})();
