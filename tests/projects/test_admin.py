import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from projects.models import District, FloorPlan, FloorPlanPhoto, Project, ProjectPhoto, RentItem
from rentcenter.storage import private_storage
from tests.factories import (
    form_data,
    image_bytes,
    image_upload,
    make_floor_plan,
    make_floor_plan_photo,
    make_project,
    make_project_photo,
    make_staff,
)

NOT_AN_IMAGE = "文件不是有效的图片，请上传 JPEG、PNG、WebP 格式的照片。"


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:projects_{name}", args=args)


def view_on_site(obj) -> str:
    content_type = ContentType.objects.get_for_model(obj)
    return reverse("admin:view_on_site", args=[content_type.pk, obj.pk])


def project_form(client, **overrides) -> dict:
    html = client.get(admin_url("project_add")).content.decode()
    fields = {
        "name": "回龙观安居苑",
        "district": District.CHANGPING,
        "address": "北京市昌平区回龙观西大街9号",
        "operator": "北京安居城市运营管理有限公司",
        "contact_phone": "010-81791234",
        "intro": "距地铁13号线回龙观站约900米。",
    }
    fields.update(overrides)
    return form_data(html, "project_form", **fields)


def stored_pictures() -> list[str]:
    """Every original and rendition file written so far (the folders are shared by a run)."""
    names = []
    for storage, folder in (
        (private_storage(), "originals"),
        (default_storage, "pictures/large"),
        (default_storage, "pictures/thumbnail"),
    ):
        if storage.exists(folder):
            names += [f"{folder}/{name}" for name in storage.listdir(folder)[1]]
    return sorted(names)


# Project -----------------------------------------------------------------------------------


def test_project_list_shows_cover_thumbnails_and_photo_counts(staff_client):
    project = make_project(name="望京锦苑公寓")
    cover = make_project_photo(project, position=0)
    make_project_photo(project, position=1)
    response = staff_client.get(admin_url("project_changelist"))
    assert response.status_code == 200
    assertContains(response, "望京锦苑公寓")
    assertContains(response, f'src="{cover.thumbnail.url}"')
    assertContains(response, '<td class="field-photo_count">2</td>', html=True)


def test_project_list_searches_name_address_and_operator(staff_client):
    make_project(name="上地青年汇", address="北京市海淀区上地东路35号", operator="海淀安居")
    make_project(name="亦庄宜居园", address="北京市大兴区荣华南路20号", operator="亦城物业")
    for query in ("青年汇", "上地东路", "海淀安居"):
        response = staff_client.get(admin_url("project_changelist"), {"q": query})
        assertContains(response, "上地青年汇")
        assertNotContains(response, "亦庄宜居园")


def test_project_list_filters_by_district(staff_client):
    make_project(name="上地青年汇", district=District.HAIDIAN)
    make_project(name="亦庄宜居园", district=District.DAXING)
    response = staff_client.get(admin_url("project_changelist"), {"district__exact": "haidian"})
    assertContains(response, "上地青年汇")
    assertNotContains(response, "亦庄宜居园")


def test_project_add_page_opens_with_its_inlines(staff_client):
    response = staff_client.get(admin_url("project_add"))
    assert response.status_code == 200
    for prefix in ("photos", "floor_plans", "rent_items"):
        assertContains(response, f'name="{prefix}-TOTAL_FORMS"')


def test_project_change_page_shows_photos_and_links_to_the_site(staff_client):
    project = make_project()
    photo = make_project_photo(project)
    make_floor_plan(project)
    response = staff_client.get(admin_url("project_change", project.pk))
    assert response.status_code == 200
    assertContains(response, f'src="{photo.thumbnail.url}"')
    assertContains(response, f'href="{view_on_site(project)}"')


def test_creating_a_project_with_a_photo_stores_its_renditions(staff_client):
    data = project_form(
        staff_client,
        **{
            "photos-TOTAL_FORMS": "1",
            "photos-0-original": image_upload("IMG_0001.jpg", size=(2000, 1500)),
            "photos-0-caption": "小区正门",
            "photos-0-position": "0",
            "rent_items-TOTAL_FORMS": "1",
            "rent_items-0-room_type": "一居室",
            "rent_items-0-area": "39.00",
            "rent_items-0-monthly_rent": "2400",
            "rent_items-0-homes": "100",
            "rent_items-0-position": "0",
        },
    )
    response = staff_client.post(admin_url("project_add"), data)
    assert response.status_code == 302
    project = Project.objects.get(name="回龙观安居苑")
    photo = project.photos.get()
    assert photo.caption == "小区正门"
    assert (photo.width, photo.height) == (1600, 1200)
    assert default_storage.exists(photo.large.name)
    assert default_storage.exists(photo.thumbnail.name)
    assert private_storage().exists(photo.original.name)
    assert "IMG_0001" not in photo.original.name
    assert project.rent_items.get().monthly_rent == 2400


