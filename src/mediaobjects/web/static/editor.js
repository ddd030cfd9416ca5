// The caption editor page (templates/editor.html): loads the track's cues from the API, shows
// them beside the player, and wires editing, the keyboard shortcuts, undo/redo, the live check,
// the draft and saving. The model is editor-model.js, the list editor-list.js, the player
// editor-player.js, the API and drafts editor-store.js.
//
// Contract with tests and the benchmark: <html data-editor="ready"> once the cues are shown and
// the page answers input; rows li.cue[data-index] with .cue-start, .cue-end, textarea.cue-text;
// #save; #save-status[data-state] one of clean|dirty|saving|saved|error|conflict.
import * as model from "./editor-model.js";
import { CueList } from "./editor-list.js";
import { Player } from "./editor-player.js";
import { Drafts, pruneDrafts, request } from "./editor-store.js";

const html = document.documentElement;
const root = document.getElementById("editor");
const $ = (id) => document.getElementById(id);
// The check is rate limited (MEDIAOBJECTS_RATE_LIMIT_CAPTION_CHECK_*: a burst of 30, 60 a minute).
const CHECK_DELAY_MS = 1200;
const CHECK_RETRY_MS = 10000;
const DRAFT_DELAY_MS = 300;
const NUDGE_MS = 2000;

const config = {
  api: root.dataset.api,
  mediaId: root.dataset.mediaId,
  userId: root.dataset.userId,
  locale: root.dataset.locale,
  kind: root.dataset.kind,
  durationMs: Number(root.dataset.durationMs) || null,
};
const state = {
  trackId: root.dataset.trackId || null,
  baseVersion: null, // the version the cues being edited are based on
  serverVersion: null,
  serverCues: [],
  savedCues: [],
  saving: false,
  conflictVersion: null,
  checkSeq: 0,
  checkTimer: 0,
  draftTimer: 0,
  status: "clean",
};
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const list = new CueList($("cue-list"), $("cue-template"));
const history = new model.History([]);
let drafts = new Drafts(config.userId, config.mediaId, state.trackId || `new:${config.locale}`);
const player = new Player($("media"), {
  label: document.querySelector("h1").textContent.trim(),
  language: config.locale,
  kind: config.kind,
  onTime,
});

// ---- status, announcements ---------------------------------------------------------------------

function announce(text) {
  const live = $("announcer");
  // The same words twice must be heard twice: clear first, then say.
  live.textContent = "";
  window.setTimeout(() => { live.textContent = text; }, 30);
}

