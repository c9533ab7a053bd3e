"""Demo data for a local site: three plans, six projects, photos drawn with Pillow.

Idempotent: objects are found by their names, and one that exists is left as it is, so running
the command twice changes nothing. Dates are relative to the moment it runs: one plan
registering now, one upcoming, one closed; a demo seeded weeks ago has its plans' windows (and
their registrations and announcements) moved to today when it runs again.
"""

import io
import random
from base64 import b32decode
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts import staff_otp
from accounts.models import StaffTOTPDevice, User
from allocation import demo as allocation_demo
from applications import demo
from messaging import outbox
from plans.models import Announcement, AnnouncementAttachment, Plan, PlanProject
from projects.models import District, FloorPlan, FloorPlanPhoto, Project, ProjectPhoto, RentItem
from rentcenter import sms
from rentcenter.dates import format_day, format_when


@dataclass(frozen=True)
class DemoProject:
    name: str
    district: str
    address: str
    operator: str
    intro: str
    phone: str
    rents: tuple[tuple[str, str, int, int], ...]  # room type, area, monthly rent, homes


OPERATOR = "北京安居城市运营管理有限公司"

PROJECTS = [
    DemoProject(
        "望京锦苑公寓",
        District.CHAOYANG,
        "北京市朝阳区望京西路18号院",
        OPERATOR,
        "项目位于望京核心区，距地铁14号线望京站约600米，周边商业、医疗、教育配套成熟。"
        "小区共6栋住宅楼，全部为精装修成品房，配备空调、热水器、洗衣机等基础家电，拎包入住。",
        "010-84761234",
        (
            ("一居室", "38.50", 3800, 120),
            ("两居室", "56.20", 5200, 80),
            ("三居室", "72.80", 5980, 24),
        ),
    ),
    DemoProject(
        "丰台科技园人才公寓",
        District.FENGTAI,
        "北京市丰台区汽车博物馆东路6号",
        "北京丰泽人才安居服务有限公司",
        "项目紧邻丰台科技园，步行可达地铁9号线丰台科技园站。社区内设有共享客厅、健身房、"
        "自助洗衣房与快递驿站，面向园区企业职工和新就业青年。",
        "010-63812345",
        (("开间", "28.00", 2300, 200), ("一居室", "42.60", 3300, 150)),
    ),
    DemoProject(
        "上地青年汇",
        District.HAIDIAN,
        "北京市海淀区上地东路35号",
        OPERATOR,
        "位于中关村软件园与上地信息产业基地之间，距地铁13号线上地站约1公里。"
        "楼内配有共享办公区、阅览室和屋顶花园，适合在海淀区工作的青年人才居住。",
        "010-62981234",
        (
            ("开间", "30.20", 3100, 160),
            ("一居室", "45.00", 4500, 90),
            ("两居室", "60.50", 5900, 30),
        ),
    ),
    DemoProject(
        "运河城市公寓",
        District.TONGZHOU,
        "北京市通州区运河西大街88号",
        "北京城市副中心安居运营有限公司",
        "项目位于城市副中心运河商务区，距地铁6号线北运河西站约800米，"
        "周边有大运河森林公园。房源为一居室至三居室，适合家庭居住。",
        "010-80881234",
        (
            ("一居室", "40.00", 2600, 110),
            ("两居室", "58.00", 3600, 90),
            ("三居室", "80.00", 4800, 40),
        ),
    ),
    DemoProject(
        "亦庄宜居园",
        District.DAXING,
        "北京市大兴区荣华南路20号",
        "北京亦城安居物业服务有限公司",
        "项目位于北京经济技术开发区核心区，距地铁亦庄线荣京东街站约500米。"
        "社区配套幼儿园、社区卫生服务站与便民超市。",
        "010-67851234",
        (("一居室", "36.80", 2200, 140), ("两居室", "55.00", 3200, 60)),
    ),
    DemoProject(
        "回龙观安居苑",
        District.CHANGPING,
        "北京市昌平区回龙观西大街9号",
        OPERATOR,
        "项目距地铁13号线回龙观站约900米，紧邻回龙观体育文化公园。"
        "小区人车分流，配有地下停车位和充电桩。",
        "010-81791234",
        (
            ("一居室", "39.00", 2400, 100),
            ("两居室", "57.50", 3500, 70),
            ("三居室", "76.00", 4600, 20),
        ),
    ),
]

