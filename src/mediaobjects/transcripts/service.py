"""Rules of transcript search: who may search where (the media list's rules: read_contents in
a course or group, the caller's own files for ``users/self``), the query, paging, and each
found cue's text with the searched words marked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import MANAGE_FILES_EDIT, READ_CONTENTS, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions.folding import highlight
from mediaobjects.errors import Forbidden
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.transcripts import repository as repo
from mediaobjects.transcripts.query import parse_query

# A row shows at most this many of its track's matching cues (the first, in time order);
# ``match_count`` says how many there are.
MAX_CUES_PER_ROW = 20
# A found cue's text is cut to this many characters (with "…"): real cues hold two lines of
# about 40, but one cue may hold a whole 2 MB track, and a page of 100 rows of 20 such cues
# was 400 MB of JSON (and 130 s of highlighting) for one search.
MAX_CUE_TEXT = 1000
# No page is that far; past it the database's OFFSET would overflow.
MAX_OFFSET = 10**12


@dataclass(frozen=True)
class FoundCue:
    start_ms: int
    end_ms: int
    text: str
    highlighted: str


@dataclass(frozen=True)
class FoundTrack:
    """One row of the results: a track of a media object with matching cues."""

    media_object: MediaObject
    track_id: int
    locale: str
    kind: str
    match_count: int
    cues: list[FoundCue]
    # The track was made by speech recognition (its words may be wrong): ``asr`` in the JSON.
    asr: bool = False


@dataclass(frozen=True)
class SearchPage:
    rows: list[FoundTrack]
    total: int
    page: int
    per_page: int


def search_captions(
    session: Session,
    principal: Principal,
    *,
    context: Context | None,
    q: str | None,
    page: int,
    per_page: int,
) -> SearchPage:
    """One page of the tracks whose cues hold every word and phrase of ``q``, among the media
    the caller may see in ``context`` (None: the caller's own files), as the media list finds
    them. Permission is checked before ``q`` is read."""
    user = authentication.require_user(principal)
    if context is None:
        scope_type, scope_id, include_restricted = "User", user.id, True
    else:
        rights = access.permissions_in(session, principal, context)
        if READ_CONTENTS not in rights:
            raise Forbidden()
        scope_type, scope_id = context.type, context.id
        include_restricted = MANAGE_FILES_EDIT in rights
    query = parse_query(q)
    offset = (page - 1) * per_page
    phrases, match = query.phrases(), query.fts5_match()
    tracks = []
    if offset <= MAX_OFFSET:
        tracks = repo.matched_tracks(
            session,
            phrases=phrases,
            fts5_match=match,
            context_type=scope_type,
            context_id=scope_id,
            include_restricted=include_restricted,
            limit=per_page,
            offset=offset,
        )
    if not tracks:
        # Past the last page the total is still wanted for the Link header's last page.
        total = 0
        if page > 1:
            total = repo.count_matched_tracks(
                session,
                phrases=phrases,
                fts5_match=match,
                context_type=scope_type,
                context_id=scope_id,
                include_restricted=include_restricted,
            )
        return SearchPage(rows=[], total=total, page=page, per_page=per_page)
    track_ids = [track.track_id for track in tracks]
    cues: dict[int, list[FoundCue]] = {track_id: [] for track_id in track_ids}
    marked = query.words
    for cue in repo.matched_cues(
        session,
        phrases=phrases,
        fts5_match=match,
        track_ids=track_ids,
        per_track=MAX_CUES_PER_ROW,
        text_chars=MAX_CUE_TEXT + 1,
    ):
        text = cue.text
        if len(text) > MAX_CUE_TEXT:
            text = text[:MAX_CUE_TEXT] + "…"
        cues[cue.track_id].append(FoundCue(cue.start_ms, cue.end_ms, text, highlight(text, marked)))
    media = repo.media_objects_by_id(session, sorted({track.media_object_id for track in tracks}))
    automatic = repo.automatic_track_ids(session, track_ids)
    rows = [
        FoundTrack(
            media_object=media[track.media_object_id],
            track_id=track.track_id,
            locale=track.locale,
            kind=track.kind,
            match_count=track.hits,
            cues=cues[track.track_id],
            asr=track.track_id in automatic,
        )
        for track in tracks
    ]
    return SearchPage(rows=rows, total=tracks[0].total, page=page, per_page=per_page)
