"""The JSON API (FastAPI) under ``/api/v1``: routers that call the use cases of :mod:`arrears.services` and
return the schemas of :mod:`arrears.api.schemas`, never rows. ``arrears serve`` runs it on uvicorn."""
