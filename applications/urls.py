from django.urls import path

from applications.views import documents, info, records, registration

app_name = "applications"

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
    path("plans/<int:plan_id>/info/documents/", info.upload, name="upload"),
    path(
        "plans/<int:plan_id>/info/documents/<int:document_id>/remove/",
        info.remove_document,
        name="remove_document",
    ),
    path("plans/<int:plan_id>/info/<str:reference>/", info.submitted, name="submitted"),
    path("plans/<int:plan_id>/register/", registration.register, name="register"),
    path("records/", records.records, name="records"),
    path("records/<str:number>/", records.record, name="record"),
    path("records/<str:number>/registered/", registration.registered, name="registered"),
    path("records/<str:number>/pdf/", records.record_pdf, name="record_pdf"),
    path("records/<str:number>/cancel/", records.cancel, name="cancel"),
    path("documents/<int:document_id>/", documents.document, name="document"),
    path("documents/<int:document_id>/thumbnail/", documents.thumbnail, name="document_thumbnail"),
    path("verify/<str:code>/", records.verify, name="verify"),
]