function clock(when) {
  return new Date(when).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function setStatus(name, text) {
  const status = $("save-status");
  state.status = name;
  status.dataset.state = name;
  if (status.textContent !== text) status.textContent = text;
}

function isDirty() { return history.current !== state.savedCues; }

function refreshStatus() {
  if (state.saving || state.status === "conflict") return;
  if (isDirty()) {
    setStatus("dirty", drafts.works
      ? "Unsaved changes (kept in this browser until you save)"
      : "Unsaved changes: this browser keeps no draft, save soon");
  } else if (state.status !== "saved") {
    setStatus("clean", state.trackId ? "No unsaved changes" : "Nothing saved yet");
  }
}

function refreshButtons() {
  $("undo").disabled = !history.canUndo;
  $("redo").disabled = !history.canRedo;
  const cues = history.current;
  $("cue-count").textContent = `(${cues.length.toLocaleString()})`;
  $("empty-list").hidden = cues.length > 0;
  $("selected-count").textContent = list.selected.size;
}

// ---- showing the model --------------------------------------------------------------------------

// Show history.current: the rows that changed, the player's track, counts, status; then keep a
// draft and check the cues again, both after a pause.
function show({ focus = null, edited = true } = {}) {
  const cues = history.current;
  // A row that moves (a new start time puts it elsewhere) is taken out and put back: the field
  // the person is in would lose focus.
  const focused = document.activeElement;
  const changes = list.render(cues);
  if (focus === null && focused && focused.isConnected && document.activeElement !== focused) {
    focused.focus({ preventScroll: true });
  }
  player.sync(cues, changes);
  refreshButtons();
  refreshStatus();
  onTime(player.timeMs);
  if (focus !== null) list.focus(focus);
  if (edited) {
    scheduleDraft();
    scheduleCheck();
  }
}

function apply(result, label, key = null) {
  history.commit(result.cues, label, key);
  show({ focus: result.focus ?? null });
}

function onTime(ms) {
  const text = model.formatTime(ms);
  const playhead = $("playhead");
  if (playhead.textContent !== text) playhead.textContent = text;
  const cues = history.current;
  const index = model.cueAt(cues, ms);
  const uid = index >= 0 ? cues[index].uid : null;
  if (list.setCurrent(uid) && uid !== null && $("follow").checked && !typingInList()) {
    list.follow(uid, !reducedMotion.matches);
  }
}

function typingInList() {
  const active = document.activeElement;
  return Boolean(active && list.list.contains(active) && active.matches("input:not([type=checkbox]), textarea"));
}

// ---- which cue an action is about -------------------------------------------------------------

function activeIndex() {
  return list.active === null ? -1 : model.indexOfUid(history.current, list.active);
}

// The cue "you are in" (the row last focused), else the cue under the playhead.
function targetIndex() {
  const active = activeIndex();
  return active >= 0 ? active : model.cueAt(history.current, player.timeMs);
}

function need(index, what) {
  if (index < 0) throw new model.EditError(`Click a cue (or move to one with Alt+↓) to ${what}.`);
  return index;
}

// A time typed but not applied yet (no Enter, no leaving the field) is applied before any
// action, so that Ctrl+S saves what the person sees.
function commitPendingField() {
  const active = document.activeElement;
  if (active && active.matches && active.matches("#cue-list .cue-start, #cue-list .cue-end")) commitTime(active);
  history.seal();
}

function run(action) {
  return (...args) => {
    commitPendingField();
    try {
      action(...args);
    } catch (error) {
      if (!(error instanceof model.EditError)) throw error;
      announce(error.message);
    }
  };
}

// ---- actions ----------------------------------------------------------------------------------

const actions = {
  playPause: run(() => {
    if (!player.available) throw new model.EditError("There is no media to play yet.");
    player.toggle();
  }),
  nudge: (delta) => run(() => player.nudge(delta))(),
  setStart: run(() => {
    const index = need(targetIndex(), "set its start");
    apply(model.edit(history.current, index, { start: player.timeMs }), `start of cue ${index + 1}`);
    announce(`Cue ${index + 1} starts at ${model.formatTime(player.timeMs)}`);
  }),
  setEnd: run(() => {
    const index = need(targetIndex(), "set its end");
    apply(model.edit(history.current, index, { end: player.timeMs }), `end of cue ${index + 1}`);
    announce(`Cue ${index + 1} ends at ${model.formatTime(player.timeMs)}`);
  }),
  move: (step) => run(() => {
    const cues = history.current;
    if (!cues.length) throw new model.EditError("There are no cues yet.");
    let index = activeIndex();
    if (index < 0) {
      const here = model.cueAt(cues, player.timeMs);
      index = here >= 0 ? here : cues.findIndex((c) => c.start > player.timeMs);
      if (index < 0) index = step > 0 ? 0 : cues.length - 1;
    } else {
      index = Math.max(0, Math.min(cues.length - 1, index + step));
    }
    goTo(cues[index].uid);
  })(),
  split: run(() => {
    const cues = history.current;
    const at = player.timeMs;
    let index = activeIndex();
    if (index < 0 || !(cues[index].start < at && at < cues[index].end)) {
      const here = model.cueAt(cues, at);
      if (here >= 0 && cues[here].start < at) index = here;
    }
    need(index, "split it");
    const row = list.row(cues[index].uid);
    // The text splits at the cursor when it is inside the text, else where the time falls.
    const caret = document.activeElement === row.text && row.text.selectionStart > 0
      && row.text.selectionStart < row.text.value.length ? row.text.selectionStart : null;
    apply(model.split(cues, index, at, caret), `split of cue ${index + 1}`);
    announce(`Cue ${index + 1} split in two: you are in cue ${index + 2}`);
  }),
  merge: run(() => {
    const index = need(targetIndex(), "merge it with the next");
    apply(model.mergeWithNext(history.current, index), `merge of cues ${index + 1} and ${index + 2}`);
    announce(`Cues ${index + 1} and ${index + 2} merged`);
  }),
  add: run(() => {
    const cues = history.current;
    const after = player.available ? -1 : (activeIndex() >= 0 ? activeIndex() : cues.length - 1);
    const result = model.add(cues, after, player.timeMs, player.durationMs || config.durationMs);
    apply(result, "new cue");
    announce(`New cue ${model.indexOfUid(history.current, result.focus) + 1}: type its text`);
  }),
  remove: run(() => {
    const cues = history.current;
    let uids = new Set(list.selected);
    if (!uids.size) uids = new Set([cues[need(targetIndex(), "delete it")].uid]);
    const result = model.remove(cues, uids);
    history.commit(result.cues, uids.size === 1 ? "delete" : `delete of ${uids.size} cues`);
    show({ focus: result.focus });
    if (result.focus === null) $("add-cue").focus();
    announce(uids.size === 1 ? "Cue deleted" : `${uids.size} cues deleted`);
  }),
  undo: run(() => travel(() => history.undo(), "Nothing to undo.", "Undone")),
  redo: run(() => travel(() => history.redo(), "Nothing to redo.", "Redone")),
  nextProblem: run(() => {
    const uid = list.nextWithProblem(list.active);
    if (uid === null) throw new model.EditError("No cue has a problem.");
    goTo(uid);
    const row = list.row(uid);
    announce(`Cue ${row.index + 1}: ${[...row.problems.children].map((p) => p.textContent).join(". ")}`);
  }),
  help: () => { if (!$("help").open) $("help").showModal(); },
  save: () => { commitPendingField(); save(); },
};

// Undo or redo; the focus stays in its cue when that still exists, else goes to the cue now at
// its place.
function travel(step, nothing, done) {
  const before = list.uidOf(document.activeElement) ?? list.active;
  const row = before === null ? null : list.row(before);
  const place = row ? row.index : -1;
  const label = step();
  if (label === null) throw new model.EditError(nothing);
  const cues = history.current;
  let focus = null;
  if (place >= 0 && model.indexOfUid(cues, before) < 0 && cues.length) focus = cues[Math.min(place, cues.length - 1)].uid;
  show({ focus });
  if (focus !== null) list.setActive(focus);
  announce(`${done}: ${label}`);
}

function goTo(uid) {
  list.setActive(uid);
  list.focus(uid);
  const cue = history.current[model.indexOfUid(history.current, uid)];
  if (player.paused) player.seek(cue.start);
}

// ---- editing in the rows ----------------------------------------------------------------------

const FIELD_ERROR = "Not a time: type HH:MM:SS.mmm, such as 00:01:02.500";

function commitTime(input) {
  const uid = list.uidOf(input);
  const index = model.indexOfUid(history.current, uid);
  if (index < 0) return;
  const field = input.classList.contains("cue-start") ? "start" : "end";
  const ms = model.parseTime(input.value);
  if (ms === null) {
    list.setLocalError(uid, field, FIELD_ERROR);
    return;
  }
  list.setLocalError(uid, field, null);
  if (history.current[index][field] !== ms) {
    apply(model.edit(history.current, index, { [field]: ms }), `${field} of cue ${index + 1}`);
  }
  if (input.value !== model.formatTime(ms)) input.value = model.formatTime(ms);
}

function wireList() {
  const node = list.list;
  node.addEventListener("focusin", (event) => {
    const uid = list.uidOf(event.target);
    if (uid !== null) list.setActive(uid);
  });
  node.addEventListener("input", (event) => {
    const target = event.target;
    const uid = list.uidOf(target);
    if (uid === null) return;
    if (target.classList.contains("cue-text")) {
      const index = model.indexOfUid(history.current, uid);
      history.commit(model.edit(history.current, index, { text: target.value }).cues, `typing in cue ${index + 1}`, `text:${uid}`);
      show();
    } else if (target.matches(".cue-start, .cue-end") && model.parseTime(target.value) !== null) {
      list.setLocalError(uid, target.classList.contains("cue-start") ? "start" : "end", null);
    }
  });
  node.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches(".cue-start, .cue-end")) commitTime(target);
    else if (target.matches(".cue-select")) {
      list.toggleSelected(list.uidOf(target), target.checked);
      refreshButtons();
    } else if (target.matches(".cue-text")) history.seal();
  });
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches(".cue-start, .cue-end")) {
      event.preventDefault();
      commitTime(event.target);
    }
  });
  node.addEventListener("click", (event) => {
    const target = event.target;
    const uid = list.uidOf(target);
    if (uid === null) return;
    // The number button, or the row's background (not its fields): play from the cue.
    if (target.closest(".cue-seek") || !target.closest("input, textarea, label, button, .cue-problems")) {
      list.setActive(uid);
      const cue = history.current[model.indexOfUid(history.current, uid)];
      player.seek(cue.start);
    }
  });
}

