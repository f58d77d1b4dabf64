"""Evidence downloads: every uploaded file URL is served here, after a permission check."""

from pathlib import PurePath

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from replies.models import CommitmentUpdate

EVIDENCE_CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}


@require_safe
def evidence_file(request, name: str):
    """Every uploaded file URL (``FieldFile.url``, in the admin and templates alike) lands
    here: nothing under MEDIA_URL is served raw, in development or in production.

    Files nobody may see, and files no update refers to, are a 404, as for the public
    pages: a draft does not exist for the public.
    """
    # Evidence of a published reply is public; of a draft, for those who may read the
    # draft (the office, the owning department's clerk, the proposal's proposers).
    update = (
        CommitmentUpdate.objects.visible_to(request.user)
        .select_related("commitment__reply")
        .filter(attachment=name)
        .order_by("pk")
        .first()
    )
    if update is None:
        raise Http404(_("没有找到这份佐证材料。"))
    try:
        handle = update.attachment.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404(_("没有找到这份佐证材料。")) from error
    filename = PurePath(update.attachment.name).name
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=EVIDENCE_CONTENT_TYPES.get(
            PurePath(filename).suffix.lower(), "application/octet-stream"
        ),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened in a tab after all, the file may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if not update.commitment.reply.is_published:
        patch_cache_control(response, private=True, no_store=True)
    return response
