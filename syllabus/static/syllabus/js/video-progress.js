/* Video lessons: report what the learner watched so the server can complete the lesson.
   Played stretches are collected as [start, end] ranges (seeking starts a new one) and
   sent every 15 seconds, on pause, at the end, and when the page is hidden. The server
   merges them, caps them to the video and decides when the lesson is complete; this
   script only reports. It also resumes the video where the learner stopped. */
(function () {
  "use strict";

  var SEND_EVERY_MS = 15000;
  var MAX_STEP_SECONDS = 2; // a bigger jump between two time updates is a seek

  function start(video) {
    var url = video.dataset.progressUrl;
    if (!url) { return; } // staff preview: nothing is recorded
    var csrf = video.dataset.csrf || "";
    var status = document.getElementById("learn-video-status");
    var pending = [];
    var current = null;
    var lastTime = null;
    var sending = false;
    var again = false; // a report was asked for while one was in flight

    function duration() {
      var known = parseFloat(video.dataset.duration);
      if (known > 0) { return known; }
      return isFinite(video.duration) && video.duration > 0 ? video.duration : null;
    }

    function closeRange() {
      if (current && current[1] > current[0]) { pending.push(current); }
      current = null;
    }

    function payload() {
      closeRange();
      var body = { ranges: pending.slice(0, 100), position: video.currentTime || 0 };
      var length = duration();
      if (length) { body.duration = length; }
      return body;
    }

    function show(data) {
      if (!status || !data) { return; }
      if (data.completed) {
        // Texts: translated by the template into data-text-* on the status (English if missing).
        status.textContent = status.dataset.textComplete || "You have watched this video: the lesson is complete.";
        var state = document.getElementById("learn-state-" + data.lesson);
        if (state) { state.textContent = status.dataset.textCompleted || "Completed"; }
        var bar = document.getElementById("learn-course-progress-bar");
        if (bar && typeof data.course_percent === "number") {
          bar.value = data.course_percent;
          bar.textContent = data.course_percent + "%";
          var text = bar.nextElementSibling;
          if (text) { text.textContent = text.textContent.replace(/^\d+%/, data.course_percent + "%"); }
        }
      } else if (typeof data.watched_percent === "number") {
        status.textContent = (status.dataset.textWatched || "Watched {percent}% of this video.")
          .replace("{percent}", String(Math.floor(data.watched_percent)));
      }
    }

    function send(keepalive) {
      if (sending && !keepalive) { again = true; return; } // sent when the current one ends
      var body = payload();
      if (!body.ranges.length && (!keepalive || !video.currentTime)) { return; }
      pending = pending.slice(body.ranges.length);
      sending = true;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!keepalive,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      }).then(show).catch(function () {
        pending = body.ranges.concat(pending).slice(0, 100); // try again with the next report
      }).then(function () {
        sending = false;
        if (again) { again = false; send(false); } // e.g. a pause during the periodic report
      });
    }

    video.addEventListener("loadedmetadata", function () {
      var position = parseFloat(video.dataset.position) || 0;
      var length = duration();
      if (position > 0 && (!length || position < length - 5)) { video.currentTime = position; }
    }, { once: true });

    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (video.seeking) { lastTime = now; return; }
      if (lastTime !== null && now >= lastTime && now - lastTime <= MAX_STEP_SECONDS * Math.max(1, video.playbackRate || 1)) {
        if (!current) { current = [lastTime, now]; } else { current[1] = now; }
      } else {
        closeRange();
      }
      lastTime = now;
    });
    video.addEventListener("seeking", function () { closeRange(); lastTime = video.currentTime; });
    video.addEventListener("play", function () { lastTime = video.currentTime; });
    video.addEventListener("pause", function () { send(false); });
    video.addEventListener("ended", function () { send(false); });
    window.setInterval(function () { if (!video.paused) { send(false); } }, SEND_EVERY_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { send(true); }
    });
    window.addEventListener("pagehide", function () { send(true); });
  }

  function init() {
    var videos = document.querySelectorAll("video[data-progress-url]");
    for (var i = 0; i < videos.length; i++) { start(videos[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
