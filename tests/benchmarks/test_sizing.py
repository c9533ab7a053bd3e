"""benchmarks/sizing.py: the cores a plan's opening needs, from CPU-ms per request."""

import pytest

from benchmarks import sizing

FIGURES = {"web": 10.0, "db": 2.0, "redis": 0.1}  # CPU-ms per request of the opening mix


def test_a_registration_comes_with_its_browsing():
    # 立即登记, 确认登记 (×1.1), 登记成功, 配租记录 + 7/3 of (home, 配租公告, 项目详情, 户型详情)
    assert sizing.requests_per_registration() == pytest.approx(4.1 + 7 / 3 * 4)


def test_cores_for_the_peak_at_the_target_utilisation():
    size = sizing.size(
        60_000, cpu_ms_per_request=FIGURES, worker_cpu_seconds_per_text=0.01, gateway_seconds=0.2
    )
    # 60,000 in 600 s: 100 a second on average, 300 at the peak; 13.43 requests each.
    assert size.registrations_per_second == pytest.approx(300)
    assert size.requests_per_second == pytest.approx(300 * 13.4333, rel=1e-4)
    # 4,030 req/s × 10 ms = 40.3 CPU-s/s ÷ 0.6 = 67.2 → 68 cores; × 2 ms = 8.06 → 13.4 → 14.
    assert size.cpu["web"] == pytest.approx(40.3)
    assert size.cores == {"web": 68, "db": 14, "redis": 1}
    # 300 texts/s × (0.01 s CPU + 0.2 s gateway) = 63 busy workers ÷ 0.6 = 105.
    assert size.cpu["worker"] == pytest.approx(3.0)
    assert size.workers == 105


def test_at_least_two_web_cores():
    size = sizing.size(600, cpu_ms_per_request=FIGURES, worker_cpu_seconds_per_text=0.01)
    assert size.cpu["web"] < 0.6
    assert size.cores["web"] == 2
    assert size.cores["db"] == 1
    assert size.workers == 2  # 3 texts/s × 0.21 s = 0.63 ÷ 0.6 = 1.05


def test_the_peak_factor_and_utilisation_are_what_the_cores_scale_with():
    even = sizing.size(
        60_000,
        cpu_ms_per_request=FIGURES,
        worker_cpu_seconds_per_text=0.01,
        peak_factor=1,
        utilisation=1,
    )
    assert even.requests_per_second == pytest.approx(100 * 13.4333, rel=1e-4)
    assert even.cores["web"] == 14  # 13.43 CPU-s/s, rounded up


def test_the_table_has_a_row_per_plan(capsys):
    sizes = sizing.print_table(cpu_ms_per_request=FIGURES, worker_cpu_seconds_per_text=0.01)
    assert [s.registrants for s in sizes] == [10_000, 50_000, 200_000]
    out = capsys.readouterr().out
    # 1,000 registrations/s at the peak, 13,433 req/s: web 134.3 CPU-s/s ÷ 0.6 → 224 cores, db
    # 26.9 → 45, redis 1.34 → 3; workers 1,000 × 0.21 s ÷ 0.6 = 350, using 10 CPU-s/s.
    assert "| 200,000 | 1000 | 13,433 | 224 (134.3) | 45 (26.9) | 3 (1.34) | 350 (10.00) |" in out