ANNOUNCEMENT = """## 一、房源情况

本次专项配租房源位于{projects}，共计 {homes} 套，房源均为精装修成品房。

## 二、申请条件

- 申请人须年满18周岁，具有完全民事行为能力；
- 申请人及家庭成员在本市无自有住房；
- 在本市连续缴纳社会保险或个人所得税满 6 个月及以上；
- 工作单位注册地或实际经营地位于项目所在区。

## 三、登记时间

登记时间为 {starts} 至 {ends}。请申请人提前完成信息填报，登记期间点击“立即登记”参加登记摇号。

## 四、咨询方式

技术支持电话：010-81120588；服务时间：登记期间早 9 点至 17 点。
"""


@dataclass(frozen=True)
class DemoPlan:
    title: str
    summary: str
    status: str
    starts_in_days: int
    length_days: int
    projects: tuple[int, ...]
    rules: dict = field(default_factory=dict)


REJECTION_REASONS = (
    "本市社保或个税连续缴纳月数不足\n上传材料不清晰，无法核验\n工作单位所在区不符合本次配租条件"
)


PLANS = [
    DemoPlan(
        "2026年第四批保障性租赁住房专项配租计划（青年人才）",
        "面向在朝阳、丰台、海淀、通州工作的青年人才，提供一居室至三居室房源。",
        Plan.Status.PUBLISHED,
        -2,
        14,
        (0, 1, 2, 3),
        {
            "min_age": 18,
            "max_age": 35,
            "requires_no_home": True,
            "min_contribution_months": 6,
            "employer_districts": ["chaoyang", "fengtai", "haidian", "tongzhou"],
            "rejection_reasons": REJECTION_REASONS,
        },
    ),
    DemoPlan(
        "2026年第五批保障性租赁住房专项配租计划（新市民）",
        "面向新市民和新就业大学生，房源位于通州、大兴、昌平。",
        Plan.Status.PUBLISHED,
        10,
        10,
        (3, 4, 5),
        {
            "min_age": 18,
            "requires_no_home": True,
            "asks_education": True,
            "min_education": "junior_college",
            "max_years_since_graduation": 5,
            "rejection_reasons": REJECTION_REASONS,
        },
    ),
    DemoPlan(
        "2026年第三批保障性租赁住房专项配租计划",
        "本批次登记已结束，审核结果请在配租记录中查看。",
        Plan.Status.CLOSED,
        -40,
        10,
        (0, 4, 5),
        {"requires_no_home": True, "rejection_reasons": REJECTION_REASONS},
    ),
]

DEMO_ACCOUNTS = [
    # phone, password, role, the name admin shows (欢迎, 操作人)
    ("13800000000", "admin-demo-2026", None, "系统管理员"),
    ("13800000001", "staff-demo-2026", "配租管理员", "王芳"),
    ("13800000002", "reviewer-demo-2026", "资格审核员", "李强"),
]
# The demo staff's authenticator app, printed in README.md so that a developer can add it to any
# app (or compute codes with the README's one-liner). Demo accounts exist only with DEBUG on.
DEMO_TOTP_SECRET = "OJSW45DDMVXHIZLSFVSGK3LPFUZDAMRW"  # noqa: S105 (base32, demo only)


