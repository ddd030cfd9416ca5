// The player page (web/player.py): the keyboard, and adaptive streaming when the page names an
// HLS master playlist (data-hls-url on the <video>). Playback, in order of preference:
//   native  the browser's HLS where it is the platform's own (Safari: it has
//           ManagedMediaSource, or no Media Source Extensions at all, as older iPhones);
//   hls.js  where Media Source Extensions exist (Chromium, Firefox): the vendored light
//           build, imported only then. Chromium 156 also plays HLS itself, but measured here on
//           a playlist still being written (EVENT) it failed at once or jumped to the live
//           edge in 2 runs of 3, and it shows no duration; hls.js started at 0 every time;
//   progressive  the <source> elements, as when there is no HLS at all.
// A stream that fails (a fatal hls.js error, media bytes withheld before anything played, a
// media error in native mode) falls back to the <source> elements at the same time, playing if
// it was. Captions stay the page's <track> elements in every mode: the light build ignores the
// playlist's SUBTITLES renditions, so a track is never listed twice. The mode in use is written to data-playback.
const HLS_TYPE = "application/vnd.apple.mpegurl";
const media = document.getElementById("media");

// Keys: space/k play-pause, arrows seek 5 s, j/l 10 s, m mute, c cycles captions, f full screen.
function keyboard(media) {
  // Opened on its own, the player takes the keyboard; framed (the media page, a course page)
  // it leaves focus where the embedding page has it.
  if (window.self === window.top) media.focus();
  const seek = (delta) => { media.currentTime = Math.max(0, media.currentTime + delta); };
  const cycleCaptions = () => {
    const tracks = media.textTracks;
    let shown = -1;
    for (let i = 0; i < tracks.length; i++) if (tracks[i].mode === "showing") shown = i;
    for (let i = 0; i < tracks.length; i++) tracks[i].mode = "disabled";
    if (shown + 1 < tracks.length) tracks[shown + 1].mode = "showing";
  };
  media.addEventListener("keydown", (event) => {
    let handled = true;
    switch (event.key) {
      case " ": case "k": if (media.paused) media.play(); else media.pause(); break;
      case "ArrowLeft": seek(-5); break;
      case "ArrowRight": seek(5); break;
      case "j": seek(-10); break;
      case "l": seek(10); break;
      case "m": media.muted = !media.muted; break;
      case "c": cycleCaptions(); break;
      case "f": if (media.requestFullscreen) media.requestFullscreen(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });
}

// A fragment (or its initialisation section) the browser answered with status 0: refused by
// CORS, or the network is gone; either way progressive playback is the better bet.
function unreadable(data) {
  return data.details === "fragLoadError" && data.response !== undefined && data.response.code === 0;
}

class Stream {
  constructor(media) {
    this.media = media;
    // Taken out while a stream plays: a src attribute would hide them anyway, and hls.js
    // removes every <source> child when it attaches through a <source> of its own (Safari's
    // ManagedMediaSource). Put back on fallback.
    this.sources = Array.from(media.querySelectorAll("source"));
    this.hls = null;
    this.fallen = false;
  }

  mode() {
    const native = this.media.canPlayType(HLS_TYPE) !== "";
    const mse = window.ManagedMediaSource || window.MediaSource;
    if (native && (window.ManagedMediaSource || !mse)) return "native";
    if (mse && typeof mse.isTypeSupported === "function") return "hls.js";
    return native ? "native" : "progressive";
  }

  start(url, moduleUrl) {
    const mode = this.mode();
    if (mode === "progressive") {
      this.progressive();
      return;
    }
    // At once, before hls.js is even imported: a play() meanwhile waits for the stream
    // instead of starting the MP4. load() drops the source the browser had already picked
    // (preload="none" only suspended it).
    this.detachSources();
    this.media.load();
    if (mode === "native") this.native(url);
    else this.hlsjs(url, moduleUrl);
  }

  detachSources() {
    for (const source of this.sources) source.remove();
  }

  native(url) {
    this.media.dataset.playback = "native";
    this.media.addEventListener("error", () => this.fallBack(), { once: true });
    this.media.src = url;
    this.loadMetadata();
  }

  // The page came with preload="none" so that no <source> started loading before the choice;
  // set only once the element has a new resource (before, it would resume the source that
  // the browser had already picked).
  loadMetadata() {
    this.media.preload = "metadata";
  }

  async hlsjs(url, moduleUrl) {
    let Hls;
    try {
      ({ default: Hls } = await import(moduleUrl));
    } catch (_) {
      this.progressive();
      return;
    }
    if (!Hls.isSupported()) {
      this.progressive();
      return;
    }
    this.media.dataset.playback = "hls.js";
    const hls = (this.hls = new Hls({
      // The ladder writes fMP4, which hls.js passes through with little work: no transmuxing
      // worker, so the page's Content-Security-Policy allows no worker at all.
      enableWorker: false,
      // A phone-sized frame never downloads the 720p rung.
      capLevelToPlayerSize: true,
      // A playlist still being written (EVENT, while the ladder runs) is a lecture from its
      // start, not a live broadcast to join at its end.
      startPosition: 0,
    }));
    let recovered = false;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) {
        // Media bytes the browser withholds before anything played (status 0: another
        // origin without the CORS rule, see docs/deploying.md) never come: hls.js would
        // retry them for half a minute. A plain <video> load needs no CORS rule.
        if (unreadable(data) && !this.media.buffered.length) this.fallBack();
        return; // otherwise hls.js retries and switches levels by itself
      }
      // A fatal media error is often a decoder hiccup that one recovery fixes.
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true;
        hls.recoverMediaError();
        return;
      }
      this.fallBack();
    });
    // Play pressed while hls.js was being fetched: the new source would pause again.
    const wanted = !this.media.paused;
    hls.loadSource(url);
    hls.attachMedia(this.media);
    this.loadMetadata();
    if (wanted) this.media.play().catch(() => {});
  }

  // The stream failed: the progressive sources take over where it was.
  fallBack() {
    if (this.fallen) return;
    this.fallen = true;
    const media = this.media;
    const at = media.currentTime;
    const playing = !media.paused;
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    this.progressive();
    if (!this.sources.length) return;
    media.addEventListener("loadedmetadata", () => {
      if (at > 0) media.currentTime = at;
      if (playing) media.play().catch(() => {});
    }, { once: true });
  }

  // The <source> elements, back in place, load as the page had them.
  progressive() {
    const media = this.media;
    media.dataset.playback = "progressive";
    if (!this.sources.length) {
      // Nothing else to play yet (an upload still being processed): say so.
      const status = document.getElementById("player-status");
      if (status) status.textContent = "This media cannot be played yet. Please try again in a few minutes.";
      return;
    }
    media.removeAttribute("src");
    const firstTrack = media.querySelector("track");
    for (const source of this.sources) media.insertBefore(source, firstTrack);
    media.load();
    this.loadMetadata();
  }
}

if (media) {
  keyboard(media);
  if (media.dataset.hlsUrl) new Stream(media).start(media.dataset.hlsUrl, media.dataset.hlsModule);
}
