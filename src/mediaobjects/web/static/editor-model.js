// The caption editor's model, pure (no DOM): cue times as text, the cue operations (add, split,
// merge, delete, shift, edit) and the history behind undo/redo.
//
// A track is an array of frozen cue objects kept in start order. An operation never changes a
// cue: it returns a new array in which the changed cues are new objects (with the same `uid`)
// and the others are the very same objects. So the history is just a list of arrays (cheap:
// they share their cues), and the list view finds what changed by comparing objects
// (`editor-list.js`), touching only the rows that did.

let lastUid = 0;

function cue(fields) {
  return Object.freeze({
    uid: fields.uid ?? ++lastUid,
    start: fields.start,
    end: fields.end,
    text: fields.text ?? "",
    identifier: fields.identifier ?? null,
    settings: fields.settings ?? "",
  });
}

export function makeCue(fields) {
  return cue({ ...fields, uid: undefined });
}

export function changed(original, changes) {
  return cue({ ...original, ...changes, uid: original.uid });
}

function byStart(a, b) {
  return a.start - b.start || a.end - b.end;
}

// The API's cues (start_ms, end_ms, ...) as model cues, in start order.
export function fromApi(list) {
  return list
    .map((c) => makeCue({
      start: c.start_ms, end: c.end_ms, text: shownText(c.text), identifier: c.identifier,
      settings: c.settings,
    }))
    .sort(byStart);
}

// The text a person edits is the text they read: "Q&A" and "a < b", not "Q&amp;A" and
// "a &lt; b" as WebVTT stores them. Markup stays as typed: a tag WebVTT knows (<i>, </b>,
// <v Ana>, <c.loud>, <lang en>, <ruby>, <rt>, a <00:01.000> timestamp) and a character
// reference (&amp;, &#169;, &nbsp;). So `cueText(shownText(x)) === x` for every stored x: an
// "&amp;" or "&lt;" is shown decoded only where the decoded "&" or "<" would not itself read as
// a reference or a tag (stored "&amp;copy;" stays as it is, so it is not saved as "©"). The
// server still checks every cue it is sent.
const REFERENCE = /^&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);/;
const TAG = /^<(?:\/?(?:[ibu]|c|v|lang|ruby|rt)(?:[.\s][^<>\n]*)?|(?:\d+:)?\d{2}:\d{2}\.\d{3})>/;

export function shownText(stored) {
  return stored.replace(/&(amp|lt);/g, (whole, name, at) => {
    const plain = name === "amp" ? "&" : "<";
    const rest = plain + stored.slice(at + whole.length);
    return (name === "amp" ? REFERENCE : TAG).test(rest) ? whole : plain;
  });
}

export function cueText(shown) {
  return shown.replace(/[&<]/g, (plain, at) => {
    const rest = shown.slice(at);
    if (plain === "&") return REFERENCE.test(rest) ? "&" : "&amp;";
    return TAG.test(rest) ? "<" : "&lt;";
  });
}

// Cue text as the API takes it: an empty line would end a WebVTT cue (the API refuses it), so
// the blank lines a textarea easily gets (a trailing Enter) are left out.
export function apiText(text) {
  return text.replace(/\r\n?/g, "\n").split("\n").filter((line) => line.trim() !== "").join("\n");
}

export function toApi(cues) {
  return cues.map((c) => ({
    start_ms: c.start, end_ms: c.end, text: cueText(apiText(c.text)), identifier: c.identifier,
    settings: c.settings,
  }));
}

// The same cues as `cues` where equal in content, new ones elsewhere: after a save the server's
// answer replaces the model without making every row look changed.
export function adopt(cues, incoming) {
  if (cues.length !== incoming.length) return incoming;
  let same = true;
  const out = incoming.map((c, i) => {
    const mine = cues[i];
    if (mine.start === c.start && mine.end === c.end && mine.text === c.text
        && mine.identifier === c.identifier && mine.settings === c.settings) return mine;
    same = false;
    return changed(mine, c);
  });
  return same ? cues : out;
}

// ---- times ------------------------------------------------------------------------------------

const pad = (n, width) => String(n).padStart(width, "0");

export function formatTime(ms) {
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(Math.round(ms));
  const millis = rest % 1000; rest = (rest - millis) / 1000;
  const secs = rest % 60; rest = (rest - secs) / 60;
  const mins = rest % 60; const hours = (rest - mins) / 60;
  return `${sign}${pad(hours, 2)}:${pad(mins, 2)}:${pad(secs, 2)}.${pad(millis, 3)}`;
}