class Command(BaseCommand):
    help = "载入演示数据（配租计划、项目、户型、照片），可重复执行。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--with-accounts",
            action="store_true",
            help="同时创建演示用的管理员、配租管理员和资格审核员账号（仅限 DEBUG）。",
        )

    def handle(self, *args, with_accounts: bool = False, **options) -> None:
        if with_accounts and not settings.DEBUG:
            raise CommandError("演示账号只能在 DEBUG 模式下创建。")
        # Demo people have made-up numbers: their texts stay in memory, never sent (the outbox
        # marks them 已发送 at commit, inside the block).
        with outbox.kept_in_memory(), transaction.atomic():
            if with_accounts:
                for phone, password, role, name in DEMO_ACCOUNTS:
                    seed_account(phone, password, role, name)
            projects = [seed_project(spec, index) for index, spec in enumerate(PROJECTS)]
            now = timezone.now()
            created = [spec.title for spec in PLANS if seed_plan(spec, projects, now=now)]
            plans = [Plan.objects.get(title=spec.title) for spec in PLANS]
            registrations = demo.seed_registrations(open_plan=plans[0], closed_plan=plans[2])
            # The closed plan is drawn and in 选房, so the 选房大厅 shows a live queue.
            staff = User.objects.filter(is_staff=True).order_by("pk").first()
            choosing = allocation_demo.seed(plans[2], staff=staff, now=now) if staff else ""
        sms.outbox.clear()
        self.stdout.write(
            f"演示数据就绪：{len(PROJECTS)} 个项目，{len(PLANS)} 个配租计划，"
            f"{registrations} 条演示登记。"
        )
        for title in created:
            self.stdout.write(f"  新建：{title}")
        if choosing:
            self.stdout.write(choosing)
        self.stdout.write(
            f"演示申请人：手机号 {demo.APPLICANT_PHONES[0]} 至 {demo.APPLICANT_PHONES[-1]}，"
            "用短信验证码登录（开发环境的短信在控制台和 /dev/sms/ 中）。"
        )
        if with_accounts:
            self.stdout.write("演示账号（手机号 / 密码），用于登录 /admin/：")
            for phone, password, role, _ in DEMO_ACCOUNTS:
                self.stdout.write(f"  {role or '超级管理员'}：{phone} / {password}")
            self.stdout.write(
                f"  双重验证：在身份验证器应用中添加密钥 {DEMO_TOTP_SECRET}（仅限演示），"
                "或按 README 的命令计算验证码。"
            )


def seed_project(spec: DemoProject, index: int) -> Project:
    project = Project.objects.filter(name=spec.name).first()
    if project:
        return project
    project = Project.objects.create(
        name=spec.name,
        district=spec.district,
        address=spec.address,
        operator=spec.operator,
        intro=spec.intro,
        contact_phone=spec.phone,
    )
    painter = random.Random(spec.name)  # noqa: S311 - pictures, not secrets
    for position in range(3):
        photo = ProjectPhoto(project=project, position=position, caption=f"小区实景 {position + 1}")
        photo.set_image(as_upload(draw_building(painter), "photo.jpg"))
        photo.save()
    for position, (room_type, area, rent, homes) in enumerate(spec.rents):
        RentItem.objects.create(
            project=project,
            room_type=room_type,
            area=Decimal(area),
            monthly_rent=rent,
            homes=homes,
            position=position,
        )
        bedrooms = {"开间": 1, "一居室": 1, "两居室": 2, "三居室": 3}[room_type]
        floor_plan = FloorPlan(
            project=project,
            name=f"{room_type}{'ABC'[position]}",
            area=Decimal(area),
            bedrooms=bedrooms,
            position=position,
            description=f"{room_type}，建筑面积约{area}平方米，南北通透，精装修交付。",
        )
        floor_plan.set_image(as_upload(draw_layout(painter, bedrooms), "layout.png"))
        floor_plan.save()
        for photo_position in range(2):
            photo = FloorPlanPhoto(
                floor_plan=floor_plan,
                position=photo_position,
                caption=("客厅", "卧室")[photo_position],
            )
            photo.set_image(as_upload(draw_room(painter), "room.jpg"))
            photo.save()
    return project


def demo_window(spec: DemoPlan, now: datetime) -> tuple[datetime, datetime]:
    """The registration window the spec asks for, counted in days from today 09:00 Beijing."""
    today = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    starts = today + timedelta(days=spec.starts_in_days)
    return starts, (starts + timedelta(days=spec.length_days)).replace(hour=17)


