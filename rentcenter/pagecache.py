"""Public pages from the shared cache, exact to the second ("donut caching").

The home page, 配租公告, 项目详情 and 户型详情 are the same for every visitor except for a few
small holes: the account menu, flash messages, each plan's buttons (填报信息 / 已登记 …) and, on
项目详情, the 已登记人数 that may be ten seconds old. A page is rendered once, from a request
stripped of cookies and user, with a marker where each hole is (`{% hole "name" … %}`); that
skeleton is kept in the default cache (Redis in production) and each request fills the holes:

- a visitor without session or message cookies gets the skeleton with every personal hole
  filled as for an anonymous visitor, computed once with the skeleton: no query, no template,
  no cookie, and `Cache-Control: public` with an `ETag`, so nginx or a CDN can keep it too;
- a signed-in visitor gets the same skeleton with the personal holes rendered for them (the
  hole kinds render in batches: one query for all the plan buttons of a page, not one each);
- "live" holes (已登记人数) keep their own short-lived entry, shared by every visitor.

A skeleton is valid while the catalogue version it was rendered under is current and until
the next instant at which a plan changes state (填报开始, 登记开始, 登记结束, an announcement's
publication), which the view's `until` function gives, capped at PAGE_CACHE_SECONDS. Every
save and delete of catalogue data bumps the version after its transaction commits (the apps
connect `catalogue_changed` to their models), so a plan turns 登记中 at 09:00:00 and a staff
edit shows without anyone clearing a cache: at once in the process that made it, within
LOCAL_SECONDS in the others, which remember the public pages they read for that long so that
a spike costs no round trip to Redis per request.

The cookie-less visit is answered by PageCacheMiddleware, before the session, CSRF and
authentication middleware; everything else goes through the view's `public_page` decorator.

Hole kinds are registered by the apps that own them (`register_hole`); this module imports no
app.

Only what a page can be creates an entry: the view names the query parameters it reads, each
with the function that gives a value's one canonical spelling (`page_number`: "2", never "02",
"٢" or "２"); a value that has none, or is not spelt so, is redirected to the canonical address
before anything is rendered, and the view itself redirects a number past its last page. Once
`/?page=<anything>` rendered and kept ~20 KB per value for PAGE_CACHE_SECONDS (issue 17): now
a path keeps at most MAX_VARIANTS entries per catalogue version whatever its views let
through, and the rest are rendered without being kept (and logged). Redis itself is given a
`maxmemory` and an eviction policy for a cache (README, "Redis").

A page exists in one copy per display mode (长辈模式 or not, a cookie: rentcenter/display.py):
the mode is part of every cache key and the skeleton is rendered with it, so a visitor in one
mode never gets the other's page. Only the mode's cookie is kept, never its raw value: any
other value of the cookie is the normal page, so made-up cookies cannot fill the cache.
"""

import copy
import hashlib
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django import template
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage import default_storage as message_storage
from django.core.cache import cache
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponsePermanentRedirect,
    QueryDict,
)
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, quote_etag, urlencode
from django.utils.safestring import SafeString, mark_safe

from rentcenter.display import ELDER_COOKIE, is_elder

logger = logging.getLogger(__name__)

VERSION_KEY = "pagecache:version"
MARKER = "\x00hole:{}\x00"
MARKER_PATTERN = re.compile("\x00hole:(\\d+)\x00")


# Holes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoleKind:
    """How one kind of hole is captured while the skeleton renders and filled per request.

    capture(**arguments of the tag) -> params: plain data (pickled into the cache) that is
        enough to render the hole later without the objects the template had;
    render(request, [params, …]) -> [html, …]: the holes of one page, in one batch;
    personal: the hole differs from one visitor to another (else it is "live": the same for
        everyone, but fresher than the skeleton, with its own cache).
    """

    name: str
    capture: Callable[..., dict[str, Any]]
    render: Callable[[HttpRequest, list[dict[str, Any]]], list[str]]
    personal: bool = True


_kinds: dict[str, HoleKind] = {}


def register_hole(kind: HoleKind) -> None:
    _kinds[kind.name] = kind


def _render_messages(request: HttpRequest, holes: list[dict[str, Any]]) -> list[str]:
    if not get_messages(request):  # nothing to show: no template (and nothing marked as read)
        return ["" for _ in holes]
    return [render_to_string("includes/messages.html", request=request) for _ in holes]


def hole_kind(name: str) -> HoleKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no hole kind {name!r} is registered") from None