def test_photo_sent_under_another_extension_is_stored_under_its_own(staff_client):
    sent = SimpleUploadedFile("photo.html", image_bytes(), content_type="text/html")
    data = project_form(
        staff_client,
        **{
            "photos-TOTAL_FORMS": "1",
            "photos-0-original": sent,
            "photos-0-caption": "",
            "photos-0-position": "0",
        },
    )
    response = staff_client.post(admin_url("project_add"), data)
    assert response.status_code == 302
    photo = ProjectPhoto.objects.get()
    assert photo.original.name.endswith(".jpg")
    assert photo.large.name.endswith(".jpg")
    assert photo.thumbnail.name.endswith(".jpg")


def test_photo_that_is_not_an_image_is_refused_beside_the_field_and_nothing_is_saved(
    staff_client,
):
    fake = SimpleUploadedFile("photo.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    data = project_form(
        staff_client,
        **{
            "photos-TOTAL_FORMS": "1",
            "photos-0-original": fake,
            "photos-0-caption": "",
            "photos-0-position": "0",
        },
    )
    pictures_before = stored_pictures()
    response = staff_client.post(admin_url("project_add"), data)
    assert response.status_code == 200
    photo_forms = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.prefix == "photos"
    )
    assert photo_forms.formset.forms[0].errors == {"original": [NOT_AN_IMAGE]}
    cell = re.search(
        r'<td class="field-original">(.*?)</td>', response.content.decode(), re.S
    ).group(1)
    assert NOT_AN_IMAGE in cell
    assert 'name="photos-0-original"' in cell
    assert not Project.objects.exists()
    assert not ProjectPhoto.objects.exists()
    assert stored_pictures() == pictures_before


def test_change_page_never_links_to_the_private_original(staff_client):
    project = make_project()
    photo = make_project_photo(project)
    floor_plan = make_floor_plan(project)
    for page, picture in (
        (admin_url("project_change", project.pk), photo),
        (admin_url("floorplan_change", floor_plan.pk), floor_plan),
    ):
        response = staff_client.get(page)
        assertNotContains(response, "originals/")
        assertContains(response, f'src="{picture.thumbnail.url}"')


def test_saving_a_project_unchanged_keeps_its_photos(staff_client):
    project = make_project()
    photo = make_project_photo(project, caption="正门")
    html = staff_client.get(admin_url("project_change", project.pk)).content.decode()
    data = form_data(html, "project_form", **{"photos-0-caption": "小区正门"})
    response = staff_client.post(admin_url("project_change", project.pk), data)
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "小区正门"
    assert private_storage().exists(photo.original.name)
    assert default_storage.exists(photo.large.name)


def test_plan_manager_cannot_delete_a_project(client, db):
    client.force_login(make_staff(group="配租管理员"))
    project = make_project()
    assert client.get(admin_url("project_delete", project.pk)).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


# Floor plans -------------------------------------------------------------------------------


def test_floor_plan_list_shows_layout_thumbnails(staff_client):
    floor_plan = make_floor_plan(make_project(name="运河城市公寓"), name="两居室B")
    response = staff_client.get(admin_url("floorplan_changelist"))
    assert response.status_code == 200
    assertContains(response, "两居室B")
    assertContains(response, f'src="{floor_plan.thumbnail.url}"')


def test_floor_plan_list_filters_and_searches(staff_client):
    make_floor_plan(make_project(name="上地青年汇", district=District.HAIDIAN), name="开间A")
    make_floor_plan(
        make_project(name="亦庄宜居园", district=District.DAXING), name="两居室B", bedrooms=2
    )
    changelist = admin_url("floorplan_changelist")
    by_district = staff_client.get(changelist, {"project__district__exact": "haidian"})
    assertContains(by_district, "开间A")
    assertNotContains(by_district, "两居室B")
    by_bedrooms = staff_client.get(changelist, {"bedrooms__exact": "2"})
    assertContains(by_bedrooms, "两居室B")
    assertNotContains(by_bedrooms, "开间A")
    by_project_name = staff_client.get(changelist, {"q": "上地"})
    assertContains(by_project_name, "开间A")
    assertNotContains(by_project_name, "两居室B")


def test_floor_plan_add_page_opens(staff_client):
    response = staff_client.get(admin_url("floorplan_add"))
    assert response.status_code == 200
    assertContains(response, 'name="photos-TOTAL_FORMS"')