def seed_plan(spec: DemoPlan, projects: list[Project], *, now: datetime) -> bool:
    """Make the demo plan, or move an existing one whose window has drifted out of the state
    its spec describes (a demo seeded weeks ago). Returns whether it was made."""
    starts, ends = demo_window(spec, now)
    plan = Plan.objects.filter(title=spec.title).first()
    if plan:
        wanted = Plan(status=spec.status, registration_starts_at=starts, registration_ends_at=ends)
        if plan.registration_state(now) != wanted.registration_state(now):
            demo.move_window(plan, by=starts - plan.registration_starts_at, now=now)
            write_announcement(plan.announcements.get(), spec, plan)
        return False
    plan = Plan.objects.create(
        title=spec.title,
        summary=spec.summary,
        status=spec.status,
        info_opens_at=starts - timedelta(days=7),
        registration_starts_at=starts,
        registration_ends_at=ends,
        **spec.rules,
    )
    for position, project in enumerate(projects[i] for i in spec.projects):
        count = sum(item.homes for item in project.rent_items.all())
        PlanProject.objects.create(plan=plan, project=project, homes=count, position=position)
    write_announcement(Announcement(plan=plan), spec, plan)
    return True


def write_announcement(announcement: Announcement, spec: DemoPlan, plan: Plan) -> None:
    """The announcement's words and its signed PDF, which state the plan's dates."""
    offered = [offering.project for offering in plan.plan_projects.select_related("project")]
    announcement.title = f"关于{spec.title}的公告"
    announcement.body = ANNOUNCEMENT.format(
        projects="、".join(project.name for project in offered),
        homes=sum(offering.homes for offering in plan.plan_projects.all()),
        starts=format_when(plan.registration_starts_at),
        ends=format_when(plan.registration_ends_at),
    )
    announcement.published_at = plan.registration_starts_at - timedelta(days=10)
    announcement.save()
    notice = notice_pdf(announcement)
    attachment = announcement.attachments.first() or AnnouncementAttachment(
        announcement=announcement, title="配租公告（盖章版）"
    )
    attachment.file = ContentFile(notice, name="notice.pdf")
    attachment.size = len(notice)
    attachment.save()


# What applicants see of the demo staff in 谁查看了我的信息 (工号, 所属部门).
STAFF_IDENTITIES = {
    None: ("A0001", "信息技术部"),
    "配租管理员": ("P0101", "配租管理科"),
    "资格审核员": ("R0201", "资格审核科"),
}


def seed_account(phone: str, password: str, role: str | None, name: str) -> None:
    user = User.objects.filter(phone=phone).first()
    if user is None:
        number, department = STAFF_IDENTITIES[role]
        user = User.objects.create_user(
            phone,
            password,
            is_staff=True,
            is_superuser=role is None,
            staff_number=number,
            department=department,
        )
    if not user.staff_name:
        user.staff_name = name
        user.save(update_fields=["staff_name"])
    if role:
        user.groups.add(Group.objects.get(name=role))
    if not staff_otp.has_device(user):
        StaffTOTPDevice.objects.create(
            user=user,
            name=staff_otp.TOTP_DEVICE_NAME,
            key=b32decode(DEMO_TOTP_SECRET).hex(),
            confirmed=True,
        )


def as_upload(image: Image.Image, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, "PNG" if name.endswith(".png") else "JPEG", quality=88)
    return SimpleUploadedFile(name, buffer.getvalue())