@dataclass(frozen=True)
class Hole:
    kind: str
    params: dict[str, Any]


register = template.Library()


@register.simple_tag(takes_context=True)
def hole(context, name: str, **arguments) -> SafeString:
    """`{% hole "plan_actions" plan=plan %}`: a marker while a skeleton renders, else the hole
    rendered in place (a page that is not cached)."""
    kind = hole_kind(name)
    params = kind.capture(**arguments)
    request = context["request"]
    holes = getattr(request, "pagecache_holes", None)
    if holes is None:
        return mark_safe(kind.render(request, [params])[0])  # noqa: S308 (rendered by a template)
    holes.append(Hole(name, params))
    return mark_safe(MARKER.format(len(holes) - 1))  # noqa: S308 (a fixed marker)


def _fill(request: HttpRequest, segments: Sequence[str | Hole], *, kinds: set[bool]) -> list:
    """Render the holes of `segments` whose kind's `personal` is in `kinds`, a batch per kind."""
    wanted: dict[str, list[int]] = {}
    for index, segment in enumerate(segments):
        if isinstance(segment, Hole) and hole_kind(segment.kind).personal in kinds:
            wanted.setdefault(segment.kind, []).append(index)
    filled = list(segments)
    for name, indexes in wanted.items():
        rendered = hole_kind(name).render(request, [segments[i].params for i in indexes])
        for index, html in zip(indexes, rendered, strict=True):
            filled[index] = html
    return filled


# Flash messages (django.contrib.messages), read once by whoever's page shows them.
register_hole(HoleKind("messages", capture=dict, render=_render_messages))


# The cache entry -------------------------------------------------------------------------------


@dataclass
class Page:
    """What a visitor with cookies gets: the skeleton, every hole filled for them."""

    version: int
    rendered_at: float
    expires_at: float
    content_type: str
    skeleton: list[str | Hole]


@dataclass
class PublicPage:
    """What a visitor without cookies gets: the skeleton with its personal holes filled as for
    an anonymous visitor, encoded; live holes (if any) are left to fill, else the whole body
    and its ETag are ready."""

    version: int
    rendered_at: float
    expires_at: float
    content_type: str
    parts: list[bytes | Hole]
    etag: str = ""


def current_version() -> int:
    # A new value whenever the key is made anew (first use, or evicted), so that no page
    # stored under an earlier version can match it.
    return cache.get_or_set(VERSION_KEY, time.time_ns, timeout=None)


def catalogue_changed(*args, **kwargs) -> None:
    """Signal receiver (and plain function): the catalogue changed, so every page is stale once
    the change is committed. Before that, a page rendered from the old rows must not be stored
    under the new version."""
    transaction.on_commit(_bump)


def _bump() -> None:
    _local.clear()
    _local_live.clear()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # never set, or evicted
        current_version()


# The decorator ---------------------------------------------------------------------------------


# The query parameter of paginated pages.
def page_number(value: str) -> str:
    """The canonical spelling of a page number: ASCII digits without leading zeros, from 1 up
    to nine digits; ValueError for anything else (another script's digits, a sign, a space, a
    fraction)."""
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or int(value) < 1:
        raise ValueError(value)
    return str(int(value))


# How many entries one path may keep per catalogue version (both kinds and every display mode
# count): the home page of a few dozen plans needs a handful, a made-up parameter gets none.
MAX_VARIANTS = 100


def public_page(
    *,
    until: Callable[[datetime], datetime | None],
    params: Mapping[str, Callable[[str], str]] | None = None,
    same_for_htmx: bool = False,
) -> Callable:
    """Serve a GET view from the cache as described above.

    until(now) gives the next instant at which the page may change by itself (None: none
    known); params are the query parameters the view reads, each with the function giving the
    canonical spelling of a value (ValueError when it has none: see page_number). Others are
    ignored and do not make a new cache entry; a value not in its canonical spelling is
    redirected to it, one that has none is dropped from the address. Answers other than 200
    are passed through uncached.
    same_for_htmx: the view answers an htmx request with the same page (a fragment polled by
    itself, like the 选房大厅's board), so the middleware may answer htmx's anonymous polls from
    the cache too.
    """
    params = dict(params or {})

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            items, canonical = canonical_items(request, params)
            if not canonical:
                query = urlencode(items)
                return HttpResponsePermanentRedirect(
                    f"{request.path}?{query}" if query else request.path
                )
            public = is_anonymous(request)
            mode = display_mode(request)
            key = page_key(request.path, items, public=public, mode=mode)
            stored = cache.get_many([VERSION_KEY, key])
            version = stored.get(VERSION_KEY) or current_version()
            entry: Page | PublicPage | None = stored.get(key)
            now = time.time()
            if entry is None or entry.version != version or entry.expires_at <= now:
                query = QueryDict(mutable=True)
                for name, value in items:
                    query[name] = value
                clean = _clean_request(request, query)
                response, pages = _render(view, request, clean, args, kwargs, version, until)
                if pages is None:
                    return response
                page, public_page = pages
                if entry is not None or _may_keep(request.path, items, mode, version):
                    cache.set_many(
                        {
                            page_key(request.path, items, public=False, mode=mode): page,
                            page_key(request.path, items, public=True, mode=mode): public_page,
                        },
                        timeout=max(1, math.ceil(page.expires_at - now)),
                    )
                entry = public_page if public else page
            _remember(request.path, params, htmx=same_for_htmx)
            if public:
                _keep_local(key, entry, now)
                return deliver_public(request, entry, now)
            return _deliver_personal(request, entry)

        return wrapper

    return decorator


