"""选房 pages: the public 选房大厅 and 选房结果, the entrant's own 选房 page with 确认选房 and
放弃选房, the 选房确认书, 预约签约, and the public check of a 确认书."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from allocation import board, choosing, rules, signing, turns
from allocation.models import Choice, Home, Session, Turn
from allocation.pdf import confirmation_pdf
from applications.access import registration_or_404
from lottery.models import Draw
from rentcenter import pagecache, ratelimit
from rentcenter.http import HtmxHttpRequest

# The entrant's page while waiting is asked for at this pace (htmx), and says so.
WAITING_SECONDS = 5
PDF_EXPORTS_PER_HOUR = 30


public_plan_or_404 = board.drawn_public_plan


def no_change(now):
    return None


# 选房大厅 -------------------------------------------------------------------------------------


@require_GET
@pagecache.public_page(until=no_change)
def hall(request: HttpRequest, plan_id: int) -> HttpResponse:
    """选房大厅: the page, whose board is a live hole (allocation/board.py)."""
    plan = public_plan_or_404(plan_id)
    return render(request, "allocation/hall.html", {"plan": plan})


@require_GET
@pagecache.public_page(until=no_change)
def hall_screen(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The same board, full screen, for the screen in the on-site hall."""
    plan = public_plan_or_404(plan_id)
    return render(request, "allocation/hall_screen.html", {"plan": plan})