// "01:02:03.456", "02:03.5", "83.25" or "83,25" (SRT's comma) -> milliseconds; null otherwise.
const TIME = /^(?:(?:(\d+):)?([0-5]?\d):)?(\d+)(?:[.,](\d{1,3}))?$/;
export function parseTime(text) {
  const match = TIME.exec(String(text).trim());
  if (!match) return null;
  const [, h, m, s, frac] = match;
  if ((h !== undefined || m !== undefined) && Number(s) > 59) return null;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, "0"));
  const total = ((Number(h || 0) * 60 + Number(m || 0)) * 60 + Number(s)) * 1000 + ms;
  return Number.isSafeInteger(total) ? total : null;
}

// A shift amount in seconds: "-1.5", "+0.25", "2" -> ms (non-zero), else null.
export function parseShift(text) {
  const match = /^([+-−]?)(\d+(?:[.,]\d{1,3})?)$/.exec(String(text).trim());
  if (!match) return null;
  const ms = Math.round(Number(match[2].replace(",", ".")) * 1000);
  if (!ms) return null;
  return match[1] === "-" || match[1] === "−" ? -ms : ms;
}

export function durationText(ms) {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

// ---- finding ----------------------------------------------------------------------------------

// The index of the cue shown at `ms` (the latest-starting one when several overlap), or -1.
// Binary search on start: cues are kept in start order.
export function cueAt(cues, ms) {
  let lo = 0;
  let hi = cues.length - 1;
  let last = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid].start <= ms) { last = mid; lo = mid + 1; } else { hi = mid - 1; }
  }
  // A long cue may still cover `ms` after later ones started and ended: look back a little.
  for (let i = last; i >= 0 && i > last - 16; i -= 1) {
    if (cues[i].end > ms) return i;
  }
  return -1;
}

function insertionIndex(cues, item) {
  let lo = 0;
  let hi = cues.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byStart(cues[mid], item) <= 0) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export function indexOfUid(cues, uid) {
  for (let i = 0; i < cues.length; i += 1) if (cues[i].uid === uid) return i;
  return -1;
}

// ---- operations -------------------------------------------------------------------------------
// Each returns { cues, focus } (focus: the uid of the cue to put the cursor in, null to leave
// it where it is) or throws an
// EditError whose message is meant for the person.

export class EditError extends Error {}

// Change some fields of cues[index]; a new start moves the cue to its place in start order.
export function edit(cues, index, changes) {
  const next = changed(cues[index], changes);
  const out = cues.slice();
  if (changes.start === undefined && changes.end === undefined) {
    out[index] = next;
    return { cues: out, focus: null };
  }
  const inPlace = (index === 0 || byStart(cues[index - 1], next) <= 0)
    && (index === cues.length - 1 || byStart(next, cues[index + 1]) <= 0);
  if (inPlace) {
    out[index] = next;
  } else {
    out.splice(index, 1);
    out.splice(insertionIndex(out, next), 0, next);
  }
  return { cues: out, focus: null };
}

// A new cue after cues[afterIndex] when that is given (>= 0), else at `atMs`, or after the
// cue showing at `atMs`; two seconds long, or shorter where the next cue begins.
export function add(cues, afterIndex, atMs, durationMs) {
  let start;
  if (afterIndex >= 0) {
    start = cues[afterIndex].end;
  } else {
    start = Math.max(0, Math.round(atMs));
    // Into the next free time when cues follow each other closely, else overlapping.
    for (let hops = 0, here = cueAt(cues, start); here >= 0 && hops < 3; hops += 1) {
      start = cues[here].end;
      here = cueAt(cues, start);
    }
  }
  if (durationMs && start >= durationMs) {
    throw new EditError("There is no time left after this point: move the playhead to where the cue should start.");
  }
  let end = start + 2000;
  const following = cues.find((c) => c.start > start);
  if (following && following.start - start >= 500) end = Math.min(end, following.start);
  if (durationMs) end = Math.min(end, durationMs);
  const fresh = makeCue({ start, end, text: "" });
  const out = cues.slice();
  out.splice(insertionIndex(out, fresh), 0, fresh);
  return { cues: out, focus: fresh.uid };
}