def canonical_items(
    request: HttpRequest, params: Mapping[str, Callable[[str], str]]
) -> tuple[list[tuple[str, str]], bool]:
    """The page's parameters in their canonical spelling, sorted, and whether the request
    spelt them so (False: redirect to the address they make)."""
    items, canonical = [], True
    for name, spelling in sorted(params.items()):
        if name not in request.GET:
            continue
        value = request.GET[name]
        try:
            spelt = spelling(value)
        except ValueError:
            canonical = False
            continue
        canonical = canonical and spelt == value
        items.append((name, spelt))
    return items, canonical


def _may_keep(path: str, items: Sequence[tuple[str, str]], mode: str, version: int) -> bool:
    """Whether this variant of `path` (its parameters and display mode) may be kept under this
    catalogue version: the first MAX_VARIANTS variants may, each counted once however many
    workers render it at once or however often it expires, the others may not."""
    base = page_key(path, items, public=True, mode=mode).removeprefix("pagecache:public")
    marker = f"pagecache:variant:{version}{base}"
    if not cache.add(marker, True, timeout=settings.PAGE_CACHE_SECONDS):
        return cache.get(marker, True)  # counted already (True, or False past the bound)
    counter = f"pagecache:variants:{version}:{path}"
    cache.add(counter, 0, timeout=settings.PAGE_CACHE_SECONDS)
    try:
        count = cache.incr(counter)
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, timeout=settings.PAGE_CACHE_SECONDS)
        count = 1
    if count <= MAX_VARIANTS:
        return True
    cache.set(marker, False, timeout=settings.PAGE_CACHE_SECONDS)
    if count == MAX_VARIANTS + 1:
        logger.warning(
            "%s keeps no more than %d entries; the others are not kept", path, MAX_VARIANTS
        )
    return False


def display_mode(request: HttpRequest) -> str:
    """The display mode the page is rendered in: "elder" (长辈模式) or "" (the normal page)."""
    return "elder" if is_elder(request) else ""


def page_key(path: str, items: Sequence[tuple[str, str]], *, public: bool, mode: str = "") -> str:
    kind = "public" if public else "page"
    query = urlencode(items)
    if len(query) > 100:  # a key stays short whatever a parameter's canonical value is
        query = "#" + hashlib.blake2b(query.encode(), digest_size=16).hexdigest()
    return f"pagecache:{kind}{':' + mode if mode else ''}:{path}?{query}"


# Paths this process has served as cached pages, with the parameters their view reads: only
# these are looked up by the middleware, so that other pages (登录, 信息填报 …) cost no cache
# round trip.
_known_paths: dict[str, Mapping[str, Callable[[str], str]]] = {}
# Of those, the paths whose htmx requests get the same page (public_page's same_for_htmx).
_htmx_paths: set[str] = set()
KNOWN_PATHS_LIMIT = 10_000


def _remember(path: str, params: Mapping[str, Callable[[str], str]], *, htmx: bool) -> None:
    if path not in _known_paths:
        if len(_known_paths) >= KNOWN_PATHS_LIMIT:
            _known_paths.clear()
            _htmx_paths.clear()
        _known_paths[path] = params
        if htmx:
            _htmx_paths.add(path)


