// The media page (templates/media.html). Every change goes through the API the page's server
// code asked about, with the browser's session cookie and the page's CSRF token
// (<meta name="csrf-token">) as X-CSRF-Token: no access token reaches the page, and the API
// decides again whether the change is allowed. After a change the page fetches itself and
// swaps in the sections that changed (server-rendered, so nothing here re-implements how a
// track is shown), without a reload.
const POLL_MS = 2000;
const root = document.getElementById("media-page");
const pagePath = root ? root.dataset.pagePath : "";
const NOW = { processing: "is being processed", ready: "is ready", failed: "could not be processed" };

function csrfHeaders(extra = {}) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta && meta.content ? { ...extra, "X-CSRF-Token": meta.content } : extra;
}

function announce(text) {
  const status = document.getElementById("page-status");
  if (status) status.textContent = text;
}

// The API's error envelopes, as lines a person can read: Canvas's {"errors": [...]} (with the
// caption problems' line and cue), {"message": ...} and {"error": ...}.
const FIELD_NAMES = { locale: "Language", kind: "Kind", content: "The file", user_entered_title: "Title" };

async function problems(response) {
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  const lines = [];
  if (body && Array.isArray(body.errors)) {
    for (const error of body.errors) {
      if (!error || !error.message) continue;
      let text = error.message;
      // Caption problems name their place themselves ("line 2, cue 1: ..."); others may not.
      const where = [];
      if (error.line && !/^line \d/.test(text)) where.push(`line ${error.line}`);
      if (error.cue && !/^line \d/.test(text)) where.push(`cue ${error.cue}`);
      // Canvas's field messages read after the field's name ("locale": "is invalid; ...").
      if (error.field && /^[a-z]/.test(text) && !/^line \d/.test(text)) {
        text = `${FIELD_NAMES[error.field] || error.field} ${text}`;
      }
      lines.push(where.length ? `${where.join(", ")}: ${text}` : text);
    }
  } else if (body && (body.message || body.error)) {
    lines.push(body.message || body.error);
  }
  if (!lines.length) lines.push(`The request failed (${response.status}).`);
  return lines;
}

function showProblems(box, heading, lines) {
  box.replaceChildren();
  const intro = document.createElement("p");
  intro.textContent = heading;
  const list = document.createElement("ul");
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    list.append(item);
  }
  box.append(intro, list);
  box.hidden = false;
}

function clearProblems(box) {
  if (!box) return;
  box.hidden = true;
  box.replaceChildren();
}

// Controls given their listeners already (sections swapped in bring new ones).
const enhanced = new WeakSet();
function firstTime(node) {
  if (enhanced.has(node)) return false;
  enhanced.add(node);
  return true;
}

const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

// Where the focus is in a section, in terms that survive the section being rendered again: the
// element's id, or its track, its kind of control and its position among those.
function focusKey(section, element) {
  if (element.id) return { id: element.id };
  const item = element.closest("li[data-track-id]");
  const scope = item && section.contains(item) ? item : section;
  const alike = Array.from(scope.querySelectorAll(FOCUSABLE))
    .filter((node) => node.tagName === element.tagName && node.className === element.className);
  return {
    track: item ? item.dataset.trackId : null, tag: element.tagName,
    className: element.className, index: alike.indexOf(element),
  };
}

function findKey(section, key) {
  if (key.id) return document.getElementById(key.id);
  const scope = key.track ? section.querySelector(`li[data-track-id="${key.track}"]`) : section;
  if (!scope) return section.querySelector("[tabindex]");
  const alike = Array.from(scope.querySelectorAll(FOCUSABLE))
    .filter((node) => node.tagName === key.tag && node.className === key.className);
  return alike[key.index] || scope.querySelector(FOCUSABLE);
}

