// Upload on a library page, through the API's Canvas flow: step one asks the API for an upload
// URL (POST .../files with name, size and content type), step two sends the bytes there with a
// progress bar; the new media then appears in the list (a link to its media page) and its state
// follows the media info JSON (GET /media_objects/:id/info) until it is ready or failed, without
// a reload; once ready the card gains the thumbnail and duration that JSON then carries.
// The API calls carry the browser's session cookie and, for the POST, the page's CSRF token
// (<meta name="csrf-token">) as X-CSRF-Token: no access token ever reaches the page. The LTI
// deep-link picker, framed by an LMS where no cookie of ours can be counted on, gives its
// launch's short-lived picker token instead (<meta name="lti-picker-token">, sent as
// X-LTI-Picker-Token), its own step-one path, and the path that follows a media
// (data-info-path, "{media_id}" standing for the id); it makes the new card choosable when it
// hears "media-uploaded", and follows "media-state" (both dispatched on the card).
const POLL_MS = 2000;
const STATES = { pending: "Waiting", processing: "Processing", ready: "Ready", failed: "Failed" };
const INFO_PATH = "/media_objects/{media_id}/info";

function authHeaders() {
  const picker = document.querySelector('meta[name="lti-picker-token"]');
  if (picker && picker.content) return { "X-LTI-Picker-Token": picker.content };
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta && meta.content ? { "X-CSRF-Token": meta.content } : {};
}

function announce(card, name, detail) {
  card.dispatchEvent(new CustomEvent(name, { bubbles: true, detail }));
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function fact(list, term, value) {
  const row = element("div");
  row.append(element("dt", {}, term));
  const dd = element("dd");
  if (value instanceof Node) dd.append(value); else dd.textContent = value;
  row.append(dd);
  list.append(row);
}

// A card shaped as the server renders them (templates/_media.html).
function newCard(mediaId, title) {
  const card = element("li", { class: "card", "data-media-id": mediaId, "data-state": "pending" });
  const thumb = element("div", { class: "thumb" });
  thumb.append(element("span", { class: "no-thumb", "aria-hidden": "true" }, "▶"));
  const body = element("div", { class: "card-body" });
  const heading = element("h2", { class: "card-title" });
  heading.append(element("a", { href: `/media_objects/${encodeURIComponent(mediaId)}` }, title));
  const facts = element("dl", { class: "facts" });
  fact(facts, "Duration", "—");
  fact(facts, "State", element("span", { class: "state state-pending" }, STATES.pending));
  fact(facts, "Added", new Date().toISOString().slice(0, 10));
  fact(facts, "Captions", "None");
  body.append(heading, facts);
  card.append(thumb, body);
  return card;
}

function countOneMore() {
  const count = document.getElementById("result-count");
  const match = count && count.textContent.match(/^(\d+) items?(.*)$/s);
  if (match) {
    const n = Number(match[1]) + 1;
    count.textContent = `${n} ${n === 1 ? "item" : "items"}${match[2]}`;
  }
}

// The duration as the server writes it (pages.duration_text): 2:03, or 1:02:03.
function durationText(seconds) {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

function showFacts(card, info) {
  if (typeof info.duration === "number") {
    const term = Array.from(card.querySelectorAll(".facts dt")).find((dt) => dt.textContent === "Duration");
    if (term) term.nextElementSibling.textContent = durationText(info.duration);
  }
  if (info.thumbnail_url && !card.querySelector(".thumb img")) {
    // The card's size, as the server's cards ask for it.
    const url = new URL(info.thumbnail_url, location.href);
    url.searchParams.set("width", "320");
    url.searchParams.set("height", "180");
    const img = element("img", { src: url.href, alt: "", width: "320", height: "180" });
    card.querySelector(".thumb").replaceChildren(img);
  }
}

function showState(card, state) {
  card.dataset.state = state;
  const span = card.querySelector(".state");
  span.className = `state state-${state}`;
  span.textContent = STATES[state] || state;
  announce(card, "media-state", { state });
}

async function follow(card, mediaId, infoPath) {
  for (;;) {
    const response = await fetch(infoPath.replace("{media_id}", encodeURIComponent(mediaId)), {
      credentials: "same-origin",
      headers: { Accept: "application/json", ...authHeaders() },
    });
    if (response.ok) {
      const info = await response.json();
      showState(card, info.processing_state);
      if (info.processing_state === "ready") showFacts(card, info);
      if (info.processing_state === "ready" || info.processing_state === "failed") return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function sendBytes(ticket, file, bar) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(ticket.upload_params)) body.append(name, value);
    body.append(ticket.file_param || "file", file);
    const request = new XMLHttpRequest();
    request.open("POST", ticket.upload_url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status === 201) resolve(JSON.parse(request.responseText));
      else reject(new Error(errorText(request.responseText, request.status)));
    });
    request.addEventListener("error", () => reject(new Error("The connection failed.")));
    request.send(body);
  });
}

function errorText(text, status) {
  try {
    const body = JSON.parse(text);
    if (body.errors && body.errors[0] && body.errors[0].message) return body.errors[0].message;
    if (body.message) return body.message;
  } catch (_) { /* not JSON */ }
  return `The upload failed (${status}).`;
}

async function uploadOne(path, infoPath, file, progressList) {
  const row = element("li");
  const id = `upload-${progressList.children.length + 1}`;
  const label = element("label", { for: id }, file.name);
  const bar = element("progress", { id, max: "100", value: "0" });
  const status = element("span", { class: "upload-status" }, "Uploading…");
  row.append(label, bar, status);
  progressList.append(row);
  try {
    const form = new FormData();
    form.append("name", file.name);
    form.append("size", String(file.size));
    form.append("content_type", file.type || "application/octet-stream");
    const step1 = await fetch(path, {
      method: "POST", body: form, credentials: "same-origin", headers: authHeaders(),
    });
    if (!step1.ok) throw new Error(errorText(await step1.text(), step1.status));
    const stored = await sendBytes(await step1.json(), file, bar);
    bar.value = 100;
    status.textContent = "Uploaded";
    const mediaId = stored.media_entry_id;
    if (!mediaId) return;
    const list = document.querySelector("ul.media");
    const empty = document.getElementById("no-media");
    if (empty) empty.remove();
    list.hidden = false;
    const card = newCard(mediaId, stored.display_name || file.name);
    list.prepend(card);
    countOneMore();
    announce(card, "media-uploaded", { mediaId });
    await follow(card, mediaId, infoPath);
  } catch (error) {
    status.textContent = `Failed: ${error.message}`;
  }
}

function enhanceUpload(form) {
  const path = form.dataset.uploadPath;
  const infoPath = form.dataset.infoPath || INFO_PATH;
  const input = form.querySelector('input[type="file"]');
  const progressList = document.getElementById("upload-progress");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const files = Array.from(input.files);
    input.value = "";
    for (const file of files) uploadOne(path, infoPath, file, progressList);
  });
}

const uploadForm = document.getElementById("upload-form");
if (uploadForm) enhanceUpload(uploadForm);