@require_GET
@pagecache.public_page(until=no_change, same_for_htmx=True)
def hall_board(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The board alone, which htmx asks for every BOARD_SECONDS: a cached public page whose
    only content is the live hole, so a visitor without cookies is answered by the page
    cache's middleware, before the session and authentication middleware run."""
    plan = public_plan_or_404(plan_id)
    return render(request, "allocation/board.html", {"plan": plan})


@require_GET
@pagecache.public_page(until=no_change)
def results(request: HttpRequest, plan_id: int) -> HttpResponse:
    """选房结果: each published session, 顺序号 → 房号, identified by 摇号编码 only."""
    plan = public_plan_or_404(plan_id)
    draw = Draw.objects.get(plan=plan)
    sessions = list(
        Session.objects.filter(plan=plan, results_published_at__isnull=False).order_by(
            "group", "starts_at"
        )
    )
    rows = (
        Turn.objects.filter(session__in=sessions)
        .select_related("recheck__entry", "choice__home")
        .order_by("session", "position")
    )
    by_session: dict[int, list[Turn]] = {}
    for turn in rows:
        by_session.setdefault(turn.session_id, []).append(turn)
    for session in sessions:
        session.group_name = draw.group_name(session.group)
        session.rows = by_session.get(session.pk, [])
    return render(
        request, "allocation/results.html", {"plan": plan, "sessions": sessions, "draw": draw}
    )


# The entrant's 选房 page ------------------------------------------------------------------------


def entrant_context(registration) -> dict:
    """Where the entrant stands: 候补, 资格复核, their turn, their home, 签约."""
    entry = getattr(registration, "lottery_entry", None)
    if entry is None or entry.position is None:
        raise Http404("该登记没有顺序号")
    context: dict = {"registration": registration, "entry": entry, "plan": registration.plan}
    recheck = getattr(registration, "recheck", None)
    context["recheck"] = recheck
    context["seconds"] = WAITING_SECONDS
    if recheck is None:
        return context
    stage = choosing.stage_of(recheck)
    context["stage"] = stage
    context["rules"] = rules.published(rules.policy_of(recheck.plan_id))
    turn = stage.turn
    context["turn_state"] = turn.state if turn else None
    if turn is not None and turn.state == Turn.State.WAITING:
        queue = turns.snapshot(turn.session)
        # Ended but not yet recorded (the workers' sweep records it): shown as it is.
        context["turn_state"] = queue.ended_as(turn.pk) or turn.state
        context["queue"] = queue
        context["ahead"] = queue.ahead_of(turn.pk)
        context["expected_at"] = queue.expected_at(turn.pk)
        context["my_turn"] = queue.ahead_of(turn.pk) == 0 and queue.current_deadline is not None
        if context["my_turn"]:
            homes = choosing.choosable(recheck)
            context["homes_by_type"] = group_by_type(homes)
            context["home_count"] = len(homes)
    if stage.choice is not None and stage.choice.state == Choice.State.CHOSEN:
        context["slots"] = list(signing.open_slots(stage.choice))
    return context


def group_by_type(homes: list[Home]) -> list[tuple[str, list[Home]]]:
    groups: dict[str, list[Home]] = {}
    for home in homes:
        label = f"{home.rent_item.room_type}（{home.rent_item.area}㎡）"
        groups.setdefault(label, []).append(home)
    return list(groups.items())


@require_GET
@login_required
@vary_on_headers("HX-Request")
def turn(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """我的选房: waiting, choosing, or the chosen home and its 签约."""
    context = entrant_context(registration_or_404(request, number))
    template = "allocation/turn.html"
    if request.htmx:
        template += "#stage"
    response = render(request, template, context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def choose(request: HttpRequest, number: str, home_id: int) -> HttpResponse:
    """确认选房: the home's details and the button (GET), then the choice (POST)."""
    registration = registration_or_404(request, number)
    recheck = getattr(registration, "recheck", None)
    if recheck is None:
        raise Http404
    if request.method == "POST":
        try:
            choice = choosing.choose(recheck=recheck, home_id=home_id, by=request.user)
        except choosing.Refused as refusal:
            messages.error(request, str(refusal))
            return redirect("allocation:turn", registration.number)
        messages.success(
            request, f"确认选房成功：{choice.home.label}。请下载选房确认书并预约签约。"
        )
        return redirect("allocation:turn", registration.number)
    home = get_object_or_404(
        Home.objects.select_related("offering__project", "rent_item"),
        pk=home_id,
        offering_id=registration.offering_id,
    )
    context = {"registration": registration, "recheck": recheck, "home": home}
    return render(request, "allocation/choose.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def give_up(request: HttpRequest, number: str) -> HttpResponse:
    """放弃选房: a confirmation page, then the POST."""
    registration = registration_or_404(request, number)
    recheck = getattr(registration, "recheck", None)
    if recheck is None:
        raise Http404
    if request.method == "POST":
        try:
            choosing.give_up(recheck=recheck, by=request.user)
        except choosing.Refused as refusal:
            messages.error(request, str(refusal))
            return redirect("allocation:turn", registration.number)
        messages.success(request, "您已放弃选房。")
        return redirect("allocation:turn", registration.number)
    return render(request, "allocation/give_up.html", {"registration": registration})


def held_choice(registration) -> Choice:
    recheck = getattr(registration, "recheck", None)
    choice = (
        Choice.objects.filter(recheck=recheck, state__in=Choice.HOLDING)
        .select_related(
            "home__offering__project",
            "home__rent_item",
            "slot",
            "recheck__entry__draw",
            "recheck__registration__info",
            "recheck__plan",
        )
        .first()
        if recheck
        else None
    )
    if choice is None:
        raise Http404("没有选定的房源")
    return choice


@require_GET
@login_required
def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    """下载选房确认书 (PDF)."""
    registration = registration_or_404(request, number)
    choice = held_choice(registration)
    limit = ratelimit.hit(f"pdf:{request.user.pk}", limit=PDF_EXPORTS_PER_HOUR, window=3600)
    if not limit.allowed:
        messages.warning(request, "下载过于频繁，请稍后再试。")
        return redirect("allocation:turn", registration.number)
    response = HttpResponse(confirmation_pdf(choice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{choice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def book(request: HttpRequest, number: str) -> HttpResponse:
    """预约签约 in the slot chosen."""
    registration = registration_or_404(request, number)
    choice = held_choice(registration)
    try:
        slot_id = int(request.POST.get("slot", ""))
    except ValueError:
        messages.error(request, "请选择签约时段。")
        return redirect("allocation:turn", registration.number)
    try:
        booked = signing.book(choice=choice, slot_id=slot_id, by=request.user)
    except signing.SigningError as refusal:
        messages.error(request, str(refusal))
        return redirect("allocation:turn", registration.number)
    messages.success(request, f"已预约签约：{booked.slot}。")
    return redirect("allocation:turn", registration.number)


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: is this 选房确认书 genuine, and what is its state? No personal data."""
    choice = get_object_or_404(
        Choice.objects.select_related("home__offering__project", "recheck__plan"),
        verification_code=code,
    )
    return render(request, "allocation/verify.html", {"choice": choice})