// Where cue text splits: at the caret when given, else at the space nearest to where the time
// falls proportionally.
function splitText(text, fraction, caret) {
  let at = caret;
  if (at === null || at === undefined) {
    const target = Math.round(text.length * fraction);
    at = -1;
    for (let d = 0; d <= text.length; d += 1) {
      if (/\s/.test(text[target - d] ?? "")) { at = target - d; break; }
      if (/\s/.test(text[target + d] ?? "")) { at = target + d; break; }
    }
    if (at < 0) at = text.length;
  }
  return [text.slice(0, at).trimEnd(), text.slice(at).trimStart()];
}

export function split(cues, index, atMs, caret = null) {
  const original = cues[index];
  if (original.end - original.start < 2) throw new EditError("This cue is too short to split.");
  let at = Math.round(atMs);
  if (!(at > original.start && at < original.end)) {
    at = Math.round((original.start + original.end) / 2);
  }
  const [left, right] = splitText(original.text, (at - original.start) / (original.end - original.start), caret);
  const first = changed(original, { end: at, text: left });
  const second = makeCue({ start: at, end: original.end, text: right, settings: original.settings });
  const out = cues.slice();
  out.splice(index, 1, first, second);
  return { cues: out, focus: second.uid };
}

export function mergeWithNext(cues, index) {
  if (index < 0 || index >= cues.length - 1) throw new EditError("There is no next cue to merge with.");
  const a = cues[index];
  const b = cues[index + 1];
  const text = [a.text.trimEnd(), b.text.trimStart()].filter(Boolean).join(" ");
  const merged = changed(a, { end: Math.max(a.end, b.end), text });
  const out = cues.slice();
  out.splice(index, 2, merged);
  return { cues: out, focus: merged.uid };
}

export function remove(cues, uids) {
  const out = cues.filter((c) => !uids.has(c.uid));
  if (out.length === cues.length) throw new EditError("No cue to delete.");
  const first = cues.findIndex((c) => uids.has(c.uid));
  const next = out[Math.min(first, out.length - 1)];
  return { cues: out, focus: next ? next.uid : null };
}

// Shift every cue (uids null) or the cues in `uids` by deltaMs. Nothing may start before 0.
export function shift(cues, uids, deltaMs) {
  const moved = [];
  const out = cues.map((c, i) => {
    if (uids && !uids.has(c.uid)) return c;
    if (c.start + deltaMs < 0) {
      throw new EditError(`Cue ${i + 1} would start before 0:00; shift by at most ${(c.start / 1000).toFixed(3)} seconds earlier.`);
    }
    const next = changed(c, { start: c.start + deltaMs, end: c.end + deltaMs });
    moved.push(next);
    return next;
  });
  if (!moved.length) throw new EditError("Select the cues to shift first (their checkboxes), or shift all.");
  out.sort(byStart);
  return { cues: out, focus: null, count: moved.length };
}

// ---- history ----------------------------------------------------------------------------------

const MAX_HISTORY = 500;
// Typing in one field within this long of the last keystroke is one step of undo.
const COALESCE_MS = 1500;

export class History {
  constructor(initial) {
    this.reset(initial);
  }

  reset(initial) {
    this.states = [initial];
    this.labels = [""];
    this.at = 0;
    this.lastKey = null;
    this.lastTime = 0;
  }

  get current() { return this.states[this.at]; }
  get canUndo() { return this.at > 0; }
  get canRedo() { return this.at < this.states.length - 1; }

  // `key` names a continuous edit (typing in one cue's text): commits with the same key in
  // quick succession replace the newest state instead of adding one.
  commit(cues, label, key = null, now = Date.now()) {
    if (key !== null && key === this.lastKey && now - this.lastTime < COALESCE_MS && this.at > 0) {
      this.states[this.at] = cues;
    } else {
      this.states.length = this.at + 1;
      this.labels.length = this.at + 1;
      this.states.push(cues);
      this.labels.push(label);
      this.at += 1;
      if (this.states.length > MAX_HISTORY) {
        this.states.shift();
        this.labels.shift();
        this.at -= 1;
      }
    }
    this.lastKey = key;
    this.lastTime = now;
  }

  // Ends a run of coalesced typing: the next keystroke starts a new step.
  seal() { this.lastKey = null; }

  undo() {
    if (!this.canUndo) return null;
    const label = this.labels[this.at];
    this.at -= 1;
    this.lastKey = null;
    return label;
  }

  redo() {
    if (!this.canRedo) return null;
    this.at += 1;
    this.lastKey = null;
    return this.labels[this.at];
  }
}
