# The one image of the production stack (deploy/compose.yaml): the web workers (gunicorn), the
# task workers (rqworker) and the release job (migrate, collectstatic, build_pdf_fonts).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/srv/rentcenter/var

# What WeasyPrint needs for the PDF record (scripts/system-deps.sh): Pango for the layout and
# Noto Sans CJK for the Chinese glyphs, which build_pdf_fonts cuts down to GB 2312.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 fontconfig \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 1000 --user-group --home-dir /srv/rentcenter rentcenter \
    && mkdir -p /srv/rentcenter/app /srv/rentcenter/var /srv/rentcenter/metrics \
    && chown rentcenter:rentcenter /srv/rentcenter/var /srv/rentcenter/metrics

WORKDIR /srv/rentcenter/app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir rentcenter accounts projects plans applications lottery demo \
    && pip install . && pip uninstall -y rentcenter \
    && rmdir rentcenter accounts projects plans applications lottery demo
# The code, run from this folder (settings find templates/ and static/ beside the apps).
COPY . .
RUN pip install --no-deps -e .

USER rentcenter
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "rentcenter.wsgi"]