def test_floor_plan_change_page_shows_indoor_photos_and_links_to_the_site(staff_client):
    floor_plan = make_floor_plan(make_project())
    indoor = make_floor_plan_photo(floor_plan)
    response = staff_client.get(admin_url("floorplan_change", floor_plan.pk))
    assert response.status_code == 200
    assertContains(response, f'src="{floor_plan.thumbnail.url}"')
    assertContains(response, f'src="{indoor.thumbnail.url}"')
    assertContains(response, f'href="{view_on_site(floor_plan)}"')


def test_creating_a_floor_plan_with_an_indoor_photo(staff_client):
    project = make_project()
    html = staff_client.get(admin_url("floorplan_add")).content.decode()
    data = form_data(
        html,
        "floorplan_form",
        project=str(project.pk),
        name="三居室C",
        area="72.80",
        bedrooms="3",
        original=image_upload("layout.png", fmt="PNG", size=(1200, 900)),
        **{
            "photos-TOTAL_FORMS": "1",
            "photos-0-original": image_upload("room.jpg"),
            "photos-0-caption": "主卧",
            "photos-0-position": "0",
        },
    )
    response = staff_client.post(admin_url("floorplan_add"), data)
    assert response.status_code == 302
    floor_plan = FloorPlan.objects.get(name="三居室C")
    assert floor_plan.area == Decimal("72.80")
    assert (floor_plan.width, floor_plan.height) == (1200, 900)
    assert default_storage.exists(floor_plan.large.name)
    indoor = FloorPlanPhoto.objects.get(floor_plan=floor_plan)
    assert indoor.caption == "主卧"
    assert default_storage.exists(indoor.thumbnail.name)


def test_floor_plan_layout_that_is_not_an_image_is_refused(staff_client):
    project = make_project()
    html = staff_client.get(admin_url("floorplan_add")).content.decode()
    data = form_data(
        html,
        "floorplan_form",
        project=str(project.pk),
        name="三居室C",
        area="72.80",
        bedrooms="3",
        original=SimpleUploadedFile("layout.png", b"%PDF-1.4 not a picture"),
    )
    response = staff_client.post(admin_url("floorplan_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"original": [NOT_AN_IMAGE]}
    assert not FloorPlan.objects.exists()


def test_rent_items_are_edited_inside_the_project(staff_client):
    project = make_project()
    RentItem.objects.create(
        project=project, room_type="两居室", area=Decimal("56.20"), monthly_rent=5200, homes=80
    )
    response = staff_client.get(admin_url("project_change", project.pk))
    assertContains(response, 'value="两居室"')
    assertContains(response, 'value="5200"')


# Who may not -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        "project_changelist",
        "project_add",
        "project_change",
        "floorplan_changelist",
        "floorplan_add",
        "floorplan_change",
    ],
)
def test_reviewer_is_forbidden_the_project_pages(reviewer_client, page):
    floor_plan = make_floor_plan(make_project())
    args = {"project_change": [floor_plan.project_id], "floorplan_change": [floor_plan.pk]}
    response = reviewer_client.get(admin_url(page, *args.get(page, [])))
    assert response.status_code == 403


def test_anonymous_visitor_is_sent_to_the_admin_login(client, db):
    response = client.get(admin_url("project_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# Files a staff edit replaces (issue 17, finding 7) ----------------------------------------------


def test_deleting_a_photo_removes_its_renditions_and_original_after_commit(
    client, db, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(superuser=True))
    project = make_project()
    photo = make_project_photo(project, caption="正门")
    names = [photo.large.name, photo.thumbnail.name]
    original = photo.original.name
    html = client.get(admin_url("project_change", project.pk)).content.decode()
    data = form_data(html, "project_form", **{"photos-0-DELETE": "on"})

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(admin_url("project_change", project.pk), data).status_code == 302

    assert not ProjectPhoto.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    assert not private_storage().exists(original)


def test_replacing_a_floor_plan_layout_removes_the_old_renditions(
    client, db, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(superuser=True))
    floor_plan = make_floor_plan(make_project())
    old = [floor_plan.large.name, floor_plan.thumbnail.name]
    html = client.get(admin_url("floorplan_change", floor_plan.pk)).content.decode()
    data = form_data(html, "floorplan_form", original=image_upload("new.jpg"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(admin_url("floorplan_change", floor_plan.pk), data)
        assert response.status_code == 302

    floor_plan.refresh_from_db()
    assert floor_plan.large.name not in old
    assert default_storage.exists(floor_plan.large.name)
    assert not any(default_storage.exists(name) for name in old)
