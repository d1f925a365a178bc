"""formatting.py: SAS-style half-up rounding and the CSR number formats, checked by hand."""

import math

import pytest

from csrgen import formatting as f


@pytest.mark.parametrize(
    ("x", "digits", "expected"),
    [
        (0.5, 0, "1"),  # Python's round(0.5) gives 0 (half to even)
        (1.5, 0, "2"),
        (2.5, 0, "3"),  # round(2.5) == 2
        (-2.5, 0, "-3"),  # half away from zero, as SAS ROUND
        (0.125, 2, "0.13"),  # round(0.125, 2) == 0.12
        (2.675, 2, "2.68"),  # binary 2.67499999... but the data meant 2.675
        (1.005, 2, "1.01"),
        (0.0005, 3, "0.001"),
        (12.345, 1, "12.3"),
        (12.35, 1, "12.4"),
        (-0.04, 1, "0.0"),  # never "-0.0"
        (100, 1, "100.0"),
    ],
)
def test_round_half_up_at_the_boundaries(x, digits, expected):
    assert f.fmt_num(x, digits) == expected


def test_missing_and_infinite_print_NE():
    assert f.fmt_num(float("nan"), 1) == "NE"
    assert f.fmt_num(None) == "NE"
    assert f.fmt_num(math.inf) == "NE"


def test_n_pct():
    assert f.fmt_n_pct(5, 100 * 5 / 111) == "5 (4.5)"  # 4.504...
    assert f.fmt_n_pct(1, 100 * 1 / 8) == "1 (12.5)"
    assert f.fmt_n_pct(1, 100 * 1 / 16) == "1 (6.3)"  # 6.25 half-up
    assert f.fmt_n_pct(0, 0.0) == "0"
    assert f.fmt_n_pct(7, 100.0) == "7 (100)"
    assert f.fmt_n_pct_events(3, 50.0, 4) == "3 (50.0) [4]"


def test_mean_sd_median_range():
    assert f.fmt_mean_sd(47.25, 9.125, 0) == "47.3 (9.13)"
    assert f.fmt_mean_sd(29.15, 4.5049, 1) == "29.15 (4.505)"
    assert f.fmt_mean_sd(5.0, float("nan"), 0) == "5.0 (NE)"
    assert f.fmt_median(47.25, 0) == "47.3"
    assert f.fmt_range(25, 65, 0) == "25, 65"
    assert f.fmt_median_iqr(35.0, 22.25, 51.75, 0) == "35.0 [22.3, 51.8]"


def test_pvalues():
    assert f.fmt_pvalue(0.0004) == "<0.001"
    assert f.fmt_pvalue(0.001) == "0.001"
    assert f.fmt_pvalue(0.0495) == "0.050"
    assert f.fmt_pvalue(0.9996) == ">0.999"
    assert f.fmt_pvalue(float("nan")) == "NE"


def test_ci_and_header():
    assert f.fmt_est_ci(0.5049, 0.3, float("nan")) == "0.50 (0.30, NE)"
    assert f.fmt_ci(0.125, 1.0, 2) == "(0.13, 1.00)"
    assert f.fmt_header_n("UC-MSC", 108.0) == "UC-MSC\n(N=108)"


def test_count_has_thousands_separators():
    assert f.fmt_count(0) == "0"
    assert f.fmt_count(5689) == "5,689"
    assert f.fmt_count(2542486) == "2,542,486"


# -- formats as data ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "code", "expected"),
    [
        (12.0, "int", "12"),
        (2.675, "num:2", "2.68"),
        (100.0, "pct:1", "100"),
        (33.333, "pct:1", "33.3"),
        (0.0004, "pvalue:3", "<0.001"),
        (0.8425, "prob:1", "84.3"),
        (float("nan"), "num:1", "NE"),
    ],
)
def test_fmt_stat_by_code(x, code, expected):
    assert f.fmt_stat(x, code) == expected


@pytest.mark.parametrize("code", ["", "num", "int:2", "pct:x", "float:2", "num:11"])
def test_malformed_codes_are_refused(code):
    with pytest.raises(ValueError, match="format"):
        f.parse_code(code)


def test_declared_formats_resolve_with_offsets_likes_and_module_overrides():
    spec = f.default_formats()
    # means and medians one decimal more than the data, SD two more, min/max as the data
    assert [spec.code(s, "", 1) for s in ("mean", "sd", "median", "min")] == [
        "num:2",
        "num:3",
        "num:2",
        "num:1",
    ]
    # confidence limits print as their estimate, whatever the data decimals
    assert spec.code("hr_ucl", "", 3) == spec.code("hr", "", 0) == "num:2"
    assert spec.code("diff_lcl", "", 2) == spec.code("diff", "", 2) == "num:3"
    assert spec.code("surv_lcl") == "prob:1"
    # q1 is a quartile of the data in Table 1, a time in a survival table
    assert spec.code("q1", "t_demog", 0) == "num:1"
    assert spec.code("q1", "t_tte", 0) == "num:0" == spec.code("median_time", "t_tte", 0)
    with pytest.raises(KeyError, match="no format declared"):
        spec.code("not_a_statistic")


def test_circular_like_is_an_error():
    spec = f.FormatSpec({"a": f.StatFormat(like="b"), "b": f.StatFormat(like="a")})
    with pytest.raises(ValueError, match="circular"):
        spec.code("a")


@pytest.mark.parametrize(
    "value, text",
    [
        (99.17999999999999, "99.18"),  # the CDISC pilot's ADLB: a unit conversion's noise
        (0.1 + 0.2, "0.3"),
        (39.33, "39.33"),
        (140.0, "140"),
        (-0.0, "0"),
        (1e-7, "0.0000001"),
        (123456789012.0, "123456789012"),
        (2.5e15, "2500000000000000"),
        (float("nan"), ""),
    ],
)
def test_listing_values_print_as_sas_best12_shows_them(value, text):
    assert f.fmt_value(value) == text
