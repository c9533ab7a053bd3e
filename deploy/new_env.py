"""Writes the two environment files of the production stack (deploy/compose.yaml), with new
random secrets: deploy/rentcenter.env (the site's settings, read by every container of the
image) and deploy/postgres.env (the database's password, also inside DATABASE_URL).

    python3 deploy/new_env.py --domain zl.example.cn \\
        [--sms-url https://sms.example.cn/send --sms-key KEY] \\
        [--identity-url https://id.example.cn/verify --identity-key KEY]

Python's standard library only, so it runs on the host before anything is installed. It never
overwrites a file (the ID number keys decrypt what is stored: losing them loses every ID
number); keep both files in the secret store and out of the repository (.gitignore).
"""

import argparse
import base64
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def site_environment(
    domain: str,
    db_password: str,
    sms_url: str,
    sms_key: str,
    identity_url: str = "",
    identity_key: str = "",
) -> list[str]:
    if identity_url and identity_key:
        identity = [
            "IDENTITY_VERIFIER=http",
            f"IDENTITY_SERVICE_URL={identity_url}",
            f"IDENTITY_SERVICE_KEY={identity_key}",
        ]
    else:
        # Chosen on purpose until the identity-check service is known: names are compared
        # with nothing, and `check --deploy` says so (README, Configuration).
        identity = ["IDENTITY_VERIFIER=local"]
    if sms_url and sms_key:
        sms = ["SMS_BACKEND=http", f"SMS_GATEWAY_URL={sms_url}", f"SMS_GATEWAY_KEY={sms_key}"]
    else:
        # Until the gateway's address and key are known, texts are written to
        # VAR_DIR/sms.jsonl on the shared volume: kept, not sent.
        sms = ["SMS_BACKEND=file"]
    return [
        "# The site's settings (README, Configuration). Secrets: keep in the secret store.",
        "DEBUG=0",
        f"SECRET_KEY={secrets.token_urlsafe(50)}",
        f"ID_NUMBER_KEYS={base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}",
        f"ID_NUMBER_HMAC_KEY={secrets.token_urlsafe(40)}",
        f"ALLOWED_HOSTS={domain}",
        f"CSRF_TRUSTED_ORIGINS=https://{domain}",
        f"SITE_URL=https://{domain}",
        f"DATABASE_URL=postgres://rentcenter:{db_password}@db:5432/rentcenter",
        "REDIS_URL=redis://redis:6379/0",
        "TRUST_X_FORWARDED_FOR=1",
        "TRUST_X_FORWARDED_PROTO=1",
        "SECURE_HSTS_SECONDS=31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS=1",
        "SECURE_HSTS_PRELOAD=1",
        *sms,
        *identity,
        "METRICS_ENABLED=1",
        f"METRICS_TOKEN={secrets.token_urlsafe(32)}",
        "LOG_FORMAT=json",
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", required=True, help="the site's host name, zl.example.cn")
    parser.add_argument("--sms-url", default="", help="the SMS gateway's address")
    parser.add_argument("--sms-key", default="", help="the SMS gateway's key")
    parser.add_argument("--identity-url", default="", help="the identity-check service's address")
    parser.add_argument("--identity-key", default="", help="the identity-check service's key")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (deploy/)")
    options = parser.parse_args(argv)
    site, database = options.out / "rentcenter.env", options.out / "postgres.env"
    for path in (site, database):
        if path.exists():
            print(f"{path} exists; not overwritten.", file=sys.stderr)
            return 1
    password = secrets.token_urlsafe(24)
    lines = site_environment(
        options.domain,
        password,
        options.sms_url,
        options.sms_key,
        options.identity_url,
        options.identity_key,
    )
    site.write_text("\n".join(lines) + "\n")
    database.write_text(
        f"POSTGRES_USER=rentcenter\nPOSTGRES_DB=rentcenter\nPOSTGRES_PASSWORD={password}\n"
    )
    for path in (site, database):
        path.chmod(0o600)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