// Fetches this page again and replaces the sections with these ids by their new version,
// keeping what a person was doing there: the focused control (by its position in the
// section) and the download lists they had opened. Unchanged sections stay as they are.
async function refresh(ids) {
  const response = await fetch(pagePath, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const id of ids) {
    const old = document.getElementById(id);
    const replacement = fresh.getElementById(id);
    if (!old || !replacement) continue;
    const opened = Array.from(old.querySelectorAll("details[open]"), (d) => d.closest("li[data-track-id]"))
      .filter(Boolean).map((item) => item.dataset.trackId);
    for (const trackId of opened) {
      replacement.querySelector(`li[data-track-id="${trackId}"] details`)?.setAttribute("open", "");
    }
    if (old.outerHTML === replacement.outerHTML) continue;
    const focused = old.contains(document.activeElement) ? focusKey(old, document.activeElement) : null;
    const node = document.adoptNode(replacement);
    old.replaceWith(node);
    if (focused) findKey(node, focused)?.focus();
  }
  const freshRoot = fresh.getElementById("media-page");
  if (freshRoot && root) {
    root.dataset.state = freshRoot.dataset.state;
    root.dataset.autoCaptionStatus = freshRoot.dataset.autoCaptionStatus;
  }
  enhance();
}

// The media info JSON; null when it cannot be had now, "gone" when it will not come back
// (signed out, access removed, media deleted): then the page stops asking.
async function info() {
  const response = await fetch(`/media_objects/${encodeURIComponent(root.dataset.mediaId)}/info`, {
    credentials: "same-origin", headers: { Accept: "application/json" },
  });
  if (response.status >= 400 && response.status < 500) return "gone";
  return response.ok ? response.json() : null;
}

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

// ---- processing: follow the media until it is ready or failed -----------------------------

async function followProcessing() {
  while (root.dataset.state === "pending" || root.dataset.state === "processing") {
    await sleep(POLL_MS);
    const now = await info();
    if (now === "gone") return;
    if (now && now.processing_state !== root.dataset.state) {
      await refresh(["player-box", "details", "renditions", "auto-captions"]);
      announce(`The media ${NOW[now.processing_state] || now.processing_state}.`);
    }
  }
}

// ---- automatic captions: follow a request until its track is made ---------------------------

let followingAsr = false;
async function followAutoCaptions() {
  if (followingAsr) return;
  followingAsr = true;
  try {
    for (;;) {
      const tracks = document.querySelectorAll('#tracks li.track[data-state="processing"]');
      if (!tracks.length && root.dataset.autoCaptionStatus !== "processing") return;
      await sleep(POLL_MS);
      await refresh(["tracks", "asr-status"]);
      const still = document.querySelectorAll('#tracks li.track[data-state="processing"]').length;
      if (!still && root.dataset.autoCaptionStatus !== "processing") {
        announce("Automatic captions are done.");
        return;
      }
    }
  } finally {
    followingAsr = false;
  }
}

// ---- title --------------------------------------------------------------------------------

function enhanceTitle(form) {
  const input = document.getElementById("title-input");
  const error = document.getElementById("title-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = new URLSearchParams({ user_entered_title: input.value });
    const response = await fetch(form.dataset.apiPath, {
      method: "PUT", body, credentials: "same-origin", headers: csrfHeaders(),
    });
    if (!response.ok) {
      error.textContent = (await problems(response)).join(" ");
      error.hidden = false;
      return;
    }
    const media = await response.json();
    document.getElementById("media-title").textContent = media.title;
    document.title = `${media.title} · mediaobjects`;
    await refresh(["embed", "player-box"]);
    announce("Title saved.");
  });
}

// ---- tracks: delete -----------------------------------------------------------------------

function enhanceTracks() {
  for (const button of document.querySelectorAll("#tracks button.delete-track")) {
    if (!firstTime(button)) continue;
    button.addEventListener("click", async () => {
      const label = button.dataset.label;
      if (!window.confirm(`Delete the ${label} captions?`)) return;
      const response = await fetch(`${pagePath}/media_tracks/${button.dataset.trackId}`, {
        method: "DELETE", credentials: "same-origin", headers: csrfHeaders({ Accept: "application/json" }),
      });
      if (!response.ok) {
        announce(`Could not delete the ${label} captions: ${(await problems(response)).join(" ")}`);
        return;
      }
      await refresh(["tracks"]);
      document.getElementById("tracks-heading").focus();
      announce(`The ${label} captions were deleted.`);
    });
  }
}

// ---- the locale pickers: a typed language name becomes its tag -----------------------------

