// The attempt page: the countdown (the server's remaining time, refreshed by every
// save), and the autosave status of each question ("Saved at 10:02:03", "Not saved —
// retrying" with growing delays). The server is authoritative: when time runs out it
// refuses answers and the page submits what was saved.
(() => {
  "use strict";
  const form = document.getElementById("quiz-attempt");
  if (!form) return;

  // The page's words, translated by the template (English when an attribute is missing).
  const text = (name, english) => form.dataset[name] || english;
  const left = document.getElementById("quiz-time-left");
  const alertBox = document.getElementById("quiz-time-alert");
  let deadline = null; // in performance.now() milliseconds
  let submitting = false;
  const announced = new Set();

  // The countdown sticks to the top of the window: the browser must scroll a focused
  // field below it, not under it (WCAG 2.4.11). quiz.css reserves a guess; this sets
  // the timer's real height, which changes with the window's width and the text size.
  const timer = document.querySelector(".quiz-timer");
  if (timer && "ResizeObserver" in window) {
    new ResizeObserver(() => {
      const room = Math.ceil(timer.getBoundingClientRect().height) + 16;
      document.documentElement.style.setProperty("--quiz-timer-room", `${room}px`);
    }).observe(timer);
  }

  const setRemaining = (seconds) => {
    if (seconds === "" || seconds === undefined || Number.isNaN(Number(seconds))) return;
    deadline = performance.now() + Number(seconds) * 1000;
  };

  const format = (seconds) => {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const mm = String(m).padStart(h ? 2 : 1, "0");
    return (h ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
  };

  const submitSaved = () => {
    if (submitting) return;
    submitting = true;
    const button = form.querySelector('button[value="submit"]');
    form.requestSubmit(button);
  };

  const tick = () => {
    if (deadline === null || !left) return;
    const exact = (deadline - performance.now()) / 1000;
    const seconds = Math.max(0, Math.ceil(exact));
    left.textContent = format(seconds);
    for (const mark of [300, 60]) {
      if (seconds <= mark && seconds > 0 && !announced.has(mark)) {
        announced.add(mark);
        alertBox.textContent =
          mark > 60
            ? text("textFiveMinutes", "5 minutes left.")
            : text("textOneMinute", "1 minute left.");
      }
    }
    if (seconds === 0) {
      alertBox.textContent = text(
        "textTimeUp",
        "Time is up: submitting the answers you saved.",
      );
      // A second past the server's deadline, so the server closes it as expired with
      // what was saved (its clock decides, not this page's).
      if (exact <= -1) submitSaved();
    }
  };

  if (left) {
    setRemaining(left.dataset.remaining);
    tick();
    window.setInterval(tick, 1000);
  }

  const retries = new Map();
  const statusOf = (fieldset) => fieldset.querySelector(".save-status");
  const isQuestion = (elt) => elt && elt.matches && elt.matches("fieldset.quiz-question");

  const retryLater = (fieldset) => {
    const count = (retries.get(fieldset.id) || 0) + 1;
    retries.set(fieldset.id, count);
    const delay = Math.min(30, 2 ** count);
    statusOf(fieldset).textContent = text(
      "textRetrying",
      "Not saved — retrying in {seconds} seconds.",
    ).replace("{seconds}", String(delay));
    window.setTimeout(() => window.htmx.trigger(fieldset, "quiz:retry"), delay * 1000);
  };

  const parse = (html) => new DOMParser().parseFromString(html, "text/html").body;

  document.body.addEventListener("htmx:afterRequest", (event) => {
    const fieldset = event.detail.elt;
    if (!isQuestion(fieldset)) return;
    const xhr = event.detail.xhr;
    if (event.detail.successful) {
      retries.delete(fieldset.id);
      const saved = statusOf(fieldset).querySelector("[data-remaining]");
      if (saved) setRemaining(saved.dataset.remaining);
      return;
    }
    if (!xhr || xhr.status === 0) return; // network errors: htmx:sendError below
    if (xhr.status >= 500 || xhr.status === 429) {
      retryLater(fieldset);
      return;
    }
    const body = parse(xhr.responseText || "");
    const state = body.querySelector("[data-state]")?.dataset.state || "";
    statusOf(fieldset).textContent =
      body.textContent.trim() || text("textNotSaved", "Not saved.");
    if (state === "time_over") submitSaved();
    else if (state === "attempt_submitted") window.location.assign(form.dataset.resultUrl);
    else if (xhr.status === 403 || xhr.status === 401) {
      statusOf(fieldset).textContent = text(
        "textSessionEnded",
        "Not saved: your session ended. Sign in again, then reload this page.",
      );
    }
  });

  for (const name of ["htmx:sendError", "htmx:timeout"]) {
    document.body.addEventListener(name, (event) => {
      if (isQuestion(event.detail.elt)) retryLater(event.detail.elt);
    });
  }

  // Answers given while offline are sent again once the connection is back.
  window.addEventListener("online", () => {
    for (const id of retries.keys()) {
      const fieldset = document.getElementById(id);
      if (fieldset) window.htmx.trigger(fieldset, "quiz:retry");
    }
  });
})();
