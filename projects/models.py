from decimal import ROUND_HALF_UP, Decimal

from django.core.files import File
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse

from rentcenter import images
from rentcenter.storage import private_storage


class District(models.TextChoices):
    """Beijing's sixteen districts (市辖区), in the official order."""

    DONGCHENG = "dongcheng", "东城区"
    XICHENG = "xicheng", "西城区"
    CHAOYANG = "chaoyang", "朝阳区"
    FENGTAI = "fengtai", "丰台区"
    SHIJINGSHAN = "shijingshan", "石景山区"
    HAIDIAN = "haidian", "海淀区"
    MENTOUGOU = "mentougou", "门头沟区"
    FANGSHAN = "fangshan", "房山区"
    TONGZHOU = "tongzhou", "通州区"
    SHUNYI = "shunyi", "顺义区"
    CHANGPING = "changping", "昌平区"
    DAXING = "daxing", "大兴区"
    HUAIROU = "huairou", "怀柔区"
    PINGGU = "pinggu", "平谷区"
    MIYUN = "miyun", "密云区"
    YANQING = "yanqing", "延庆区"


def original_upload_to(instance: models.Model, filename: str) -> str:
    return f"originals/{images.random_name(filename)}"


class Picture(models.Model):
    """An uploaded photo kept as sent, plus the metadata-free renditions pages show.

    The original stays in private storage (it may carry the photographer's GPS position);
    visitors only ever get the re-encoded thumbnail and large JPEGs.
    """

    original = models.FileField("原图", storage=private_storage, upload_to=original_upload_to)
    large = models.FileField("大图", upload_to="pictures/large/", editable=False)
    thumbnail = models.FileField("缩略图", upload_to="pictures/thumbnail/", editable=False)
    width = models.PositiveIntegerField("宽（像素）", default=0, editable=False)
    height = models.PositiveIntegerField("高（像素）", default=0, editable=False)

    class Meta:
        abstract = True

    def set_image(self, upload: File) -> None:
        """Take an uploaded file as this picture, or raise ValidationError saying why not."""
        image = images.open_image(upload)
        large = images.jpeg_rendition(image, images.LARGE)
        # Stored under the extension of what Pillow read, not of the name it came with.
        self.original = File(upload, name=f"original.{images.EXTENSIONS[image.format]}")
        self.large = large
        self.thumbnail = images.jpeg_rendition(image, images.THUMBNAIL)
        self.width, self.height = large.image_size  # type: ignore[attr-defined]

    @property
    def srcset(self) -> str:
        return (
            f"{self.thumbnail.url} {images.THUMBNAIL.max_side}w, "
            f"{self.large.url} {images.LARGE.max_side}w"
        )


class Project(models.Model):
    name = models.CharField("项目名称", max_length=100)
    district = models.CharField("所在区", max_length=20, choices=District.choices)
    address = models.CharField("项目地址", max_length=200)
    operator = models.CharField("运营单位", max_length=100)
    intro = models.TextField("项目简介")
    contact_phone = models.CharField(
        "咨询电话",
        max_length=30,
        validators=[
            RegexValidator(r"^[0-9][0-9\- ]{6,18}[0-9]$", "请输入正确的电话号码，如 010-12345678。")
        ],
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "项目小区"
        verbose_name_plural = "项目小区"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    @property
    def cover(self) -> "ProjectPhoto | None":
        """The first 实景照片. Lists prefetch it for all rows at once with cover_prefetch()."""
        if hasattr(self, "cover_photos"):
            return self.cover_photos[0] if self.cover_photos else None
        return self.photos.first()


class GalleryPhoto(Picture):
    """A picture in a gallery: shown in `position` order, described by its caption."""

    caption = models.CharField("说明", max_length=100, blank=True)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class ProjectPhoto(GalleryPhoto):
    """实景照片: the gallery of a project; the first one is its cover."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="photos", verbose_name="项目小区"
    )

    class Meta(GalleryPhoto.Meta):
        verbose_name = "实景照片"
        verbose_name_plural = "实景照片"

    def __str__(self) -> str:
        return self.caption or f"{self.project} 实景照片"

    @property
    def alt(self) -> str:
        return self.caption or f"{self.project.name}实景照片"


def cover_prefetch(lookup: str = "photos") -> Prefetch:
    """Each project's first photo as project.cover_photos, in one query for a whole list."""
    first_photo = ProjectPhoto.objects.order_by("position", "id")[:1]
    return Prefetch(lookup, queryset=first_photo, to_attr="cover_photos")


class FloorPlan(Picture):
    """户型: a layout of a project; its picture is the 户型图."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="floor_plans", verbose_name="项目小区"
    )
    name = models.CharField("户型名称", max_length=50, help_text="如 一居室A")
    area = models.DecimalField(
        "建筑面积（㎡）",
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1"))],
    )
    bedrooms = models.PositiveSmallIntegerField("居室数", default=1)
    description = models.TextField("户型说明", blank=True)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "户型"
        verbose_name_plural = "户型"
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(area__gt=0), name="floor_plan_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("projects:floor_plan", args=[self.project_id, self.pk])

    @property
    def alt(self) -> str:
        return f"{self.name}户型图"


class FloorPlanPhoto(GalleryPhoto):
    """室内照片 of a floor plan."""

    floor_plan = models.ForeignKey(
        FloorPlan, on_delete=models.CASCADE, related_name="photos", verbose_name="户型"
    )

    class Meta(GalleryPhoto.Meta):
        verbose_name = "室内照片"
        verbose_name_plural = "室内照片"

    def __str__(self) -> str:
        return self.caption or f"{self.floor_plan.name} 室内照片"

    @property
    def alt(self) -> str:
        return self.caption or f"{self.floor_plan.name}室内照片"


class RentItem(models.Model):
    """A row of the project's 房型租金列表."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="rent_items", verbose_name="项目小区"
    )
    room_type = models.CharField("房型", max_length=50)
    area = models.DecimalField(
        "建筑面积（㎡）",
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1"))],
    )
    monthly_rent = models.PositiveIntegerField("月租金（元/月）", validators=[MinValueValidator(1)])
    homes = models.PositiveIntegerField("房源套数")
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "房型租金"
        verbose_name_plural = "房型租金"
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(area__gt=0), name="rent_item_area_positive"),
            models.CheckConstraint(
                condition=models.Q(monthly_rent__gt=0), name="rent_item_rent_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room_type} {self.area}㎡ {self.monthly_rent} 元/月"

    @property
    def rent_per_square_meter(self) -> Decimal:
        """元/㎡/月, to the fen, as announcements print it."""
        return (Decimal(self.monthly_rent) / self.area).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
