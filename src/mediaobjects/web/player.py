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
from mediaobjects.web.templating import static_url

_TEMPLATE = Template(
    resource_files("mediaobjects.web").joinpath("templates/player.html").read_text()
)

# The page's script (keyboard, HLS with its fallbacks) and the hls.js build it imports when
# the browser needs it; both under /static/ with content-hashed URLs.
_SCRIPT = "player.js"
_HLS_MODULE = "vendor/hls.light.min.mjs"
# The page of media with nothing to play yet: it reloads once something plays.
_WAITING_SCRIPT = "player-waiting.js"


def player_headers(nonce: str) -> dict[str, str]:
    """The page's headers. It is meant to be framed by the LMS. It runs its own script and
    style only: both carry this response's nonce (the script's imports inherit it), so nothing
    injected into the page could run, and no worker may start (hls.js runs without one).
    Media may come from elsewhere (S3 presigned URLs the source routes redirect to), and
    hls.js fetches the same playlists and segments with XHR, so ``connect-src`` allows what
    ``media-src`` does; ``blob:`` is the MediaSource object URL hls.js plays through."""
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "media-src 'self' https: http: blob:; img-src 'self' https: http:; "
        "connect-src 'self' https: http:; base-uri 'none'; form-action 'none'"
    )
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": policy,
    }


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
    hls_url: str | None = None,
) -> str:
    """The page's HTML. ``nonce`` is the Content-Security-Policy nonce of this response: the
    page's one style and script element carry it, and no other script can run. ``hls_url``:
    the media's HLS master playlist, played (natively, else with hls.js) in preference to the
    sources, which stay as the fallback; None plays the sources alone."""
    # Sources and the stream, not the state, decide: a browser-safe upload is listed (and
    # plays) while the ladder runs, and stays when the ladder failed; an upload that is not
    # browser-safe streams its first rendition while it is written.
    if not sources and not hls_url:
        script = ""
        if processing_state == "failed":
            message = "This media could not be processed: " + (processing_error or "unknown error")
            body = f'<p class="status" role="status">{escape(message)}</p>'
        else:
            # The page asks for itself again now and then and shows the player as soon as
            # something plays (an early stream within seconds for most uploads): a student who
            # opened it too early need not come back.
            message = (
                "This media is still being processed. It will appear here as soon as it can "
                "be played."
            )
            # player-waiting.js looks for " data-waiting>" in the page it fetches: escaped
            # text never holds a ">", so a title with the word is not taken for the marker.
            body = f'<p class="status" role="status" data-waiting>{escape(message)}</p>'
            script = _script_tag(_WAITING_SCRIPT, nonce)
        return _TEMPLATE.substitute(
            lang="en", title=escape(title), body=body, script=script, nonce=escape(nonce)
        )
    default = preferred_locale(accept_language, [t.locale for t in tracks])
    element = "audio" if media_type.startswith("audio") else "video"
    attributes = [
        'id="media"',
        "controls",
        # With a stream to try, nothing loads before the script has chosen how to play (it
        # sets "metadata" then); a browser without the script loads the sources on play.
        'preload="none"' if hls_url else 'preload="metadata"',
        'tabindex="0"',
        f'aria-label="{escape(title)}"',
        'aria-describedby="player-help"',
    ]
    if poster_url and element == "video":
        attributes.append(f'poster="{escape(poster_url)}"')
    if hls_url:
        attributes.append(f'data-hls-url="{escape(hls_url)}"')
        attributes.append(f'data-hls-module="{escape(static_url(_HLS_MODULE))}"')
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
    if hls_url:
        # Where the script says that nothing can play yet, when the stream fails and there
        # is no source to fall back to.
        lines.append('<p id="player-status" class="status" role="status"></p>')
    script = _script_tag(_SCRIPT, nonce)
    return _TEMPLATE.substitute(
        lang="en",
        title=escape(title),
        body="\n".join(lines),
        script=script,
        nonce=escape(nonce),
    )


def _script_tag(name: str, nonce: str) -> str:
    return (
        f'<script type="module" nonce="{escape(nonce)}" src="{escape(static_url(name))}"></script>'
    )
