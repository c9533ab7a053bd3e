"""The image digit captcha (数字验证码) asked before every SMS code is sent (manual 3.1, 3.2).

Each image holds 5 digits drawn with Pillow, rotated, waved and crossed with noise. A page with
the captcha carries a random challenge id, in a hidden field of its form and in the address of
its image. Drawing the image makes a new answer for that id and keeps its keyed hash in the
shared cache (Redis in production) for 10 minutes; the answer is good for one check only, right
or wrong, so one image cannot be tried twice or reused for a second SMS (OWASP ASVS 5.0 §6:
anti-automation in front of a costly out-of-band channel). The check takes the answer out of
the cache with a delete that only one request can win, so simultaneous posts of one solved
image send one code, whichever worker they reach.

The challenge lives in the cache, not in the session: the image is fetched while the person
may be signing in, and an image response that wrote (or dropped) the session cookie after 登录
had rotated it would log them out again. The image view is therefore `sessionless`.

Guessing is throttled (issue 17, finding 8: four digits took any number of wrong answers):
five digits make a guess right once in 100,000; one challenge's image is drawn at most
DRAWS_PER_CHALLENGE times (a page's image reloaded, not a bot redrawing it to guess each
drawing), and an address that gave WRONG_ANSWERS_PER_ADDRESS wrong answers in ten minutes is
refused any check until enough of them are older (right answers never count: an office behind
one address types many right ones on opening day). That is 180 guesses an hour per address at
most, an expected 280 hours per right guess.

With CAPTCHA_TEST_MODE (refused by settings when DEBUG is off) the answer "PASSED" is accepted,
so that automated tests of a running site can get through.
"""

import io
import math
import re
import secrets
import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from rentcenter import ratelimit

LENGTH = 5
TTL_SECONDS = 10 * 60
# How often one challenge's image may be drawn: reloads of a page, never a stream of drawings.
DRAWS_PER_CHALLENGE = 5
# Wrong answers one address may give in a window (count, seconds) before checks are refused.
WRONG_ANSWERS_PER_ADDRESS = (30, 10 * 60)
TEST_ANSWER = "PASSED"
WIDTH, HEIGHT = 120, 44
# secrets.token_urlsafe(16): 128 random bits, 22 characters.
CHALLENGE_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")

_random = secrets.SystemRandom()


def new_challenge() -> str:
    """A challenge id for a form about to be drawn. Nothing is stored until its image is."""
    return secrets.token_urlsafe(16)


def is_challenge(value: str) -> bool:
    return bool(CHALLENGE_PATTERN.fullmatch(value))


class TooManyDraws(Exception):
    """This challenge's image was drawn DRAWS_PER_CHALLENGE times already."""


class Throttled(Exception):
    """Too many wrong answers came from this address; `retry_at` is when a check is allowed."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at


def _key(challenge: str) -> str:
    return f"captcha:{challenge}"


def _hash(challenge: str, answer: str) -> str:
    return salted_hmac("accounts.captcha", f"{challenge}|{answer}", algorithm="sha256").hexdigest()


def new_answer(challenge: str) -> str:
    """A new answer for `challenge`, in place of any earlier one (the latest image counts)."""
    if not is_challenge(challenge):
        raise ValueError("not a challenge id")
    draws = f"captcha:draws:{challenge}"
    cache.add(draws, 0, timeout=TTL_SECONDS)
    try:
        drawn = cache.incr(draws)
    except ValueError:  # evicted between add and incr
        cache.set(draws, 1, timeout=TTL_SECONDS)
        drawn = 1
    if drawn > DRAWS_PER_CHALLENGE:
        cache.delete(_key(challenge))  # the last image is no longer good either
        raise TooManyDraws
    answer = "".join(secrets.choice("0123456789") for _ in range(LENGTH))
    now = time.time()
    stored = {"hash": _hash(challenge, answer), "drawn_at": now, "expires_at": now + TTL_SECONDS}
    cache.set(_key(challenge), stored, timeout=TTL_SECONDS)
    return answer


def check(challenge: str, answer: str, *, max_age: int | None = None, address: str = "") -> bool:
    """Whether `answer` solves the latest image of `challenge`, drawn at most `max_age` seconds
    ago when given; the image is used up either way. Raises Throttled when `address` gave too
    many wrong answers lately.

    Of any number of simultaneous checks, only the one whose delete removes the entry can
    succeed (Redis DEL and the local-memory cache both say whether they removed it)."""
    limit, window = WRONG_ANSWERS_PER_ADDRESS
    # Counted as wrong until it proves right: simultaneous guesses cannot all slip through.
    attempt = ratelimit.hit(f"captcha:wrong:{address}", limit=limit, window=window)
    if not attempt.allowed:
        cache.delete(_key(challenge))
        raise Throttled(attempt.retry_at)
    right = _solves(challenge, answer, max_age=max_age)
    if right:
        ratelimit.take_back(attempt)
    return right


def _solves(challenge: str, answer: str, *, max_age: int | None) -> bool:
    answer = answer.strip()
    stored = cache.get(_key(challenge)) if is_challenge(challenge) else None
    taken = stored is not None and cache.delete(_key(challenge))
    if settings.CAPTCHA_TEST_MODE and answer == TEST_ANSWER:
        return True
    if not taken or stored["expires_at"] < time.time():
        return False
    if max_age is not None and time.time() - stored["drawn_at"] > max_age:
        return False
    return constant_time_compare(stored["hash"], _hash(challenge, answer))


def draw(answer: str) -> bytes:
    """A PNG of the digits: each one tilted and shifted, the whole waved, lines and dots over."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (236, 241, 248))
    font = ImageFont.load_default(size=28)
    step = (WIDTH - 12) // len(answer)
    for position, digit in enumerate(answer):
        glyph = Image.new("RGBA", (step + 8, HEIGHT), (0, 0, 0, 0))
        colour = (_random.randint(10, 90), _random.randint(30, 90), _random.randint(90, 160))
        ImageDraw.Draw(glyph).text(
            (4, 2), digit, font=font, fill=colour, stroke_width=1, stroke_fill=colour
        )
        glyph = glyph.rotate(_random.uniform(-28, 28), resample=Image.Resampling.BICUBIC)
        offset = (6 + position * step + _random.randint(-2, 3), _random.randint(-3, 4))
        image.paste(glyph, offset, glyph)
    image = _wave(image)
    pen = ImageDraw.Draw(image)
    for _ in range(3):
        start = (_random.randint(0, WIDTH // 3), _random.randint(0, HEIGHT))
        end = (_random.randint(2 * WIDTH // 3, WIDTH), _random.randint(0, HEIGHT))
        pen.line([start, end], fill=(90, 110, 150), width=_random.randint(1, 2))
    for _ in range(140):
        point = (_random.randrange(WIDTH), _random.randrange(HEIGHT))
        pen.point(point, fill=(_random.randint(60, 200),) * 3)
    image = image.filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _wave(image: Image.Image) -> Image.Image:
    """Shift each column up or down along a sine wave of random phase."""
    amplitude = _random.uniform(2.0, 3.5)
    period = _random.uniform(45, 70)
    phase = _random.uniform(0, 2 * math.pi)
    waved = Image.new("RGB", image.size, (236, 241, 248))
    for x in range(image.width):
        shift = round(amplitude * math.sin(2 * math.pi * x / period + phase))
        waved.paste(image.crop((x, 0, x + 1, image.height)), (x, shift))
    return waved