// ---- keyboard ---------------------------------------------------------------------------------

// Ctrl/⌘ shortcuts stay the browser's own in fields outside the cue list (the shift amount).
function ownsUndo(target) {
  return !(target instanceof Element && target.matches("input, textarea") && !list.list.contains(target));
}

const ALT_KEYS = {
  KeyK: actions.playPause,
  KeyJ: () => actions.nudge(-NUDGE_MS),
  KeyL: () => actions.nudge(NUDGE_MS),
  KeyI: actions.setStart,
  KeyO: actions.setEnd,
  ArrowDown: () => actions.move(1),
  ArrowUp: () => actions.move(-1),
  KeyP: actions.split,
  KeyM: actions.merge,
  KeyN: actions.add,
  KeyX: actions.remove,
  KeyG: actions.nextProblem,
  Slash: actions.help,
};

function onKeydown(event) {
  if ($("help").open || event.isComposing) return;
  if ((event.ctrlKey || event.metaKey) && !event.altKey) {
    const key = event.key.toLowerCase();
    if (key === "s") {
      event.preventDefault();
      actions.save();
    } else if ((key === "z" || key === "y") && ownsUndo(event.target)) {
      event.preventDefault();
      if (key === "y" || event.shiftKey) actions.redo(); else actions.undo();
    }
    return;
  }
  // event.code, not event.key: on a Mac, Option+K types "˚".
  if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && ALT_KEYS[event.code]) {
    event.preventDefault();
    ALT_KEYS[event.code]();
  }
}

