// The player page of media with nothing to play yet (web/player.py): it asks for itself again,
// less and less often, and reloads once the answer is a player (an early stream, a source) or
// says that processing failed, so that whoever opened it too early sees the media appear. The
// status paragraph is a live region: the new page's is announced in turn. It stops asking after
// a few hours (the page then says to reload it).
const FIRST_DELAY = 4000;
const LONGEST_DELAY = 30000;
const GIVE_UP_AFTER = 4 * 3600 * 1000;
const started = Date.now();
let delay = FIRST_DELAY;

async function stillWaiting() {
  try {
    const response = await fetch(location.href, { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) return true; // a verifier that expired, the server restarting: ask again
    // The marker as the attribute it is (the page escapes every ">" of its text), not as a
    // word the media's title may contain. (DOMParser would do, but Chromium reports its inert
    // copy's inline styles as violations of the page's CSP.)
    return (await response.text()).includes(" data-waiting>");
  } catch (_) {
    return true; // offline for a moment
  }
}

async function check() {
  if (!(await stillWaiting())) {
    location.reload();
    return;
  }
  if (Date.now() - started > GIVE_UP_AFTER) {
    const status = document.querySelector("[data-waiting]");
    if (status) status.textContent = "This media is still being processed. Reload this page to check again.";
    return;
  }
  delay = Math.min(delay * 1.5, LONGEST_DELAY);
  setTimeout(check, delay);
}

setTimeout(check, FIRST_DELAY);
