/*
 * Session expiry warning for signed-in pages (included from templates/base.html).
 *
 * The server ends a session after <body data-session-idle-seconds> seconds without
 * a request (SESSION_COOKIE_AGE, renewed by every request). This script counts the
 * same time from the page load and, data-session-warning-seconds before the end,
 * shows #session-timeout-warning; its "stay signed in" button POSTs to the
 * keep-alive URL (data-keepalive-url, answers 204), which renews the session.
 *
 * Every text shown comes from the template (translated there): the script only
 * shows and hides the elements marked data-session-state="warning|expired|error".
 * Tabs share their last request time through localStorage, so a page loaded in
 * another tab also pushes the warning back here.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "kpiPortal.sessionLastRequest";
  var CHECK_EVERY_MS = 1000;

  var body = document.body;
  var box = document.getElementById("session-timeout-warning");
  var idleSeconds = parseInt(body.getAttribute("data-session-idle-seconds"), 10);
  if (!box || !(idleSeconds > 0)) {
    return;
  }
  var warningSeconds = parseInt(body.getAttribute("data-session-warning-seconds"), 10);
  if (!(warningSeconds >= 0)) {
    warningSeconds = 120;
  }
  var keepaliveUrl = box.getAttribute("data-keepalive-url");
  var stayButton = box.querySelector('[data-session-action="stay"]');
  var dismissButton = box.querySelector('[data-session-action="dismiss"]');

  // "active": nothing shown; "warning"/"error": the box is up before expiry;
  // "dismissed": closed before expiry; "expired": the session is over.
  var state = "active";
  var lastRequest = Date.now();

  function readShared() {
    try {
      return parseInt(window.localStorage.getItem(STORAGE_KEY), 10) || 0;
    } catch (error) {
      return 0;
    }
  }

  function writeShared(time) {
    try {
      if (readShared() < time) {
        window.localStorage.setItem(STORAGE_KEY, String(time));
      }
    } catch (error) {
      // Storage disabled: each tab then counts on its own.
    }
  }

  function show(newState) {
    state = newState;
    var parts = box.querySelectorAll("[data-session-state]");
    for (var i = 0; i < parts.length; i += 1) {
      var states = parts[i].getAttribute("data-session-state").split(" ");
      parts[i].hidden = states.indexOf(newState) === -1;
    }
    box.hidden = false;
  }

  function hide(newState) {
    state = newState;
    box.hidden = true;
  }

  function check() {
    var shared = readShared();
    if (shared > lastRequest) {
      // Another tab made a request since: the session was renewed.
      lastRequest = shared;
      if (state !== "active") {
        hide("active");
      }
    }
    var elapsed = (Date.now() - lastRequest) / 1000;
    if (elapsed >= idleSeconds) {
      if (state !== "expired" && state !== "closed") {
        show("expired");
      }
    } else if (elapsed >= idleSeconds - warningSeconds && state === "active") {
      show("warning");
    }
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function stay() {
    stayButton.disabled = true;
    fetch(keepaliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      cache: "no-store",
      // Signed out already: the server redirects to the sign-in page.
      redirect: "manual",
    })
      .then(function (response) {
        if (response.status === 204) {
          lastRequest = Date.now();
          writeShared(lastRequest);
          hide("active");
        } else if (response.type === "opaqueredirect" || response.status === 401) {
          show("expired");
        } else {
          show("error");
        }
      })
      .catch(function () {
        show("error");
      })
      .then(function () {
        stayButton.disabled = false;
      });
  }

  stayButton.addEventListener("click", stay);
  dismissButton.addEventListener("click", function () {
    hide(state === "expired" ? "closed" : "dismissed");
  });
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY) {
      check();
    }
  });
  document.addEventListener("visibilitychange", check);

  writeShared(lastRequest);
  window.setInterval(check, CHECK_EVERY_MS);
})();
