"""摇号结果: the public page of a plan's draw, the published files, and the verifier."""

from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from lottery import publication, verify
from lottery.models import Draw
from plans.models import Plan
from plans.views import public_plan_or_404
from rentcenter.http import HtmxHttpRequest

ENTRIES_PER_PAGE = 500


class Row(NamedTuple):
    overall: int | None
    group: str
    position: int | None
    code: str


class ListPaginator(Paginator):
    """Pages of a frozen list whose length the draw stored when freezing it: no COUNT over
    up to 10^5 entries on every page view."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def draw_or_404(plan_id: int) -> Draw:
    """The draw of a public plan, once its list is frozen."""
    draw = Draw.objects.filter(plan=public_plan_or_404(plan_id)).first()
    if draw is None:
        raise Http404
    return draw


@require_GET
@vary_on_headers("HX-Request")
def result(request: HtmxHttpRequest, plan_id: int) -> HttpResponse:
    """Before freezing a notice; once frozen the list and its hash; once drawn the order."""
    plan = public_plan_or_404(plan_id)
    draw = Draw.objects.filter(plan=plan).first()
    context = {"plan": plan, "draw": draw, "ended": plan.state == Plan.RegistrationState.ENDED}
    if draw:
        context["page"], context["rows"] = entries_page(draw, request.GET.get("page"))
        context["found"] = find_code(draw, request.GET.get("code", ""))
        context["sources"] = list(draw.seed_sources.order_by("position"))
        if draw.is_drawn and draw.seeded_by_sources:
            sources = [source.as_source() for source in context["sources"]]
            context["canonical"] = verify.canonical_string(sources)
    template_name = "lottery/result.html"
    if request.htmx and draw:
        template_name += "#entries"  # a page of the list, asked for by the pagination links
    return render(request, template_name, context)


def entries_page(draw: Draw, number: str | None) -> tuple:
    """One page of entries: by code before the draw, in draw order after it."""
    ordering = "overall_position" if draw.is_drawn else "code"
    entries = draw.entries.order_by(ordering).values_list(
        "overall_position", "group", "position", "code"
    )
    page = ListPaginator(entries, ENTRIES_PER_PAGE, count=draw.entry_count).get_page(number)
    rows = [
        Row(overall, draw.group_name(group), position, code)
        for overall, group, position, code in page.object_list
    ]
    return page, rows


def find_code(draw: Draw, code: str) -> dict | None:
    """查找摇号编码: where an entry code stands, and on which page."""
    code = code.strip().upper()
    if not code:
        return None
    entry = draw.entries.filter(code=code).values_list("group", "position", "overall_position")
    found = entry.first()
    if found is None:
        return {"code": code, "missing": True}
    group, position, overall = found
    if draw.is_drawn:
        page = (overall - 1) // ENTRIES_PER_PAGE + 1
    else:
        page = draw.entries.filter(code__lt=code).count() // ENTRIES_PER_PAGE + 1
    group_name = draw.group_name(group)
    return {"code": code, "group": group_name, "position": position, "page": page}


@require_GET
def entries_txt(request: HttpRequest, plan_id: int) -> StreamingHttpResponse:
    """entries.txt: the frozen list exactly as hashed (lottery/verify.py)."""
    draw = draw_or_404(plan_id)
    return text_file(publication.entries_chunks(draw), f"lottery-{plan_id}-entries.txt")


@require_GET
def result_txt(request: HttpRequest, plan_id: int) -> StreamingHttpResponse:
    """result.txt: seed, algorithm, list hash and the order, once drawn."""
    draw = draw_or_404(plan_id)
    if not draw.is_drawn:
        raise Http404
    return text_file(publication.result_chunks(draw), f"lottery-{plan_id}-result.txt")


@require_GET
def seed_txt(request: HttpRequest, plan_id: int) -> HttpResponse:
    """seed.txt: the sources' numbers the seed was computed from, once drawn."""
    draw = draw_or_404(plan_id)
    if not (draw.is_drawn and draw.seeded_by_sources):
        raise Http404
    response = HttpResponse(publication.seed_txt(draw), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lottery-{plan_id}-seed.txt"'
    return response


@require_GET
def verifier(request: HttpRequest) -> HttpResponse:
    """The verifying program itself, for anyone to read and run with Python 3."""
    source = Path(verify.__file__).read_bytes()
    response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify.py"'
    return response


def text_file(chunks, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
