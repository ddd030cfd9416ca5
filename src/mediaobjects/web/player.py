"""The player page behind ``embedded_iframe_url``: an HTML5 <video> (or <audio>) with every
rendition as a <source> and every caption track as a <track>, the default track chosen from the
viewer's Accept-Language, operable from the keyboard. Every value is escaped; no TTML or HTML
from users reaches the page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from importlib.resources import files as resource_files
from string import Template

from mediaobjects.captions import DEFAULT_KIND, KINDS, locale_label
from mediaobjects.captions.locales import preferred_locale

_TEMPLATE = Template(
    resource_files("mediaobjects.web").joinpath("templates/player.html").read_text()
)

# Keys: space/k play-pause, arrows seek 5 s, j/l 10 s, m mute, c cycles captions, f full screen.
_SCRIPT = """
(function () {
  var media = document.getElementById("media");
  if (!media) { return; }
  // Opened on its own, the player takes the keyboard; framed (the media page, a course page)
  // it leaves focus where the embedding page has it.
  if (window.self === window.top) { media.focus(); }
  function seek(delta) { media.currentTime = Math.max(0, media.currentTime + delta); }
  function cycleCaptions() {
    var tracks = media.textTracks, shown = -1, i;
    for (i = 0; i < tracks.length; i++) { if (tracks[i].mode === "showing") { shown = i; } }
    for (i = 0; i < tracks.length; i++) { tracks[i].mode = "disabled"; }
    if (shown + 1 < tracks.length) { tracks[shown + 1].mode = "showing"; }
  }
  media.addEventListener("keydown", function (event) {
    var handled = true;
    switch (event.key) {
      case " ": case "k": if (media.paused) { media.play(); } else { media.pause(); } break;
      case "ArrowLeft": seek(-5); break;
      case "ArrowRight": seek(5); break;
      case "j": seek(-10); break;
      case "l": seek(10); break;
      case "m": media.muted = !media.muted; break;
      case "c": cycleCaptions(); break;
      case "f": if (media.requestFullscreen) { media.requestFullscreen(); } break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });
})();
"""


@dataclass(frozen=True)
class PlayerSource:
    url: str
    content_type: str


@dataclass(frozen=True)
class PlayerTrack:
    url: str
    kind: str
    locale: str


def render_player(
    *,
    title: str,
    media_type: str,
    processing_state: str,
    processing_error: str | None,
    poster_url: str | None,
    sources: list[PlayerSource],
    tracks: list[PlayerTrack],
    accept_language: str | None,
    nonce: str,
) -> str:
    """The page's HTML. ``nonce`` is the Content-Security-Policy nonce of this response: the
    page's one style and script element carry it, and no other script can run."""
    # Sources, not the state, decide: a browser-safe upload is listed (and plays) while the
    # ladder runs, and stays when the ladder failed.
    if not sources:
        if processing_state == "failed":
            message = "This media could not be processed: " + (processing_error or "unknown error")
        else:
            message = "This media is still being processed. Please try again in a few minutes."
        body = f'<p class="status" role="status">{escape(message)}</p>'
        return _TEMPLATE.substitute(
            lang="en", title=escape(title), body=body, script="", nonce=escape(nonce)
        )
    default = preferred_locale(accept_language, [t.locale for t in tracks])
    element = "audio" if media_type.startswith("audio") else "video"
    attributes = [
        'id="media"',
        "controls",
        'preload="metadata"',
        'tabindex="0"',
        f'aria-label="{escape(title)}"',
        'aria-describedby="player-help"',
    ]
    if poster_url and element == "video":
        attributes.append(f'poster="{escape(poster_url)}"')
    lines = [f"<{element} {' '.join(attributes)}>"]
    for source in sources:
        lines.append(f'  <source src="{escape(source.url)}" type="{escape(source.content_type)}">')
    for track in tracks:
        is_default = " default" if track.locale == default else ""
        kind = track.kind if track.kind in KINDS else DEFAULT_KIND
        lines.append(
            f'  <track kind="{kind}" src="{escape(track.url)}" srclang="{escape(track.locale)}"'
            f' label="{escape(locale_label(track.locale))}"{is_default}>'
        )
    lines.append("  Your browser cannot play this media.")
    lines.append(f"</{element}>")
    lines.append(
        '<p id="player-help" class="help">Space or K plays and pauses; arrow keys seek five '
        "seconds, J and L ten; M mutes; C changes captions; F is full screen.</p>"
    )
    return _TEMPLATE.substitute(
        lang="en",
        title=escape(title),
        body="\n".join(lines),
        script=f'<script nonce="{escape(nonce)}">{_SCRIPT}</script>',
        nonce=escape(nonce),
    )
