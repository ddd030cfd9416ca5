"""HTML pages: the player iframe; Home and the media libraries (Jinja2, web.pages); the media
page and caption editor later."""
