// The caption editor's player: the page's <video> (or <audio>) with the media's sources, showing
// the cues as they are being edited (a text track of the editor's own, kept in step with the
// model: a changed cue changes its VTTCue, no reload of a track file), the playhead, and
// a callback whenever the playhead moves (every frame while playing, on seeks when paused).
import { cueText } from "./editor-model.js";

export class Player {
  constructor(media, { label, language, kind, onTime }) {
    this.media = media;
    this.onTime = onTime;
    this.vttCues = new Map(); // uid -> VTTCue
    this.track = null;
    this.frame = 0;
    if (!media) return;
    // Descriptions, chapters and metadata are not drawn by browsers: the editor shows every
    // kind's text on the picture, so that the person sees what they are timing.
    this.track = media.addTextTrack(kind === "subtitles" ? "subtitles" : "captions", label, language);
    this.track.mode = "showing";
    const tick = () => {
      this.onTime(this.timeMs);
      this.frame = this.media.paused ? 0 : requestAnimationFrame(tick);
    };
    media.addEventListener("play", () => { if (!this.frame) this.frame = requestAnimationFrame(tick); });
    for (const type of ["seeked", "timeupdate", "loadedmetadata", "pause"]) {
      media.addEventListener(type, () => { if (!this.frame) this.onTime(this.timeMs); });
    }
  }

  get available() { return Boolean(this.media); }

  get timeMs() { return this.media ? Math.round(this.media.currentTime * 1000) : 0; }

  get paused() { return !this.media || this.media.paused; }

  get durationMs() {
    const d = this.media ? this.media.duration : NaN;
    return Number.isFinite(d) ? Math.round(d * 1000) : null;
  }

  seek(ms) {
    if (!this.media) return;
    this.media.currentTime = Math.max(0, ms) / 1000;
    this.onTime(this.timeMs);
  }

  nudge(deltaMs) { this.seek(this.timeMs + deltaMs); }

  toggle() {
    if (!this.media) return false;
    if (this.media.paused) {
      // A play() refused (no user gesture yet, no source) leaves the media paused: nothing to do.
      this.media.play().catch(() => {});
      return true;
    }
    this.media.pause();
    return false;
  }

  // Keep the text track equal to the model. `changes` is what CueList.render reported.
  sync(cues, changes) {
    if (!this.track) return;
    const touched = new Set([...changes.added, ...changes.changed]);
    for (const uid of changes.removed) {
      const vtt = this.vttCues.get(uid);
      if (vtt) { this.track.removeCue(vtt); this.vttCues.delete(uid); }
    }
    for (const c of cues) {
      if (this.vttCues.has(c.uid) && !touched.has(c.uid)) continue;
      this.place(c);
    }
  }

  place(c) {
    const end = Math.max(c.end, c.start + 1) / 1000;
    let vtt = this.vttCues.get(c.uid);
    if (!vtt) {
      vtt = new VTTCue(c.start / 1000, end, cueText(c.text));
      this.vttCues.set(c.uid, vtt);
      this.track.addCue(vtt);
      return;
    }
    vtt.startTime = c.start / 1000;
    vtt.endTime = end;
    vtt.text = cueText(c.text);
  }

  // After undo/redo over many cues it is simpler to start over.
  replaceAll(cues) {
    if (!this.track) return;
    for (const vtt of this.vttCues.values()) this.track.removeCue(vtt);
    this.vttCues.clear();
    for (const c of cues) this.place(c);
  }
}
