"""Caption reports: per-track quality summaries kept up to date with every track and media
change, and the course and account caption reports built on them in one query."""
