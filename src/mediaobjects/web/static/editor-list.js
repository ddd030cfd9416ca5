// The caption editor's cue list: one <li class="cue"> per cue, built once from the page's
// <template> and afterwards changed only where the model changed (cues are immutable objects,
// so "changed" is an identity test: see editor-model.js). A 1,500-cue lecture is a few
// thousand rows' worth of inputs: nothing here reads layout in a loop, renumbering writes only
// the numbers that moved, and the CSS lets the browser skip rows off screen
// (content-visibility).
import { durationText, formatTime } from "./editor-model.js";

export class CueList {
  constructor(list, template) {
    this.list = list;
    this.template = template.content.firstElementChild;
    this.rows = new Map(); // uid -> row
    this.cues = [];
    this.selected = new Set();
    this.current = null;
    this.active = null;
  }

  row(uid) { return this.rows.get(uid); }

  // The uid of the cue whose row holds `node`, or null.
  uidOf(node) {
    const li = node instanceof Element ? node.closest("li.cue") : null;
    return li ? Number(li.dataset.uid) : null;
  }

  build(uid) {
    const li = this.template.cloneNode(true);
    const row = {
      li,
      number: li.querySelector(".cue-number"),
      select: li.querySelector(".cue-select"),
      seek: li.querySelector(".cue-seek"),
      start: li.querySelector(".cue-start"),
      end: li.querySelector(".cue-end"),
      text: li.querySelector(".cue-text"),
      duration: li.querySelector(".cue-duration"),
      problems: li.querySelector(".cue-problems"),
      cue: null,
      index: -1,
      serverProblems: [],
      localErrors: {},
    };
    li.dataset.uid = uid;
    const n = `n${uid}`;
    row.number.id = n;
    row.problems.id = `p${uid}`;
    // Names such as "Start of cue 12": one shared hidden label and this row's number, so that
    // renumbering rewrites one text node per row, not every name.
    row.select.setAttribute("aria-labelledby", `label-select ${n}`);
    row.seek.setAttribute("aria-labelledby", `label-seek ${n}`);
    row.start.setAttribute("aria-labelledby", `label-start ${n}`);
    row.end.setAttribute("aria-labelledby", `label-end ${n}`);
    row.text.setAttribute("aria-labelledby", `label-text ${n}`);
    this.rows.set(uid, row);
    return row;
  }

  fill(row, cue) {
    if (row.cue && row.cue.start === cue.start && row.cue.end === cue.end && row.cue.text === cue.text) {
      row.cue = cue;
      return;
    }
    const start = formatTime(cue.start);
    const end = formatTime(cue.end);
    // A field the person is typing in keeps its value (and caret) when it already says this.
    if (row.start.value !== start && !row.localErrors.start) row.start.value = start;
    else if (row.localErrors.start && row.cue && row.cue.start !== cue.start) {
      row.start.value = start;
      this.setLocalError(cue.uid, "start", null);
    }
    if (row.end.value !== end && !row.localErrors.end) row.end.value = end;
    else if (row.localErrors.end && row.cue && row.cue.end !== cue.end) {
      row.end.value = end;
      this.setLocalError(cue.uid, "end", null);
    }
    if (row.text.value !== cue.text) {
      const focused = document.activeElement === row.text;
      const caret = focused ? row.text.selectionStart : 0;
      row.text.value = cue.text;
      if (focused) row.text.setSelectionRange(Math.min(caret, cue.text.length), Math.min(caret, cue.text.length));
    }
    row.duration.textContent = durationText(cue.end - cue.start);
    row.cue = cue;
  }

  number(row, index) {
    if (row.index === index) return;
    row.index = index;
    row.li.dataset.index = index;
    row.number.textContent = index + 1;
  }

  // Make the list show `cues`: rows of unchanged cues are left alone.
  render(cues) {
    const old = this.cues;
    const min = Math.min(old.length, cues.length);
    let prefix = 0;
    while (prefix < min && old[prefix] === cues[prefix]) prefix += 1;
    let suffix = 0;
    while (suffix < min - prefix && old[old.length - 1 - suffix] === cues[cues.length - 1 - suffix]) suffix += 1;
    const oldMiddle = old.slice(prefix, old.length - suffix);
    const newMiddle = cues.slice(prefix, cues.length - suffix);
    const keep = new Set(newMiddle.map((c) => c.uid));
    const removed = [];
    for (const c of oldMiddle) {
      if (!keep.has(c.uid)) {
        const row = this.rows.get(c.uid);
        row.li.remove();
        this.rows.delete(c.uid);
        this.selected.delete(c.uid);
        removed.push(c.uid);
      }
    }
    const added = [];
    const changedUids = [];
    let before = suffix > 0 ? this.rows.get(cues[cues.length - suffix].uid).li : null;
    const fragment = old.length === 0 ? document.createDocumentFragment() : null;
    for (let i = newMiddle.length - 1; i >= 0; i -= 1) {
      const c = newMiddle[i];
      let row = this.rows.get(c.uid);
      if (!row) {
        row = this.build(c.uid);
        added.push(c.uid);
      } else if (row.cue !== c) {
        changedUids.push(c.uid);
      }
      this.fill(row, c);
      if (fragment) {
        fragment.prepend(row.li);
      } else if (row.li.nextElementSibling !== before || !row.li.parentNode) {
        this.list.insertBefore(row.li, before);
      }
      before = row.li;
    }
    if (fragment) this.list.append(fragment);
    this.cues = cues;
    // Numbers move after an insertion or removal; in place, only the middle can have.
    const last = old.length === cues.length ? cues.length - suffix : cues.length;
    for (let i = prefix; i < last; i += 1) this.number(this.rows.get(cues[i].uid), i);
    return { added, removed, changed: changedUids };
  }

