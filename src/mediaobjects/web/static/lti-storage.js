// LTI platform storage for the login state (1EdTech "LTI Client Side postMessages" and
// "postMessage Storage", as Canvas implements lti.put_data and lti.get_data), for browsers
// that keep no cookie for this service inside the LMS's iframe. The page
// (lti/platform_storage.py) says what to do in the data-* attributes of #lti-storage:
//   step    "login": go on to the platform's authorization URL (data-next) if a cookie
//           sticks here; if not, put the binding into platform storage first; with
//           neither, show the fallback ("Open in a new tab").
//           "launch": get the binding back and re-post the launch form with it; with
//           nothing stored or no answer, show the fallback.
//   frame   lti_storage_target: "_parent" or the name of a frame beside this one.
//   origin  the platform's OIDC authorization origin: every message's target origin, and
//           the only origin whose answers count.
//   key, value, timeout (ms), cookie-path.

const root = document.getElementById("lti-storage");

// The window that answers for the platform, or null (not framed: a top-level tab has no
// platform to ask and keeps first-party cookies).
export function storageWindow(frame) {
  if (!frame || window.parent === window) {
    return null;
  }
  try {
    return frame === "_parent" ? window.parent : window.parent.frames[frame] || null;
  } catch {
    return null;
  }
}

function messageId() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Sends one message and resolves with its answer: only from the window asked, at the
// platform's origin, naming this request's message_id. Anyone else framing the tool could
// otherwise answer for the platform; a platform that does not understand the message never
// answers, hence the timeout. An answer carrying an error rejects.
export function ask(target, origin, message, timeoutMs) {
  const id = messageId();
  const subject = `${message.subject}.response`;
  return new Promise((resolve, reject) => {
    let timer = 0;
    const listen = (event) => {
      const data = event.data;
      if (event.source !== target || event.origin !== origin) {
        return;
      }
      if (!data || typeof data !== "object" || data.subject !== subject || data.message_id !== id) {
        return;
      }
      clearTimeout(timer);
      window.removeEventListener("message", listen);
      if (data.error) {
        reject(new Error(`${message.subject}: ${data.error.code || "error"}`));
      } else {
        resolve(data);
      }
    };
    timer = setTimeout(() => {
      window.removeEventListener("message", listen);
      reject(new Error(`${message.subject}: no answer`));
    }, timeoutMs);
    window.addEventListener("message", listen);
    try {
      target.postMessage({ ...message, message_id: id }, origin);
    } catch (error) {
      clearTimeout(timer);
      window.removeEventListener("message", listen);
      reject(error);
    }
  });
}

// Whether this frame keeps a cookie at all: a short-lived probe with the login cookie's
// attributes (scripts cannot read that one, it is HttpOnly).
function cookieSticks(path) {
  const name = "mediaobjects_lti_probe";
  const attributes = `; Path=${path}; Secure; SameSite=None; Partitioned`;
  try {
    document.cookie = `${name}=1; Max-Age=60${attributes}`;
    const kept = document.cookie.split("; ").includes(`${name}=1`);
    document.cookie = `${name}=; Max-Age=0${attributes}`;
    return kept;
  } catch {
    return false;
  }
}

function showFallback() {
  root.querySelector(".lti-working")?.setAttribute("hidden", "");
  if (window.parent === window) {
    // Already a tab of its own (the new tab): another one would fare no better.
    root.querySelector(".lti-framed").hidden = true;
    root.querySelector(".lti-top-level").hidden = false;
  }
  root.querySelector(".lti-fallback").hidden = false;
}

async function login() {
  const { frame, origin, key, value, next } = root.dataset;
  const timeout = Number(root.dataset.timeout);
  // The cookie first: where it sticks, the launch needs nothing else, and the LMS keeps
  // nothing (Canvas keeps platform storage in its localStorage, which nothing expires).
  if (cookieSticks(root.dataset.cookiePath)) {
    window.location.replace(next);
    return;
  }
  let stored = false;
  const target = storageWindow(frame);
  if (target && origin) {
    try {
      await ask(target, origin, { subject: "lti.put_data", key, value }, timeout);
      stored = true;
    } catch {
      stored = false;
    }
  }
  if (stored) {
    window.location.replace(next);
  } else {
    showFallback();
  }
}

async function launch() {
  const { frame, origin, key } = root.dataset;
  const timeout = Number(root.dataset.timeout);
  const form = document.getElementById("lti-storage-form");
  const target = storageWindow(frame);
  if (!target || !origin) {
    showFallback();
    return;
  }
  let answer;
  try {
    answer = await ask(target, origin, { subject: "lti.get_data", key }, timeout);
  } catch {
    showFallback();
    return;
  }
  if (typeof answer.value !== "string" || answer.value === "") {
    showFallback();
    return;
  }
  form.elements.namedItem(form.dataset.bindingField).value = answer.value;
  // The key is single-use, like the state it belongs to: remove it (Canvas removes a key
  // put without a value) rather than leave it to fill the platform's small quota. The
  // answer is not awaited: the launch goes on either way.
  target.postMessage({ subject: "lti.put_data", key, value: null, message_id: messageId() }, origin);
  form.submit();
}

if (root?.dataset.step === "login") {
  login();
} else if (root?.dataset.step === "launch") {
  launch();
}
