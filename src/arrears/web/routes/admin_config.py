"""Collections Admin, *Configuration*: download the configuration as YAML (the stored one, or a version of it),
upload a document to see what applying it would change (a dry run: every change, every error), then apply it as
a new version, confirming what it removes. The document is the one ``arrears config export`` writes and
``arrears config apply`` reads; applying it is the same use case."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arrears.domain.access import Principal
from arrears.domain.errors import NotFound, ValidationFailed
from arrears.services import config, config_versions
from arrears.services.config import ApplyResult, RemovalsNeedConfirmation
from arrears.web.pages import render
from arrears.web.posted import MAX_PART_BYTES, Posted, PostedUpload, done
from arrears.web.routes.admin import admin_only
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)
YAML = "application/yaml; charset=utf-8"


@router.get("/admin/configuration")
def configuration(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """The configuration's versions, the download and the upload."""
    admin_only(principal)
    return render(request, "admin_config.html", {"versions": config_versions.versions(db)[:50]}, viewer=principal)


@router.get("/admin/configuration.yaml")
def download(principal: Viewer, db: DatabaseDep, version: int | None = None) -> Response:
    """The configuration as a YAML document (of ``version`` when given)."""
    admin_only(principal)
    try:
        text = config_versions.export_document(db, version)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    name = f"arrears-config-v{version}.yaml" if version is not None else "arrears-config.yaml"
    return Response(text, media_type=YAML, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _preview(request: Request, principal: Principal, text: str, file_name: str, result: ApplyResult,
             status: int = 200) -> Response:  # fmt: skip
    context = {"result": result, "text": text, "file_name": file_name, "digest": _digest(text),
               "removed": [str(change) for change in result.removed]}  # fmt: skip
    return render(request, "admin_config_preview.html", context, viewer=principal, status=status)


@router.post("/admin/configuration/preview")
def preview(request: Request, upload: PostedUpload, principal: Viewer, db: DatabaseDep) -> Response:
    """What applying the uploaded document would change, or every error that stops it; nothing is written."""
    admin_only(principal)
    if upload.content is None:
        raise PageRefused(422, "Choose a YAML document to upload.")
    if len(upload.content) > MAX_PART_BYTES:
        raise PageRefused(422, f"The document is larger than {MAX_PART_BYTES // (1024 * 1024)} MB.")
    try:
        text = upload.content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PageRefused(422, f"{upload.file_name} is not UTF-8 text (byte {error.start}).") from error
    result = config.apply_document(db, text, upload.file_name, dry_run=True, actor=principal.login)
    return _preview(request, principal, text, upload.file_name, result, 200 if result.ok else 422)


@router.post("/admin/configuration/apply")
def apply(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Apply the previewed document as a new configuration version (its removals confirmed on the preview)."""
    admin_only(principal)
    text, file_name = str(form.values.get("document", "")), form.text("file_name") or "<upload>"
    if form.text("digest") != _digest(text):
        raise PageRefused(422, "The document is not the one previewed: upload it again.")
    try:
        result = config.apply_document(db, text, file_name, actor=principal.login,
                                       confirm=form.checked("confirm_removals"))  # fmt: skip
    except RemovalsNeedConfirmation as needed:
        return _preview(request, principal, text, file_name, needed.preview, 422)
    except ValidationFailed as refused:
        raise PageRefused(422, str(refused)) from refused
    if not result.ok:
        return _preview(request, principal, text, file_name, result, 422)
    if result.version is None:
        return done(request, "/admin/configuration", f"{file_name} changes nothing: the configuration is the same.")
    return done(request, "/admin/configuration", f"{file_name} applied: configuration version {result.version} "
                f"({len(result.changes)} changes).")  # fmt: skip
