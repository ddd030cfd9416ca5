"""The HTTP edge: authentication (token -> principal), Canvas parameter parsing, pagination,
responses, and the error envelopes (the only place exceptions become responses)."""
