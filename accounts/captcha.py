"""The image digit captcha (数字验证码) asked before every SMS code is sent (manual 3.1, 3.2).

Each image holds 4 digits drawn with Pillow, rotated, waved and crossed with noise. The answer
stays on the server, in the session, as a keyed hash; it expires after 10 minutes and is good
for one check only, right or wrong, so one image cannot be tried twice or reused for a second
SMS (OWASP ASVS 5.0 §6: anti-automation in front of a costly out-of-band channel).

With CAPTCHA_TEST_MODE (refused by settings when DEBUG is off) the answer "PASSED" is accepted,
so that automated tests of a running site can get through.
"""

import io
import math
import secrets
import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare, salted_hmac
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SESSION_KEY = "accounts.captcha"
LENGTH = 4
TTL_SECONDS = 10 * 60
TEST_ANSWER = "PASSED"
WIDTH, HEIGHT = 120, 44

_random = secrets.SystemRandom()


def _hash(answer: str) -> str:
    return salted_hmac("accounts.captcha", answer, algorithm="sha256").hexdigest()


def new_challenge(session: SessionBase) -> str:
    """A new answer, remembered in the session in place of any earlier one."""
    answer = "".join(secrets.choice("0123456789") for _ in range(LENGTH))
    session[SESSION_KEY] = {"hash": _hash(answer), "expires_at": time.time() + TTL_SECONDS}
    return answer


def check(session: SessionBase, answer: str) -> bool:
    """Whether `answer` solves the session's current image; the image is used up either way."""
    stored = session.pop(SESSION_KEY, None)
    answer = answer.strip()
    if settings.CAPTCHA_TEST_MODE and answer == TEST_ANSWER:
        return True
    if not stored or stored["expires_at"] < time.time():
        return False
    return constant_time_compare(stored["hash"], _hash(answer))


def draw(answer: str) -> bytes:
    """A PNG of the digits: each one tilted and shifted, the whole waved, lines and dots over."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (236, 241, 248))
    font = ImageFont.load_default(size=30)
    step = (WIDTH - 16) // len(answer)
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