class PageCacheMiddleware:
    """Serves a cached public page to a visitor without session or message cookies before the
    session, CSRF, authentication and message middleware and the URL resolver run: on opening
    day most requests are such visits, and they then cost one cache round trip. Placed after
    the security, clickjacking and static-file middleware, whose headers still apply. Anything
    it does not find goes on to the view, whose decorator finds or renders the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        params = _known_paths.get(request.path) if request.method == "GET" else None
        htmx = "HTTP_HX_REQUEST" in request.META
        if (
            params is not None
            and is_anonymous(request)
            and (not htmx or request.path in _htmx_paths)
        ):
            # The entry the view would find; a value it would redirect is left to it.
            items, canonical = canonical_items(request, params)
            if canonical:
                key = page_key(request.path, items, public=True, mode=display_mode(request))
                now = time.time()
                page = _recent_public_page(key, now)
                if page:
                    request.get_host()  # the host check the common middleware would make
                    return deliver_public(request, page, now)
        return self.get_response(request)


# The public pages this process read from the shared cache in the last LOCAL_SECONDS: during
# a spike most requests are answered from here, without a round trip to Redis. A catalogue
# change made in another process shows here within that time (this process's own changes at
# once); a plan's boundary is never passed, each page still ends at its expires_at.
LOCAL_SECONDS = 1.0
_local: dict[str, tuple[float, PublicPage]] = {}
_local_live: dict[str, tuple[float, tuple[int, float, str]]] = {}


def forget_local() -> None:
    """Drop what this process remembers (tests start each from an empty cache)."""
    _local.clear()
    _local_live.clear()
    _known_paths.clear()
    _htmx_paths.clear()


def _recent_public_page(key: str, now: float) -> PublicPage | None:
    recent = _local.get(key)
    if recent and now - recent[0] < LOCAL_SECONDS and recent[1].expires_at > now:
        return recent[1]
    stored = cache.get_many([VERSION_KEY, key])
    page: PublicPage | None = stored.get(key)
    if page and page.version == stored.get(VERSION_KEY) and page.expires_at > now:
        _keep_local(key, page, now)
        return page
    _local.pop(key, None)
    return None


def _keep_local(key: str, page: PublicPage, now: float) -> None:
    if len(_local) >= KNOWN_PATHS_LIMIT:
        _local.clear()
    _local[key] = (now, page)


def _clean_request(request: HttpRequest, query: QueryDict) -> HttpRequest:
    """The request the skeleton is rendered from: no cookies but the display mode, no user, no
    messages, only the query parameters the view reads. Whatever the templates do, a skeleton
    cannot hold anything of the visitor whose request happened to render it."""
    clean = copy.copy(request)
    # Of the cookies, only the display mode (normalised): it is part of the page's key.
    clean.COOKIES = {ELDER_COOKIE: "1"} if display_mode(request) == "elder" else {}
    clean.META = {
        **{k: v for k, v in request.META.items() if k != "HTTP_COOKIE"},
        "QUERY_STRING": query.urlencode(),
    }
    if clean.COOKIES:
        clean.META["HTTP_COOKIE"] = f"{ELDER_COOKIE}=1"
    clean.GET = query
    clean.user = AnonymousUser()
    clean._messages = message_storage(clean)
    clean.session = _EmptySession()
    return clean


class _EmptySession(dict):
    """An anonymous visitor's session, never saved."""

    session_key = None
    modified = False
    accessed = False

    def is_empty(self) -> bool:
        return True


def _render(view, request, clean: HttpRequest, args, kwargs, version: int, until):
    """The view's answer and, when it is a page to keep, its two entries."""
    holes: list[Hole] = []
    clean.pagecache_holes = holes
    response = view(clean, *args, **kwargs)
    if response.status_code != 200 or response.streaming:
        return response, None
    if clean.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        # A form with {% csrf_token %} outside a hole: the page is not the same for everyone.
        # Serve it uncached, rendered for this visitor, and say so loudly.
        logger.error("%s renders a CSRF token outside a hole; it is not cached", request.path)
        return view(request, *args, **kwargs), None
    now = timezone.now()
    cap = now.timestamp() + settings.PAGE_CACHE_SECONDS
    change = until(now)
    expires_at = min(cap, change.timestamp()) if change else cap
    parts = MARKER_PATTERN.split(response.content.decode())
    # split() alternates text and captured hole numbers: text, 0, text, 1, text …
    skeleton = [holes[int(part)] if i % 2 else part for i, part in enumerate(parts)]
    common = {
        "version": version,
        "rendered_at": now.timestamp(),
        "expires_at": expires_at,
        "content_type": response["Content-Type"],
    }
    public = PublicPage(**common, parts=_encoded(_fill(clean, skeleton, kinds={True})))
    if len(public.parts) == 1 and isinstance(public.parts[0], bytes):
        public.etag = _etag(public.parts[0])
    return response, (Page(**common, skeleton=skeleton), public)


