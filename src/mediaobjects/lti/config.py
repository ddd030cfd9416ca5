"""The Canvas developer-key JSON (``/lti/config.json``): what a Canvas admin pastes as a URL
when adding an LTI 1.3 key ("Enter URL"), so the placements, URLs and custom fields need no
typing. Other LMSs (Moodle) take the same URLs by hand (docs/lti.md). Pure: built from the
service's base URL and title."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

# Where the tool appears in Canvas, and what it is sent there. Deep linking picks media (the
# rich-content editor's button, a module item, an assignment); resource links open pages.
PLACEMENTS: tuple[tuple[str, str, str], ...] = (
    ("editor_button", "LtiDeepLinkingRequest", "Embed media"),
    ("link_selection", "LtiDeepLinkingRequest", "Add media"),
    ("assignment_selection", "LtiDeepLinkingRequest", "Add media"),
    ("course_navigation", "LtiResourceLinkRequest", "Course media"),
    ("user_navigation", "LtiResourceLinkRequest", "My media"),
)
# The picker's frame in Canvas's editor dialog.
SELECTION_WIDTH, SELECTION_HEIGHT = 800, 600


def launch_url(base: str) -> str:
    return f"{base}/lti/launch"


def login_url(base: str) -> str:
    return f"{base}/lti/login"


def jwks_url(base: str) -> str:
    return f"{base}/lti/jwks"


def canvas_config(base: str, title: str) -> dict[str, Any]:
    """The developer-key JSON for a service reached at ``base`` (no trailing slash)."""
    target = launch_url(base)
    placements = []
    for placement, message_type, text in PLACEMENTS:
        item: dict[str, Any] = {
            "placement": placement,
            "message_type": message_type,
            "target_link_uri": target,
            "text": f"{title}: {text}" if placement != "editor_button" else title,
        }
        if message_type == "LtiDeepLinkingRequest":
            item["selection_width"] = SELECTION_WIDTH
            item["selection_height"] = SELECTION_HEIGHT
        placements.append(item)
    return {
        "title": title,
        "description": (
            "Upload, caption and embed audio and video: pick media in the rich-content editor, "
            "as a module item or an assignment; students watch it in the page."
        ),
        "oidc_initiation_url": login_url(base),
        "target_link_uri": target,
        "public_jwk_url": jwks_url(base),
        # No LTI Advantage services are used yet (grades, rosters): none are asked for.
        "scopes": [],
        # Canvas's list of the contexts a course was copied from, so that media linked into a
        # course keeps playing in its copies.
        "custom_fields": {"context_history": "$Context.id.history"},
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "domain": urlsplit(base).hostname or "",
                "tool_id": "mediaobjects",
                # Names and email addresses are sent, so that people are matched to their
                # existing accounts (a registration's user_match_claim, default email).
                "privacy_level": "public",
                "settings": {"text": title, "placements": placements},
            }
        ],
    }
