"""Staff TOTP secrets encrypted with the site's keys (issue 18): every authenticator app
django-otp's TOTPDevice kept in clear hex moves to accounts.StaffTOTPDevice, its secret
encrypted with the first of ID_NUMBER_KEYS and its state (drift, last code's step, throttling)
kept, so nobody has to enrol again; the clear rows are deleted. Sessions verified with an old
device (its persistent id names otp_totp.totpdevice) sign in with the code again."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def encrypt_secrets(apps, schema_editor):
    from rentcenter import crypto

    Clear = apps.get_model("otp_totp", "TOTPDevice")
    Encrypted = apps.get_model("accounts", "StaffTOTPDevice")
    for device in Clear.objects.order_by("pk"):
        Encrypted.objects.create(
            user_id=device.user_id,
            name=device.name,
            confirmed=device.confirmed,
            key_encrypted=crypto.encrypt(device.key),
            step=device.step,
            t0=device.t0,
            digits=device.digits,
            tolerance=device.tolerance,
            drift=device.drift,
            last_t=device.last_t,
            throttling_failure_timestamp=device.throttling_failure_timestamp,
            throttling_failure_count=device.throttling_failure_count,
            created_at=device.created_at,
            last_used_at=device.last_used_at,
        )
    Clear.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_login_lockouts'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='StaffTOTPDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('key_encrypted', models.TextField(editable=False, verbose_name='密钥（密文）')),
                ('step', models.PositiveSmallIntegerField(default=30)),
                ('t0', models.BigIntegerField(default=0)),
                ('digits', models.PositiveSmallIntegerField(default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1)),
                ('drift', models.SmallIntegerField(default=0)),
                ('last_t', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '身份验证器',
                'verbose_name_plural': '身份验证器',
                'abstract': False,
            },
        ),
        migrations.RunPython(encrypt_secrets, migrations.RunPython.noop),
    ]