def _encoded(segments: list) -> list[bytes | Hole]:
    """Adjacent text joined and encoded, so that delivery joins as few pieces as possible."""
    joined: list[str | Hole] = []
    for segment in segments:
        if isinstance(segment, str) and joined and isinstance(joined[-1], str):
            joined[-1] += segment
        else:
            joined.append(segment)
    return [part.encode() if isinstance(part, str) else part for part in joined]


def _etag(body: bytes) -> str:
    return quote_etag(hashlib.blake2b(body, digest_size=12).hexdigest())


def is_anonymous(request: HttpRequest) -> bool:
    """No session and no flash messages: what such a visitor sees is the same for everyone."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def deliver_public(request: HttpRequest, page: PublicPage, now: float) -> HttpResponse:
    if page.etag:
        body, etag = page.parts[0], page.etag
    else:
        filled = _fill(request, page.parts, kinds={False})
        body = b"".join(part if isinstance(part, bytes) else part.encode() for part in filled)
        etag = _etag(body)
    # No shared cache keeps the page past the skeleton's end or its live holes' end.
    fresh_until = min(page.expires_at, getattr(request, "pagecache_fresh_until", math.inf))
    if etag in _etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=page.content_type)
    response["Cache-Control"] = public_cache_control(fresh_until - now)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(page.rendered_at)
    # Pages differ by cookie (signed in or not); the session middleware adds Vary: Cookie only
    # when it was read, which this visitor's request may not do.
    patch_vary_headers(response, ["Cookie"])
    return response


def public_cache_control(fresh_for: float) -> str:
    """Cache-Control of what is the same for every visitor without cookies.

    Browsers keep it but ask again each time they show it (max-age=0, must-revalidate): the
    ETag makes that a 304 without a body, answered from the page cache in about the time of
    the page itself, so a visitor who reloads after a staff edit sees it. Shared caches (nginx,
    a CDN) may answer for it alone for PUBLIC_PAGE_SHARED_MAX_AGE seconds (s-maxage, a few at
    most), never past `fresh_for`, the seconds until the page changes by itself. Not
    `no-cache`: nginx would not keep the page at all.
    """
    shared = max(0, min(settings.PUBLIC_PAGE_SHARED_MAX_AGE, math.floor(fresh_for)))
    return f"public, max-age=0, must-revalidate, s-maxage={shared}"


def _deliver_personal(request: HttpRequest, page: Page) -> HttpResponse:
    body = "".join(_fill(request, page.skeleton, kinds={True, False}))
    response = HttpResponse(body, content_type=page.content_type)
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response


def _etags(header: str) -> set[str]:
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def live_fragment(
    request: HttpRequest,
    key: str,
    *,
    seconds: int,
    render: Callable[[], tuple[str, datetime | None]],
) -> str:
    """A live hole's HTML, rendered at most once per `seconds` (and never kept past the instant
    `render` says it changes) and shared by every visitor. The request learns until when it is
    fresh, for its Cache-Control. Like public pages, it is remembered by the process for up
    to LOCAL_SECONDS, never past its end."""
    now = time.time()
    recent = _local_live.get(key)
    if recent and now - recent[0] < LOCAL_SECONDS and recent[1][1] > now:
        entry = recent[1]
    else:
        stored = cache.get_many([VERSION_KEY, key])
        version = stored.get(VERSION_KEY) or current_version()
        entry = stored.get(key)
        if entry is None or entry[0] != version or entry[1] <= now:
            html, change = render()
            expires_at = now + seconds
            if change is not None:
                expires_at = min(expires_at, change.timestamp())
            entry = (version, expires_at, html)
            cache.set(key, entry, timeout=max(1, math.ceil(expires_at - now)))
        if len(_local_live) >= KNOWN_PATHS_LIMIT:
            _local_live.clear()
        _local_live[key] = (now, entry)
    request.pagecache_fresh_until = min(
        entry[1], getattr(request, "pagecache_fresh_until", math.inf)
    )
    return entry[2]


def forget_live(key: str) -> None:
    """Drop a live hole's shared entry and this process's copy: what it shows has changed
    (a home was chosen on the 选房大厅), so the next request renders it anew."""
    _local_live.pop(key, None)
    cache.delete(key)
