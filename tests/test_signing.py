"""Signed tokens: expiring ones end at their time; permanent ones (embeds) are accepted only
where the caller allows them, cannot be made from an expiring one or the reverse, and die with
the secret key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediaobjects.signing import Signer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_expiring_token_ends_at_its_time() -> None:
    signer = Signer("k")
    token = signer.sign("p", "s", NOW + timedelta(seconds=60))
    assert signer.verify("p", "s", token, NOW)
    assert not signer.verify("p", "s", token, NOW + timedelta(seconds=60))
    assert not signer.verify("p", "other", token, NOW)
    assert not signer.verify("other", "s", token, NOW)


def test_permanent_token_needs_allow_permanent() -> None:
    signer = Signer("k")
    token = signer.sign("p", "s", None)
    assert token.startswith("never.")
    assert signer.verify("p", "s", token, NOW + timedelta(days=36500), allow_permanent=True)
    assert not signer.verify("p", "s", token)
    assert not signer.verify("p", "other", token, allow_permanent=True)


def test_expiring_and_permanent_tokens_cannot_be_rewritten_into_each_other() -> None:
    signer = Signer("k")
    expiring = signer.sign("p", "s", NOW + timedelta(seconds=60))
    permanent = signer.sign("p", "s", None)
    made_permanent = "never." + expiring.split(".", 1)[1]
    made_expiring = "9999999999." + permanent.split(".", 1)[1]
    assert not signer.verify("p", "s", made_permanent, NOW, allow_permanent=True)
    assert not signer.verify("p", "s", made_expiring, NOW, allow_permanent=True)


def test_a_new_secret_key_revokes_permanent_tokens() -> None:
    token = Signer("old").sign("p", "s", None)
    assert not Signer("new").verify("p", "s", token, allow_permanent=True)


def test_garbage_is_refused_not_raised() -> None:
    signer = Signer("k")
    for token in ("", ".", "never", "never.é", "1.é", "é.x", "1" * 13 + ".x"):
        assert not signer.verify("p", "s", token, NOW, allow_permanent=True)