// ---- saving -----------------------------------------------------------------------------------

function editUrl(trackId) {
  return `/media_objects/${encodeURIComponent(config.mediaId)}/captions/${trackId}/edit`;
}

async function save() {
  if (state.saving) return;
  const bad = list.hasLocalErrors();
  if (bad) {
    setStatus("error", `Not saved: cue ${bad.index + 1} has a time that is not a time`);
    list.focus(Number(bad.li.dataset.uid), bad.localErrors.start ? "start" : "end");
    return;
  }
  if (!isDirty() && state.trackId && state.status !== "conflict") {
    announce("Nothing to save: no changes since the last save.");
    return;
  }
  const cues = history.current;
  state.saving = true;
  setStatus("saving", "Saving…");
  try {
    let data;
    if (state.trackId) {
      data = await request("PUT", `${config.api}/media_tracks/${state.trackId}/cues`, {
        cues: model.toApi(cues), base_version_id: state.baseVersion,
      });
    } else {
      data = await request("POST", `${config.api}/media_tracks/cues`, {
        locale: config.locale, kind: config.kind, cues: model.toApi(cues),
      });
    }
    saved(cues, data);
  } catch (error) {
    state.saving = false;
    failed(error, cues);
    return;
  }
  state.saving = false;
}

function saved(cues, data) {
  drafts.clear();
  if (!state.trackId) {
    state.trackId = String(data.track.id);
    drafts = new Drafts(config.userId, config.mediaId, state.trackId);
    window.history.replaceState(null, "", editUrl(state.trackId));
    const heading = document.querySelector("h1");
    heading.textContent = heading.textContent.replace(/^New /, "");
  }
  state.baseVersion = data.track.version_id;
  state.serverVersion = data.track.version_id;
  const incoming = model.adopt(cues, model.fromApi(data.cues));
  state.serverCues = incoming;
  if (history.current === cues) {
    // What the server stored (its writer may tidy the text) becomes what is shown, as the
    // same step of history.
    history.states[history.at] = incoming;
    state.savedCues = incoming;
  } else {
    // Edited while saving: those edits are unsaved.
    state.savedCues = cues;
  }
  $("conflict").hidden = true;
  $("draft-notice").hidden = true;
  state.status = "saved";
  setStatus("saved", `Saved at ${clock(Date.now())}`);
  show({ edited: isDirty() });
  if (!isDirty()) scheduleCheck();
}

