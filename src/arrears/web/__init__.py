"""The web pages: server-rendered (Jinja2) with light progressive enhancement (htmx), served by the same process
as the API and calling the same use cases; every asset ships in the package."""