  // ---- state shown on rows ------------------------------------------------------------------

  setCurrent(uid) {
    if (uid === this.current) return false;
    const old = this.rows.get(this.current);
    if (old) { old.li.classList.remove("current"); old.li.removeAttribute("aria-current"); }
    this.current = uid;
    const row = this.rows.get(uid);
    if (row) { row.li.classList.add("current"); row.li.setAttribute("aria-current", "true"); }
    return true;
  }

  setActive(uid) {
    if (uid === this.active) return;
    const old = this.rows.get(this.active);
    if (old) old.li.classList.remove("active");
    this.active = uid;
    const row = this.rows.get(uid);
    if (row) row.li.classList.add("active");
  }

  // Bring the row into the list's view (the list scrolls, the page does not).
  follow(uid, smooth) {
    const row = this.rows.get(uid);
    const list = this.list;
    if (!row || list.scrollHeight <= list.clientHeight) return;
    const top = row.li.offsetTop;
    const bottom = top + row.li.offsetHeight;
    if (top >= list.scrollTop && bottom <= list.scrollTop + list.clientHeight) return;
    list.scrollTo({ top: Math.max(0, top - list.clientHeight / 3), behavior: smooth ? "smooth" : "auto" });
  }

  focus(uid, field = "text") {
    const row = this.rows.get(uid);
    if (!row) return;
    const target = row[field] || row.text;
    target.focus({ preventScroll: true });
    this.follow(uid, false);
    if (!this.visible(row.li)) row.li.scrollIntoView({ block: "nearest" });
  }

  visible(li) {
    const box = li.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  toggleSelected(uid, on) {
    if (on) this.selected.add(uid); else this.selected.delete(uid);
  }

  // ---- problems -----------------------------------------------------------------------------

  // Problems from the server's check: a Map uid -> [{field, severity, message}]. Rows not in
  // it have none.
  setProblems(byUid) {
    for (const [uid, row] of this.rows) {
      const problems = byUid.get(uid) || [];
      if (!problems.length && !row.serverProblems.length) continue;
      row.serverProblems = problems;
      this.showProblems(row);
    }
  }

  setLocalError(uid, field, message) {
    const row = this.rows.get(uid);
    if (!row) return;
    if (message) row.localErrors[field] = message; else delete row.localErrors[field];
    this.showProblems(row);
  }

  hasLocalErrors() {
    for (const row of this.rows.values()) if (Object.keys(row.localErrors).length) return row;
    return null;
  }

  showProblems(row) {
    const all = [
      ...Object.entries(row.localErrors).map(([field, message]) => ({ field, severity: "error", message })),
      ...row.serverProblems,
    ];
    const byField = { start: [], end: [], text: [] };
    row.problems.replaceChildren();
    all.forEach((p, k) => {
      const item = document.createElement("li");
      const id = `p${row.li.dataset.uid}-${k}`;
      item.id = id;
      item.className = `problem problem-${p.severity}`;
      item.textContent = `${p.severity === "error" ? "Error" : "Warning"}: ${p.message}`;
      row.problems.append(item);
      (byField[p.field] || byField.text).push(p.severity === "error" ? [id, true] : [id, false]);
    });
    row.problems.hidden = all.length === 0;
    for (const field of ["start", "end", "text"]) {
      const input = row[field];
      const ids = byField[field];
      if (ids.length) input.setAttribute("aria-describedby", ids.map(([id]) => id).join(" "));
      else input.removeAttribute("aria-describedby");
      if (ids.some(([, error]) => error)) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    row.li.classList.toggle("has-error", all.some((p) => p.severity === "error"));
    row.li.classList.toggle("has-warning", all.some((p) => p.severity !== "error"));
  }

  // The next cue after `uid` (wrapping) that has a problem, or null.
  nextWithProblem(uid) {
    const start = uid === null ? -1 : this.cues.findIndex((c) => c.uid === uid);
    for (let k = 1; k <= this.cues.length; k += 1) {
      const c = this.cues[(start + k) % this.cues.length];
      const row = this.rows.get(c.uid);
      if (row.serverProblems.length || Object.keys(row.localErrors).length) return c.uid;
    }
    return null;
  }
}
