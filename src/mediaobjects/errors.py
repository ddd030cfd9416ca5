"""The domain exception tree: every error a service can raise, each with an HTTP status and a
stable code. Services raise these; only ``mediaobjects.http.errors`` turns them into responses.

    MediaObjectsError
    ├── BadRequest            400  bad_request        (a parameter is missing or malformed)
    │   ├── BadRequestMessage 400  bad_request        (rendered as Canvas's bare {"message": ...})
    │   └── BadRequestError   400  bad_request        (rendered as Canvas's bare {"error": ...})
    ├── Unauthenticated       401  unauthenticated    (no valid credentials; see InvalidToken)
    │   └── InvalidToken      401  invalid_token      (unknown, expired or revoked token)
    ├── Forbidden             403  unauthorized       (authenticated but not allowed)
    │   └── CsrfRejected      403  unauthorized       (web session cookie without its CSRF token)
    ├── NotFound              404  not_found
    ├── Conflict              409  conflict
    │   └── ConflictError     409  conflict           (rendered as Canvas's bare {"error": ...})
    ├── PayloadTooLarge       413  payload_too_large
    ├── UnprocessableEntity   422  unprocessable      (validation of a resource failed)
    │   └── UnprocessableError 422 unprocessable      (rendered as Canvas's bare {"error": ...})
    ├── TooManyRequests       429  too_many_requests  (a rate limit; carries retry_after seconds)
    │   └── ServerBusy        429  server_busy        (every picture-drawing slot stayed busy)
    └── ServiceUnavailable    503  service_unavailable (a dependency did not answer; Retry-After)
        ├── StorageFailure    503  storage_unavailable (the storage backend failed)
        └── DatabaseUnavailable 503 database_unavailable (the database did not answer)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a request, as listed in a Canvas 400/422 envelope.

    ``line`` and ``cue`` place a problem inside caption content (1-based line of the upload,
    1-based cue position); None leaves them out of the envelope."""

    field: str | None
    message: str
    error_code: str = "invalid"
    index: int | None = None
    line: int | None = None
    cue: int | None = None


class MediaObjectsError(Exception):
    status_code: int = 500
    code: str = "internal_server_error"
    default_message: str = "An error occurred."

    def __init__(self, message: str | None = None, *, errors: list[FieldError] | None = None):
        self.message = message or self.default_message
        self.errors: list[FieldError] = errors or []
        super().__init__(self.message)


class BadRequest(MediaObjectsError):
    status_code = 400
    code = "bad_request"
    default_message = "The request is malformed."

    @classmethod
    def for_field(cls, field_name: str, message: str, code: str = "invalid") -> BadRequest:
        return cls(message, errors=[FieldError(field_name, message, code)])


class BadRequestMessage(BadRequest):
    """A 400 whose body is Canvas's bare ``{"message": ...}``, kept where clients expect it
    (a blank retitle, canvas-media-api.md §2.2)."""


class ErrorString:
    """Mixin: the error is rendered as Canvas's bare ``{"error": "message"}``, the envelope of
    its automatic-captions action (canvas-media-api.md §4, ``create_asr``)."""


class BadRequestError(ErrorString, BadRequest):
    pass


class Unauthenticated(MediaObjectsError):
    status_code = 401
    code = "unauthenticated"
    default_message = "user authorization required"


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    default_message = "Invalid access token."


class Forbidden(MediaObjectsError):
    status_code = 403
    code = "unauthorized"
    default_message = "user not authorized to perform that action"


class CsrfRejected(Forbidden):
    """A state-changing request authenticated by the web session cookie that did not carry
    the session's CSRF token (``X-CSRF-Token``, or a form's ``authenticity_token``)."""

    default_message = "Invalid or missing CSRF token (send it in the X-CSRF-Token header)."


class NotFound(MediaObjectsError):
    status_code = 404
    code = "not_found"
    default_message = "The specified resource does not exist."


class Conflict(MediaObjectsError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state of the resource."


class ConflictError(ErrorString, Conflict):
    pass


class PayloadTooLarge(MediaObjectsError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnprocessableEntity(MediaObjectsError):
    status_code = 422
    code = "unprocessable"
    default_message = "The request could not be processed."


class UnprocessableError(ErrorString, UnprocessableEntity):
    pass


class TooManyRequests(MediaObjectsError):
    """A caller went past a rate limit; ``retry_after`` is the whole number of seconds after
    which the same request will be accepted (sent as the ``Retry-After`` header)."""

    status_code = 429
    code = "too_many_requests"
    default_message = "Too many requests; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(message)


class ServerBusy(TooManyRequests):
    """Every slot for drawing pictures stayed busy for as long as a request may wait.

    429 rather than 503 (decision): the server is healthy and shedding load on purpose; load
    balancers that eject a backend after a run of 5xx would otherwise turn a burst of
    thumbnail requests into an outage."""

    code = "server_busy"
    default_message = "The server is busy drawing other pictures; try again shortly."


class ServiceUnavailable(MediaObjectsError):
    """Something the request needs (the database, the file storage, the job queue) did not
    answer. 503 with ``Retry-After``: the outage is the server's, the request was fine, and
    the same request succeeds once the dependency is back (the processes recover by
    themselves). ``retry_after`` None: the server's configured value."""

    status_code = 503
    code = "service_unavailable"
    default_message = "The service is temporarily unavailable; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        self.retry_after = None if retry_after is None else max(1, retry_after)
        super().__init__(message)


class StorageFailure(ServiceUnavailable):
    code = "storage_unavailable"
    default_message = "The file storage is unavailable; try again later."


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    default_message = "The database is unavailable; try again later."


__all__ = [
    "BadRequest",
    "BadRequestError",
    "BadRequestMessage",
    "Conflict",
    "ConflictError",
    "CsrfRejected",
    "DatabaseUnavailable",
    "ErrorString",
    "FieldError",
    "Forbidden",
    "InvalidToken",
    "MediaObjectsError",
    "NotFound",
    "PayloadTooLarge",
    "ServerBusy",
    "ServiceUnavailable",
    "StorageFailure",
    "TooManyRequests",
    "Unauthenticated",
    "UnprocessableEntity",
    "UnprocessableError",
]
