from django.urls import path, register_converter

from applications.views import documents, info, records, registration

app_name = "applications"


class CodeConverter:
    """Registration numbers, 信息填报 references and verification codes are letters and digits:
    any other text names no record and is a 404 before any query (PostgreSQL refuses a NUL
    byte in a query outright, with an error rather than no row)."""

    regex = "[0-9A-Za-z]{1,40}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")

urlpatterns = [
    path("plans/<int:plan_id>/info/", info.info, name="info"),
    path("plans/<int:plan_id>/info/edit/", info.fill, name="fill"),
    path("plans/<int:plan_id>/info/save/", info.save_draft, name="save_draft"),
    path("plans/<int:plan_id>/info/members/add/", info.add_member, name="add_member"),
    path(
        "plans/<int:plan_id>/info/members/<int:index>/remove/",
        info.remove_member,
        name="remove_member",
    ),
    path(
        "plans/<int:plan_id>/info/members/<int:position>/confirm-remove/",
        info.confirm_remove_member,
        name="confirm_remove_member",
    ),
    path("plans/<int:plan_id>/info/documents/", info.upload, name="upload"),
    path(
        "plans/<int:plan_id>/info/documents/blocks/",
        info.document_blocks_view,
        name="document_blocks",
    ),
    path(
        "plans/<int:plan_id>/info/documents/<int:document_id>/remove/",
        info.remove_document,
        name="remove_document",
    ),
    path("plans/<int:plan_id>/info/<code:reference>/", info.submitted, name="submitted"),
    path("plans/<int:plan_id>/register/", registration.register, name="register"),
    path("records/", records.records, name="records"),
    path("records/<code:number>/", records.record, name="record"),
    path("records/<code:number>/registered/", registration.registered, name="registered"),
    path("records/<code:number>/pdf/", records.record_pdf, name="record_pdf"),
    path("records/<code:number>/cancel/", records.cancel, name="cancel"),
    path("documents/<int:document_id>/", documents.document, name="document"),
    path("documents/<int:document_id>/thumbnail/", documents.thumbnail, name="document_thumbnail"),
    path("verify/<code:code>/", records.verify, name="verify"),
]