function failed(error, cues) {
  if (error.status === 409) {
    conflict(error);
    return;
  }
  const items = error.body.errors || [];
  if (!state.trackId && items.some((e) => e.error_code === "taken")) {
    setStatus("error", "Not saved: captions in this language were added meanwhile. Your cues stay here as a draft; open the existing track from the media page.");
    return;
  }
  if (error.status === 422) {
    // The save's own problems, on the cues they concern (its "cue" counts from 1).
    const problems = items.map((e) => ({
      cue: Number.isInteger(e.cue) ? e.cue - 1 : null,
      field: e.field,
      severity: "error",
      message: e.message,
    }));
    showProblems(cues, { problems });
    const count = problems.length === 1 ? "a problem" : `${problems.length} problems`;
    setStatus("error", `Not saved: ${count} to fix first (shown beside the cues)`);
    return;
  }
  if (error.status === 401 || (error.status === 403 && /csrf|session/i.test(error.message))) {
    setStatus("error", "Not saved: your session has ended. Sign in again in another tab, then save here (your changes are kept as a draft).");
  } else {
    setStatus("error", `Not saved: ${error.message}`);
  }
}

function conflict(error) {
  const first = (error.body.errors || [])[0] || {};
  state.conflictVersion = first.version_id ?? null;
  $("conflict-message").textContent = `${error.message} Load their version (yours stays in the undo history: Ctrl+Z), or overwrite theirs with yours.`;
  $("conflict").hidden = false;
  setStatus("conflict", "Not saved: someone else changed these captions since you opened them");
  $("conflict-reload").focus();
}

async function loadTheirs() {
  try {
    const data = await request("GET", `${config.api}/media_tracks/${state.trackId}/cues`);
    const theirs = model.fromApi(data.cues);
    state.baseVersion = data.track.version_id;
    state.serverVersion = data.track.version_id;
    state.serverCues = theirs;
    drafts.clear();
    history.commit(theirs, "loading their version");
    state.savedCues = theirs;
    $("conflict").hidden = true;
    $("draft-notice").hidden = true;
    state.status = "clean";
    show();
    announce("Their version is loaded. Ctrl+Z brings yours back.");
    $("save").focus();
  } catch (error) {
    setStatus("conflict", `Could not load their version: ${error.message}`);
  }
}

async function overwrite() {
  if (!window.confirm("Replace the captions they saved with your version? Theirs stays in the track's version history.")) return;
  if (state.conflictVersion === null) {
    try {
      const data = await request("GET", `${config.api}/media_tracks/${state.trackId}/cues`);
      state.conflictVersion = data.track.version_id;
    } catch (error) {
      setStatus("conflict", `Could not read the newest version: ${error.message}`);
      return;
    }
  }
  state.baseVersion = state.conflictVersion;
  state.conflictVersion = null;
  $("conflict").hidden = true;
  state.status = "dirty";
  $("save").focus();
  save();
}

