// Where the caption editor's cues come from and go: the API (the browser's session cookie, and
// the page's CSRF token as X-CSRF-Token on writes: the page never holds an access token), and
// the draft kept in localStorage so that unsaved work survives a reload, a crash or a closed
// tab. A draft is keyed by user, media, track and the version it was based on, so that a draft
// of an older version is never mistaken for one of the current, and one person's unsaved work
// is never restored as another's on a shared computer (it would then be saved in their name).

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    const first = body && Array.isArray(body.errors) && body.errors[0];
    super((first && first.message) || (body && body.message) || `The server answered ${status}.`);
    this.status = status;
    this.body = body || {};
  }
}

export async function request(method, url, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, { message: "The server could not be reached: check your connection and save again." });
  }
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// ---- drafts ----------------------------------------------------------------------------------

const PREFIX = "mediaobjects:caption-draft:";
// Drafts nobody came back to for this long are dropped (of any track), so that a browser used
// for years does not fill its storage with them.
const KEEP_MS = 30 * 24 * 3600 * 1000;

export function pruneDrafts(now = Date.now()) {
  try {
    const old = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (!key || !key.startsWith(PREFIX)) continue;
      let savedAt = 0;
      try { savedAt = JSON.parse(localStorage.getItem(key)).saved_at || 0; } catch (error) { savedAt = 0; }
      if (now - savedAt > KEEP_MS) old.push(key);
    }
    for (const key of old) localStorage.removeItem(key);
  } catch (error) {
    // No storage: nothing to prune.
  }
}

export class Drafts {
  // `user`: the signed-in user's id; `track`: the track id, or "new:<locale>" before the
  // track exists.
  constructor(user, mediaId, track) {
    this.scope = `${PREFIX}${user}:${encodeURIComponent(mediaId)}:${track}:`;
    this.works = true;
  }

  key(baseVersion) { return this.scope + (baseVersion ?? "none"); }

  // Every draft of this track, newest first: [{key, base, saved_at, cues}].
  all() {
    const found = [];
    try {
      for (let i = 0; i < localStorage.length; i += 1) {
        const key = localStorage.key(i);
        if (!key || !key.startsWith(this.scope)) continue;
        try {
          const value = JSON.parse(localStorage.getItem(key));
          if (value && Array.isArray(value.cues)) found.push({ key, ...value });
        } catch (error) {
          localStorage.removeItem(key);
        }
      }
    } catch (error) {
      this.works = false;
    }
    return found.sort((a, b) => b.saved_at - a.saved_at);
  }

  write(baseVersion, cues, extra = {}) {
    try {
      localStorage.setItem(this.key(baseVersion), JSON.stringify({
        base: baseVersion ?? null, saved_at: Date.now(), cues, ...extra,
      }));
      this.works = true;
    } catch (error) {
      // Storage full or switched off: the person is told that nothing is kept.
      this.works = false;
    }
    return this.works;
  }

  clear() {
    try {
      for (const draft of this.all()) localStorage.removeItem(draft.key);
    } catch (error) {
      this.works = false;
    }
  }

  remove(key) {
    try { localStorage.removeItem(key); } catch (error) { this.works = false; }
  }
}