let tagsByName = null;

// The tag of a language name typed in full ("french" -> "fr", "French (Canada)" -> "fr-CA");
// anything else is left as typed, for the API to accept or explain.
function useTag(input) {
  if (!tagsByName) {
    tagsByName = new Map();
    const list = document.getElementById("locale-options");
    for (const option of list ? list.options : []) {
      const name = option.textContent.replace(/\s*\([^()]*\)\s*$/, "").trim().toLowerCase();
      if (!tagsByName.has(name)) tagsByName.set(name, option.value);
    }
  }
  const tag = tagsByName.get(input.value.trim().toLowerCase());
  if (tag) input.value = tag;
}

function enhanceLocalePickers() {
  for (const input of document.querySelectorAll('input[list="locale-options"]')) {
    if (!firstTime(input)) continue;
    input.addEventListener("change", () => useTag(input));
    // Enter in the field submits at once: the name becomes its tag before the form is read.
    const form = input.form;
    if (form) form.addEventListener("submit", () => useTag(input), { capture: true });
  }
}

function existingTrack(locale) {
  const wanted = locale.trim().toLowerCase();
  for (const item of document.querySelectorAll("#tracks li.track")) {
    if (item.dataset.locale.toLowerCase() === wanted) return item;
  }
  return null;
}

// ---- upload -------------------------------------------------------------------------------

function enhanceUpload(form) {
  const box = document.getElementById("upload-errors");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(box);
    const locale = document.getElementById("upload-locale").value.trim();
    const present = existingTrack(locale);
    if (present) {
      const name = present.querySelector(".track-title").textContent.trim();
      const ok = window.confirm(
        `There are already ${name} captions. Replace them with this file? The current captions stay in the track's versions.`,
      );
      if (!ok) return;
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: csrfHeaders({ Accept: "application/json" }),
      });
      if (!response.ok) {
        showProblems(box, "The captions were not saved:", await problems(response));
        return;
      }
      const file = document.getElementById("upload-file").files[0];
      form.reset();
      await refresh(["tracks"]);
      announce(`${file ? file.name : "The captions"} ${present ? "replaced the" : "added as"} ${locale} captions.`);
    } finally {
      button.disabled = false;
    }
  });
}

// ---- automatic captions -------------------------------------------------------------------

function enhanceAsr(form) {
  if (!firstTime(form)) return;
  const box = document.getElementById("asr-errors");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(box);
    const locale = document.getElementById("asr-locale").value.trim();
    const response = await fetch(form.dataset.apiPath, {
      method: "POST",
      body: JSON.stringify(locale ? { locale } : {}),
      credentials: "same-origin",
      headers: csrfHeaders({ "Content-Type": "application/json", Accept: "application/json" }),
    });
    if (!response.ok) {
      showProblems(box, "Automatic captions were not requested:", await problems(response));
      return;
    }
    await refresh(["tracks", "asr-status"]);
    announce("Automatic captions requested; this page updates when they are ready.");
    followAutoCaptions();
  });
}

// ---- embed code ---------------------------------------------------------------------------

function enhanceEmbed(button) {
  if (!firstTime(button)) return;
  const status = document.getElementById("copy-status");
  button.addEventListener("click", async () => {
    const code = document.getElementById("embed-code");
    try {
      await navigator.clipboard.writeText(code.value);
    } catch (_) {
      code.select();
      if (!document.execCommand("copy")) {
        status.textContent = "Select the code and copy it (Ctrl+C).";
        return;
      }
    }
    status.textContent = "Copied.";
  });
}

// What swapped-in sections need again (each enhancer skips what it already did).
function enhance() {
  enhanceTracks();
  const asr = document.getElementById("asr-form");
  if (asr) enhanceAsr(asr);
  enhanceLocalePickers();
  const copy = document.getElementById("copy-embed");
  if (copy) enhanceEmbed(copy);
}

if (root) {
  const title = document.getElementById("title-form");
  if (title) enhanceTitle(title);
  const upload = document.getElementById("upload-form");
  if (upload) enhanceUpload(upload);
  enhance();
  followProcessing();
  followAutoCaptions();
  document.documentElement.dataset.mediaPage = "ready";
}
