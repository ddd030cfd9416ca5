"""A course's media settings: whether new media is captioned automatically, and in which
language (``PUT /api/v1/courses/:course_id/media_settings``), and the rule that acts on it."""