// ---- the live check ---------------------------------------------------------------------------

function scheduleCheck() {
  window.clearTimeout(state.checkTimer);
  state.checkTimer = window.setTimeout(check, CHECK_DELAY_MS);
}

async function check() {
  const cues = history.current;
  const seq = ++state.checkSeq;
  let data;
  try {
    data = await request("POST", `${config.api}/caption_check`, {
      cues: model.toApi(cues), locale: config.locale, kind: config.kind,
    });
  } catch (error) {
    if (seq !== state.checkSeq) return;
    if (error.status === 429) {
      window.clearTimeout(state.checkTimer);
      state.checkTimer = window.setTimeout(check, CHECK_RETRY_MS);
      return;
    }
    setSummary(`The captions could not be checked: ${error.message}`, []);
    return;
  }
  if (seq === state.checkSeq) showProblems(cues, data);
}

function showProblems(cues, data) {
  const byUid = new Map();
  const general = [];
  let errors = 0;
  let warnings = 0;
  for (const p of data.problems || []) {
    if (p.severity === "error") errors += 1; else warnings += 1;
    const cue = Number.isInteger(p.cue) ? cues[p.cue] : undefined;
    if (!cue) { general.push(p); continue; }
    if (!byUid.has(cue.uid)) byUid.set(cue.uid, []);
    byUid.get(cue.uid).push({ field: p.field, severity: p.severity, message: p.message });
  }
  list.setProblems(byUid);
  const plural = (n, word) => `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
  let text = "No problems found";
  if (errors || warnings) {
    text = [errors ? plural(errors, "error") : "", warnings ? plural(warnings, "warning") : ""].filter(Boolean).join(" and ");
    if (errors) text += " (saving needs the errors fixed)";
  }
  setSummary(text, general);
  $("next-problem").hidden = byUid.size === 0;
}

function setSummary(text, general) {
  const summary = $("problem-summary");
  if (summary.textContent !== text) summary.textContent = text;
  const items = $("track-problems");
  items.replaceChildren(...general.map((p) => {
    const li = document.createElement("li");
    li.className = `problem problem-${p.severity}`;
    li.textContent = `${p.severity === "error" ? "Error" : "Warning"}: ${p.message}`;
    return li;
  }));
  items.hidden = general.length === 0;
}

// ---- drafts -----------------------------------------------------------------------------------

function scheduleDraft() {
  window.clearTimeout(state.draftTimer);
  state.draftTimer = window.setTimeout(writeDraft, DRAFT_DELAY_MS);
}

function writeDraft() {
  window.clearTimeout(state.draftTimer);
  if (isDirty()) drafts.write(state.baseVersion, model.toApi(history.current));
  else drafts.remove(drafts.key(state.baseVersion));
  refreshStatus();
}

function sameCues(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function offerDraft() {
  const found = drafts.all();
  const newest = found[0];
  if (!newest) return;
  if (sameCues(newest.cues, model.toApi(state.serverCues))) {
    drafts.remove(newest.key);
    return;
  }
  const when = clock(newest.saved_at);
  if (newest.base === state.baseVersion) {
    restoreDraft(newest);
    $("draft-message").textContent = `Restored your unsaved changes from ${when}. They are not saved yet: save them, or discard the draft to go back to the saved captions.`;
    $("restore-draft").hidden = true;
  } else {
    $("draft-message").textContent = `This browser has unsaved changes of yours from ${when}, made to an older version of these captions (they were saved again since). Restore them to review and save them (you will be asked before they replace the newer version), or discard them.`;
    $("restore-draft").hidden = false;
    $("restore-draft").onclick = () => {
      restoreDraft(newest);
      $("restore-draft").hidden = true;
      $("draft-message").textContent = `Restored your changes from ${when}, based on an older version: saving will tell you who changed the captions since.`;
      $("discard-draft").focus();
    };
  }
  $("draft-notice").hidden = false;
}

function restoreDraft(draft) {
  state.baseVersion = draft.base;
  history.commit(model.fromApi(draft.cues), "restoring the draft");
  show({ edited: false });
  scheduleCheck();
}

function discardDraft() {
  drafts.clear();
  state.baseVersion = state.serverVersion;
  history.reset(state.serverCues);
  state.savedCues = state.serverCues;
  state.status = "clean";
  $("draft-notice").hidden = true;
  $("conflict").hidden = true;
  show({ edited: false });
  scheduleCheck();
  announce("Draft discarded: these are the saved captions.");
  $("save").focus();
}

// ---- start ------------------------------------------------------------------------------------

function wirePage() {
  $("save").addEventListener("click", actions.save);
  $("add-cue").addEventListener("click", actions.add);
  $("split-cue").addEventListener("click", actions.split);
  $("merge-cue").addEventListener("click", actions.merge);
  $("delete-cue").addEventListener("click", actions.remove);
  $("undo").addEventListener("click", actions.undo);
  $("redo").addEventListener("click", actions.redo);
  $("next-problem").addEventListener("click", actions.nextProblem);
  $("help-button").addEventListener("click", actions.help);
  $("discard-draft").addEventListener("click", discardDraft);
  $("conflict-reload").addEventListener("click", loadTheirs);
  $("conflict-overwrite").addEventListener("click", overwrite);
  $("shift-form").addEventListener("submit", (event) => {
    event.preventDefault();
    shiftCues();
  });
  document.addEventListener("keydown", onKeydown);
  window.addEventListener("beforeunload", (event) => {
    if (!isDirty() && !state.saving) return;
    writeDraft();
    event.preventDefault();
    event.returnValue = "";
  });
  window.addEventListener("pagehide", () => { if (isDirty()) writeDraft(); });
  document.addEventListener("visibilitychange", () => { if (document.hidden && isDirty()) writeDraft(); });
  wireList();
}

function shiftCues() {
  commitPendingField();
  const input = $("shift-amount");
  const error = $("shift-error");
  const say = (message) => {
    error.textContent = message;
    error.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  };
  const ms = model.parseShift(input.value);
  if (ms === null) {
    say("Type the seconds to shift by, such as 1.5 (later) or -0.25 (earlier).");
    input.focus();
    return;
  }
  const selected = new FormData($("shift-form")).get("scope") === "selected";
  try {
    const result = model.shift(history.current, selected ? list.selected : null, ms);
    say("");
    apply(result, `shift by ${ms / 1000} s`);
    announce(`${result.count.toLocaleString()} cues shifted ${ms > 0 ? "later" : "earlier"} by ${Math.abs(ms) / 1000} s`);
  } catch (err) {
    if (!(err instanceof model.EditError)) throw err;
    say(err.message);
    input.focus();
  }
}

async function start() {
  html.dataset.editor = "loading";
  pruneDrafts();
  wirePage();
  if (state.trackId) {
    try {
      const data = await request("GET", `${config.api}/media_tracks/${state.trackId}/cues`);
      state.serverVersion = data.track.version_id;
      state.serverCues = model.fromApi(data.cues);
    } catch (error) {
      const message = error.status === 422
        ? `These captions cannot be opened in the editor: ${error.message} Download them from the media page, fix them and upload them again.`
        : `The captions could not be loaded: ${error.message}`;
      $("load-error").textContent = message;
      $("load-error").hidden = false;
      list.list.removeAttribute("aria-busy");
      html.dataset.editor = "error";
      return;
    }
  }
  state.baseVersion = state.serverVersion;
  history.reset(state.serverCues);
  state.savedCues = state.serverCues;
  performance.mark("editor:cues-loaded");
  show({ edited: false });
  offerDraft();
  list.list.removeAttribute("aria-busy");
  scheduleCheck();
  html.dataset.editor = "ready";
  // For the benchmark and for anyone profiling: building the list, and the whole start.
  performance.measure("editor:render", "editor:cues-loaded");
  performance.mark("editor:ready");
}

start();
