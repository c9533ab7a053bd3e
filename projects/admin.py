from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from projects.models import (
    FloorPlan,
    FloorPlanPhoto,
    Picture,
    Project,
    ProjectPhoto,
    RentItem,
    cover_prefetch,
)
from rentcenter.adminforms import LabelledTabularInline


class PictureForm(forms.ModelForm):
    """Checks an uploaded picture by its content and makes its renditions.

    A file that is not a real JPEG/PNG/WebP image, is truncated, or has too many pixels is
    refused beside the field, with the reason in Chinese.
    """

    class Meta:
        # A plain file input: admin's usual "目前: <link>" would point at the original, which
        # lives in private storage and has no URL (a 404). The preview shows the rendition.
        widgets = {"original": forms.FileInput}

    def clean_original(self) -> object:
        upload = self.cleaned_data.get("original")
        if isinstance(upload, UploadedFile):
            instance: Picture = self.instance
            instance.set_image(upload)
            return instance.original  # named by its content, not by the uploaded name
        return upload


def preview(picture: Picture | None, *, width: int = 96) -> str:
    if not picture or not picture.thumbnail:
        return "—"
    return format_html(
        '<img class="admin-thumbnail" src="{}" width="{}" alt="">',
        picture.thumbnail.url,
        width,
    )


class PictureInlineMixin:
    form = PictureForm
    readonly_fields = ("thumbnail_preview",)
    extra = 0

    @admin.display(description="预览")
    def thumbnail_preview(self, obj: Picture) -> str:
        return preview(obj)


class ProjectPhotoInline(PictureInlineMixin, LabelledTabularInline):
    model = ProjectPhoto
    fields = ("thumbnail_preview", "original", "caption", "position")


class FloorPlanInline(PictureInlineMixin, LabelledTabularInline):
    model = FloorPlan
    fields = ("thumbnail_preview", "name", "area", "bedrooms", "original", "position")
    show_change_link = True
    verbose_name_plural = "户型（室内照片在户型页面中上传）"


class RentItemInline(LabelledTabularInline):
    model = RentItem
    fields = ("room_type", "area", "monthly_rent", "homes", "position")
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["css/admin.css"]}  # the photo previews

    list_display = ("cover_preview", "name", "district", "operator", "photo_count", "updated_at")
    list_display_links = ("cover_preview", "name")
    list_filter = ("district",)
    search_fields = ("name", "address", "operator")
    # Stated here because the photo count makes the query GROUP BY, which drops Meta.ordering:
    # the project picker of the plan form would page through projects in no stable order.
    ordering = ("name", "id")
    date_hierarchy = "updated_at"
    inlines = [ProjectPhotoInline, FloorPlanInline, RentItemInline]
    fieldsets = [
        (None, {"fields": ("name", "district", "address")}),
        ("运营与咨询", {"fields": ("operator", "contact_phone")}),
        ("项目简介", {"fields": ("intro",)}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        queryset = super().get_queryset(request).annotate(photo_total=Count("photos"))
        return queryset.prefetch_related(cover_prefetch())

    @admin.display(description="封面")
    def cover_preview(self, obj: Project) -> str:
        return preview(obj.cover, width=80)

    @admin.display(description="实景照片", ordering="photo_total")
    def photo_count(self, obj: Project) -> int:
        return obj.photo_total


class FloorPlanPhotoInline(PictureInlineMixin, LabelledTabularInline):
    model = FloorPlanPhoto
    fields = ("thumbnail_preview", "original", "caption", "position")


@admin.register(FloorPlan)
class FloorPlanAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["css/admin.css"]}  # the photo previews

    form = PictureForm
    list_display = ("layout_preview", "name", "project", "area", "bedrooms")
    list_display_links = ("layout_preview", "name")
    list_filter = ("project__district", "bedrooms")
    list_select_related = ("project",)
    search_fields = ("name", "project__name")
    autocomplete_fields = ("project",)
    fields = ("project", "name", "area", "bedrooms", "original", "layout_preview", "description")
    readonly_fields = ("layout_preview",)
    inlines = [FloorPlanPhotoInline]

    @admin.display(description="户型图")
    def layout_preview(self, obj: FloorPlan) -> str:
        return preview(obj, width=160)
