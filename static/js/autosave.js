// Quarter report entry: save the draft on the server while the user types, keep
// a copy in this browser until the server has it, offer it back after a crash.
// User-visible strings come from data attributes rendered (translated) by the template.
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const url = form.dataset.autosaveUrl;
  const backupKey = form.dataset.backupKey;
  const status = document.getElementById("autosave-status");
  const narrative = form.querySelector("[name=narrative]");
  const result = form.querySelector("[name=result]");
  const version = form.querySelector("[name=version]");
  // The narrative's one hint (its help text) becomes the live count once text is typed.
  const counter = narrative && document.getElementById(narrative.id + "_helptext");
  const hint = counter ? counter.textContent : "";
  const IDLE_MS = 3000;
  let timer = null;
  let dirty = false;
  let inFlight = false;
  let pendingSubmitter = null;

  function say(text, tone) {
    status.textContent = text;
    status.classList.toggle("text-danger", tone === "error");
    status.classList.toggle("text-success", tone === "ok");
    status.classList.toggle("text-muted", !tone);
  }

  function countCharacters() {
    if (!counter) return;
    const max = narrative.maxLength;
    if (!narrative.value.length) {
      counter.textContent = hint;
      counter.classList.remove("text-danger");
      return;
    }
    counter.textContent = status.dataset.count
      .replace("%(count)s", narrative.value.length.toLocaleString())
      .replace("%(max)s", max.toLocaleString());
    counter.classList.toggle("text-danger", narrative.value.length > max);
  }

  function backup() {
    try {
      localStorage.setItem(backupKey, JSON.stringify({
        narrative: narrative ? narrative.value : "",
        result: result ? result.value : "",
        at: new Date().toISOString(),
      }));
    } catch (e) { /* storage full or disabled: the server copy still counts */ }
  }

  function dropBackup() {
    try { localStorage.removeItem(backupKey); } catch (e) { /* ignore */ }
  }

  function save() {
    clearTimeout(timer);
    if (!url || !dirty || inFlight) return;
    inFlight = true;
    dirty = false;
    say(status.dataset.saving);
    const body = new FormData();
    body.append("narrative", narrative ? narrative.value : "");
    body.append("result", result ? result.value : "");
    body.append("version", version.value);
    fetch(url, {
      method: "POST",
      body: body,
      headers: {
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
        "Accept": "application/json",
      },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      if (answer.ok) {
        version.value = answer.data.version;
        say(answer.data.message, "ok");
        if (!dirty) dropBackup();
      } else {
        dirty = true;
        say(answer.data.message, "error");
      }
    }).catch(function () {
      dirty = true;
      say(status.dataset.offline, "error");
    }).finally(function () {
      inFlight = false;
      if (pendingSubmitter) {
        // The user pressed Save or Submit while this autosave was on its way:
        // send the form now, with the version the autosave produced.
        const submitter = pendingSubmitter;
        pendingSubmitter = null;
        form.requestSubmit(submitter);
      }
    });
  }

  function changed() {
    dirty = true;
    backup();
    countCharacters();
    clearTimeout(timer);
    timer = setTimeout(save, IDLE_MS);
  }

  function offerBackup() {
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(backupKey) || "null"); } catch (e) { saved = null; }
    if (!saved) return;
    const same = (!narrative || saved.narrative === narrative.value) && (!result || saved.result === result.value);
    if (same) { dropBackup(); return; }
    const prompt = document.getElementById("restore-prompt");
    prompt.textContent = status.dataset.restore + " (" + new Date(saved.at).toLocaleString() + ") ";
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "btn btn-sm btn-primary ms-2";
    yes.textContent = status.dataset.restoreYes;
    yes.addEventListener("click", function () {
      if (narrative) narrative.value = saved.narrative;
      if (result) result.value = saved.result;
      prompt.classList.add("d-none");
      changed();
    });
    const no = document.createElement("button");
    no.type = "button";
    no.className = "btn btn-sm btn-outline-secondary ms-2";
    no.textContent = status.dataset.restoreNo;
    no.addEventListener("click", function () {
      dropBackup();
      prompt.classList.add("d-none");
    });
    prompt.append(yes, no);
    prompt.classList.remove("d-none");
  }

  [narrative, result].forEach(function (field) {
    if (!field) return;
    field.addEventListener("input", changed);
    field.addEventListener("blur", save);
  });
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (inFlight) {
      // Leaving the text field (to click the button) started an autosave:
      // submitting now would race it and meet a version conflict with ourselves.
      event.preventDefault();
      pendingSubmitter = event.submitter || form.querySelector("button[name=save]");
      return;
    }
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      save();
      event.preventDefault();
      event.returnValue = status.dataset.unsaved;
    }
  });
  countCharacters();
  // A page shown after a failed save already holds the user's text: keep it.
  if (form.querySelector(".is-invalid") === null) offerBackup();
})();