def draw_building(painter: random.Random) -> Image.Image:
    """A residential block against the sky, in the project's own colours."""
    width, height = 1600, 1200
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # sky gradient
        shade = int(200 + 55 * y / height)
        draw.line([(0, y), (width, y)], fill=(120, 170, shade))
    facade = painter.choice([(226, 214, 196), (214, 222, 230), (236, 226, 210), (205, 198, 190)])
    x = 80
    while x < width - 200:
        block_width = painter.randint(260, 420)
        top = painter.randint(180, 520)
        draw.rectangle(
            [x, top, x + block_width, height - 160], fill=facade, outline=(150, 140, 130)
        )
        for wy in range(top + 40, height - 200, 70):
            for wx in range(x + 30, x + block_width - 40, 60):
                lit = painter.random() < 0.2
                draw.rectangle(
                    [wx, wy, wx + 34, wy + 40], fill=(250, 220, 140) if lit else (90, 120, 150)
                )
        x += block_width + painter.randint(40, 120)
    draw.rectangle([0, height - 160, width, height], fill=(96, 140, 80))
    for tx in range(40, width, 140):  # trees
        r = painter.randint(40, 70)
        draw.ellipse([tx - r, height - 200 - r, tx + r, height - 200 + r], fill=(60, 120, 60))
        draw.rectangle([tx - 8, height - 200, tx + 8, height - 150], fill=(100, 70, 40))
    return image


def draw_layout(painter: random.Random, bedrooms: int) -> Image.Image:
    """A plan view: walls, rooms and a door swing, like a 户型图."""
    image = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([80, 80, 1120, 820], outline=(40, 40, 40), width=14)
    columns = bedrooms + 1
    step = (1120 - 80) // columns
    for i in range(1, columns):
        draw.line([(80 + i * step, 80), (80 + i * step, 520)], fill=(40, 40, 40), width=10)
    draw.line([(80, 520), (1120, 520)], fill=(40, 40, 40), width=10)
    fills = [(236, 244, 252), (252, 244, 232), (238, 248, 238), (248, 238, 248)]
    for i in range(columns):
        draw.rectangle([95 + i * step, 95, 70 + (i + 1) * step, 510], fill=fills[i % len(fills)])
    draw.rectangle([95, 530, 1105, 805], fill=(245, 245, 240))
    draw.arc([540, 430, 700, 590], 180, 270, fill=(120, 120, 120), width=4)
    draw.rectangle([900, 600, 1080, 780], outline=(120, 160, 200), width=6)  # balcony
    return image


def draw_room(painter: random.Random) -> Image.Image:
    """An interior: wall, floor, a window and a sofa."""
    image = Image.new("RGB", (1600, 1200))
    draw = ImageDraw.Draw(image)
    wall = painter.choice([(240, 236, 228), (232, 238, 240), (244, 238, 230)])
    draw.rectangle([0, 0, 1600, 800], fill=wall)
    draw.polygon([(0, 800), (1600, 800), (1600, 1200), (0, 1200)], fill=(196, 160, 120))
    for x in range(0, 1600, 160):
        draw.line([(x, 800), (x - 200, 1200)], fill=(176, 140, 100), width=3)
    draw.rectangle([980, 140, 1420, 620], fill=(170, 210, 240), outline=(255, 255, 255), width=16)
    draw.line([(1200, 140), (1200, 620)], fill=(255, 255, 255), width=10)
    sofa = painter.choice([(90, 110, 140), (140, 110, 90), (100, 130, 110)])
    draw.rounded_rectangle([160, 620, 820, 900], radius=40, fill=sofa)
    draw.rounded_rectangle([200, 560, 780, 700], radius=30, fill=sofa)
    draw.ellipse([900, 880, 1180, 960], fill=(120, 90, 60))
    return image


def notice_pdf(announcement: Announcement) -> bytes:
    """The announcement as a printable PDF, standing in for the signed notice."""
    from weasyprint import HTML

    html = (
        "<html lang='zh-CN'><head><meta charset='utf-8'><style>"
        "@page{size:A4;margin:25mm} body{font-family:'Noto Serif CJK SC','Noto Sans CJK SC',serif;"
        "font-size:12pt;line-height:1.7} h1{text-align:center;font-size:18pt}"
        "</style></head><body>"
        f"<h1>{announcement.title}</h1>{announcement.body_html}"
        "<p style='text-align:right'>北京保障房中心<br>"
        f"{format_day(announcement.published_at)}</p></body></html>"
    )
    return HTML(string=html).write_pdf()
