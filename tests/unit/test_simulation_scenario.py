"""Scenario files of the digital twin: the default one, and every mistake named at once."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from landport.demo.live import for_visitors
from landport.shared.errors import InvalidInput
from landport.shared.identifiers import check_uscc
from landport.simulation import cargo
from landport.simulation.model import TruckDraws
from landport.simulation.scenario import (
    default_scenario_path,
    load_scenario,
    parse_scenario,
)
from landport.simulation.sweep import combinations, parse_sweeps

DEFAULT = default_scenario_path().read_text(encoding="utf-8")


def with_line(key: str, value: str, text: str = DEFAULT) -> str:
    """The default scenario with one `key = ...` line replaced."""
    changed, n = re.subn(rf"^{re.escape(key)} = .*$", f"{key} = {value}", text, flags=re.M)
    assert n == 1, key
    return changed


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {v.field for v in exc.value.violations}


def test_the_default_scenario_is_calibrated_to_the_seed_port() -> None:
    s = load_scenario()
    assert s.name == "shigatse"
    assert 300 <= s.trucks_per_day * (1 - s.appointment_share * s.no_show_rate) <= 320
    assert s.service_minutes["scan"][0] == 2.0 and s.service_minutes["scan"][2] == 3.0
    assert s.scan_lanes == 2 and s.exam_bays == 2
    assert set(s.border_share) == {"gyirong-port", "zhangmu-port", "lizi-port"}
    assert {"nev", "lithium_ion", "pv", "furniture"} <= set(s.cargo_mix)
    assert {i.kind for i in s.incidents} == {
        "route_deviation",
        "long_stop",
        "seal_opened",
        "tamper",
        "battery_failure",
    }
    assert all(z.length_km <= 20 for z in s.dead_zones)


def test_a_shipped_scenario_is_found_by_its_name() -> None:
    assert load_scenario("shigatse") == load_scenario()


def test_every_bad_field_is_named_with_its_rule_in_english_and_chinese() -> None:
    text = with_line("trucks_per_day", "-5")
    text = with_line("scan_lanes", '"two"', text)
    text = with_line("scan", "[3.0, 2.0, 2.5]", text)
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert fields_of(exc) == {
        "arrivals.trucks_per_day",
        "yard.scan_lanes",
        "service_minutes.scan",
    }
    for v in exc.value.violations:
        assert v.message_en.startswith(v.field) and v.message_zh.startswith(v.field)
        assert v.message_zh != v.message_en


def test_unknown_cargo_kinds_and_incident_kinds_are_refused() -> None:
    text = with_line("mix", "{ furniture = 50, bananas = 10 }")
    text = text.replace('kind = "tamper"', 'kind = "alien_abduction"')
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert fields_of(exc) == {"cargo.mix.bananas", "incidents[3].kind"}


def test_hours_must_open_before_they_close() -> None:
    text = with_line("lane_hours", '[["19:00", "09:00"]]')
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert [v.code for v in exc.value.violations] == ["bad_hours"]


def test_trucks_drive_by_day_for_at_least_six_hours_or_all_day_when_unsaid() -> None:
    assert load_scenario().driving_hours == ("08:00", "20:00")
    assert parse_scenario(
        DEFAULT.replace('driving_hours = ["08:00", "20:00"]\n', "")
    ).driving_hours == (
        "00:00",
        "24:00",
    )
    with pytest.raises(InvalidInput) as short:
        parse_scenario(with_line("driving_hours", '["08:00", "13:30"]'))
    (too_short,) = short.value.violations
    assert (too_short.field, too_short.code) == ("telemetry.driving_hours", "too_short")
    assert "6 hours" in too_short.message_en and "6 小时" in too_short.message_zh
    with pytest.raises(InvalidInput) as backwards:
        parse_scenario(with_line("driving_hours", '["20:00", "08:00"]'))
    assert [v.code for v in backwards.value.violations] == ["bad_hours"]
    with pytest.raises(InvalidInput) as two:
        parse_scenario(with_line("driving_hours", '[["08:00", "14:00"], ["15:00", "20:00"]]'))
    assert [v.code for v in two.value.violations] == ["one_span"]


def test_a_dead_zone_longer_than_the_silence_alarm_is_refused() -> None:
    text = DEFAULT.replace("at_km = 150.0, length_km = 12.0", "at_km = 150.0, length_km = 60.0")
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert fields_of(exc) == {"telemetry.dead_zones[0]"}


def test_a_missing_section_is_reported_field_by_field() -> None:
    text = DEFAULT.split("[border]")[0] + DEFAULT.split("[telemetry]")[1].join(["[telemetry]", ""])
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert {"border.capacity", "border.share", "border.officers"} <= fields_of(exc)


def test_broken_toml_is_one_clear_error() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_scenario("[arrivals\ntrucks_per_day = 3")
    assert [v.code for v in exc.value.violations] == ["toml_syntax"]


def test_an_unreadable_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        load_scenario(tmp_path / "missing.toml")
    assert "missing.toml" in exc.value.violations[0].message_en


def test_sweeps_take_ranges_and_lists_and_multiply() -> None:
    axes = parse_sweeps(["scan_lanes=1..3", "parking=100,200"])
    assert axes == [("scan_lanes", (1, 2, 3)), ("parking", (100, 200))]
    combos = combinations(axes)
    assert len(combos) == 6 and combos[0] == {"scan_lanes": 1, "parking": 100}


def test_a_sweep_of_something_that_is_not_a_resource_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_sweeps(["weather=1..3", "scan_lanes=4..x"])
    assert len(exc.value.violations) == 2
    assert all(v.field == "--sweep" for v in exc.value.violations)


def test_a_sweep_value_no_scenario_could_take_is_refused_before_any_run() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_sweeps(["scan_lanes=3,0"])
    assert ">= 1" in exc.value.violations[0].message_en


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("parking=1_0", "distinct whole numbers"),  # int() would read 10
        ("parking=\u0661\u0660", "distinct whole numbers"),  # Arabic-Indic digits
        ("parking=10,,20", "distinct whole numbers"),
        ("parking=10,", "distinct whole numbers"),
        ("parking=1..4..5", "distinct whole numbers"),
        ("parking=100,200,100", "100 given more than once"),
        ("scan_lanes=4..1", "runs backwards"),
    ],
)
def test_sweep_values_are_plain_distinct_numbers(spec: str, said: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_sweeps([spec])
    (violation,) = exc.value.violations
    assert violation.field == "--sweep" and said in violation.message_en
    assert spec in violation.message_zh


def test_a_swept_border_capacity_is_split_exactly_over_the_open_ports() -> None:
    s = load_scenario()
    ports = s.border_capacity
    for total in (len(ports), 7, sum(ports.values()), 451, 30_000):
        split = s.with_values(border_capacity=total).border_capacity
        assert sum(split.values()) == total, total  # the row runs what it reports
        assert set(split) == set(ports) and min(split.values()) >= 1
    assert s.with_values(border_capacity=sum(ports.values())).border_capacity == ports
    with pytest.raises(InvalidInput) as exc:
        s.with_values(border_capacity=len(ports) - 1)
    assert exc.value.violations[0].field == "border_capacity"


def test_a_variant_is_checked_like_a_file() -> None:
    s = load_scenario()
    assert s.with_values(scan_lanes=4).scan_lanes == 4
    with pytest.raises(InvalidInput):
        s.with_values(scan_lanes=0)
    with pytest.raises(InvalidInput):
        s.with_values(name="other")


def test_the_monitoring_desk_has_its_officers_and_their_minutes() -> None:
    s = load_scenario()
    assert s.monitoring_officers == 2
    assert s.acknowledge_minutes == (1.0, 3.0, 6.0)
    assert s.resolve_minutes == (10.0, 20.0, 40.0)
    changed = parse_scenario(with_line("monitoring", "5"))
    assert changed.monitoring_officers == 5 and changed.resolve_minutes == s.resolve_minutes


def test_a_scenario_without_officers_takes_the_defaults() -> None:
    text = re.sub(r"^\[officers\]\n(?:[a-z_]+ = .*\n)+", "", DEFAULT, flags=re.M)
    assert "[officers]" not in text
    s = parse_scenario(text)
    assert s.monitoring_officers == 2 and s.acknowledge_minutes == (1.0, 3.0, 6.0)
    partly = parse_scenario(text + "\n[officers]\nacknowledge_minutes = [2, 4, 8]\n")
    assert partly.acknowledge_minutes == (2.0, 4.0, 8.0) and partly.monitoring_officers == 2


def test_bad_officer_fields_are_named_with_their_rule() -> None:
    text = with_line("monitoring", "0")
    text = with_line("acknowledge_minutes", "[6, 3, 1]", text)
    text = with_line("resolve_minutes", '"soon"', text)
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert fields_of(exc) == {
        "officers.monitoring",
        "officers.acknowledge_minutes",
        "officers.resolve_minutes",
    }
    codes = {v.field: v.code for v in exc.value.violations}
    assert codes["officers.monitoring"] == "not_positive_int"
    assert codes["officers.acknowledge_minutes"] == "not_a_triangle"
    for v in exc.value.violations:
        assert v.message_en.startswith(v.field) and v.message_zh != v.message_en


def test_newcomers_are_an_optional_share_with_their_own_valid_ids() -> None:
    assert load_scenario().new_exporter_share == 0.03
    older = re.sub(r"^new_exporter_share = .*\n", "", DEFAULT, flags=re.M)
    assert parse_scenario(older).new_exporter_share == 0.0  # files from before keep working
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(with_line("new_exporter_share", "1.5"))
    assert fields_of(exc) == {"cargo.new_exporter_share"}
    assert exc.value.violations[0].code == "out_of_range"
    ids = {cargo.newcomer("tibet", "carpets", serial).uscc for serial in (1, 2, 31, 27_000)}
    assert len(ids) == 4 and all(check_uscc(uscc).ok for uscc in ids)
    regulars = {
        cargo.exporter(p, goods).uscc for p in cargo.PROVINCE_CODES for goods in cargo.GOODS
    }
    assert ids.isdisjoint(regulars)


def test_a_misspelt_field_or_table_is_refused_with_the_name_it_resembles() -> None:
    text = with_line("scan_lanes", "2\nsacn_lanes = 3")
    text = text.replace("[officers]", "[officer]")
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    by_field = {v.field: v for v in exc.value.violations}
    assert set(by_field) == {"yard.sacn_lanes", "officer"}
    assert "'scan_lanes'" in by_field["yard.sacn_lanes"].message_en
    assert "「officers」" in by_field["officer"].message_zh
    assert {v.code for v in by_field.values()} == {"unknown_field"}


def test_an_unknown_key_inside_a_dead_zone_or_an_incident_is_named() -> None:
    text = DEFAULT.replace(
        "at_km = 150.0, length_km = 12.0 }", "at_km = 150.0, length_km = 12.0, why = 1 }"
    )
    text = text.replace('kind = "long_stop"', 'kind = "long_stop"\nminutes = 90', 1)
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert fields_of(exc) == {"telemetry.dead_zones[0].why", "incidents[1].minutes"}


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("suspicious_scan_rate", "nan", "risk.suspicious_scan_rate"),
        ("refused_share", "1.5", "risk.refused_share"),
        ("fix_interval_s", "inf", "telemetry.fix_interval_s"),
        ("scan", "[2.0, nan, 3.0]", "service_minutes.scan"),
        ("declaration_lead_minutes", "[30, inf]", "arrivals.declaration_lead_minutes"),
        ("per_day", "inf", "incidents[0].per_day"),
        ("trucks_per_day", "1000000000", "arrivals.trucks_per_day"),
        ("parking", "20001", "yard.parking"),
        ("start", "2026-03-02T10:00:00", "scenario.start"),
    ],
)
def test_a_value_no_run_could_take_is_refused_at_once(key: str, value: str, field: str) -> None:
    text = DEFAULT
    if key == "per_day":
        text = text.replace("per_day = 1.0", "per_day = inf", 1)
    else:
        text = with_line(key, value)
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert fields_of(exc) == {field}


def test_a_share_table_refuses_nan_and_infinity() -> None:
    text = DEFAULT.replace('"08" = ', '"08" = nan, "_08" = ', 1)
    assert text != DEFAULT
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert "arrivals.by_hour.08" in fields_of(exc)


def test_a_dead_zone_must_lie_on_its_road() -> None:
    text = DEFAULT.replace("at_km = 150.0", "at_km = 560.0", 1)  # the Gyirong road is 564 km
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(text)
    assert fields_of(exc) == {"telemetry.dead_zones[0]"}
    assert "564 km" in exc.value.violations[0].message_en


def test_a_border_port_that_takes_trucks_needs_a_capacity_of_at_least_one() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(with_line("capacity", "{ gyirong-port = 0, zhangmu-port = 100 }"))
    assert fields_of(exc) == {"border.capacity.gyirong-port", "border.capacity.lizi-port"}
    closed = with_line("capacity", "{ gyirong-port = 180, zhangmu-port = 100, lizi-port = 0 }")
    closed = closed.replace("lizi-port = 12 }", "lizi-port = 0 }")
    assert "lizi-port" not in parse_scenario(closed).border_capacity  # out of the layout


def test_a_file_that_is_not_utf8_is_refused_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b"\xff" + DEFAULT.encode())
    with pytest.raises(InvalidInput) as exc:
        load_scenario(path)
    (v,) = exc.value.violations
    assert v.code == "not_utf8" and "UTF-8" in v.message_en and "UTF-8" in v.message_zh
    with pytest.raises(InvalidInput) as exc:
        load_scenario(tmp_path)
    assert "目录" in exc.value.violations[0].message_zh


def test_a_sweep_is_bounded_before_it_is_built() -> None:
    with pytest.raises(InvalidInput):
        parse_sweeps(["parking=1..1000000000000"])  # refused without building the range
    with pytest.raises(InvalidInput) as exc:
        parse_sweeps(["parking=100..149", "scan_lanes=1..5"])
    assert exc.value.violations[0].code == "too_many_configurations"
    with pytest.raises(InvalidInput) as exc:
        parse_sweeps(["scan_lanes=200"])
    assert "100" in exc.value.violations[0].message_en
    with pytest.raises(InvalidInput):
        load_scenario().with_values(trucks_per_day=10**9)


def test_border_closures_and_random_selection_are_read_and_checked() -> None:
    text = DEFAULT.replace(
        "\n[telemetry]",
        '\n[[border.closures]]\nport = "gyirong-port"\nfrom_day = 2\ndays = 3\n'
        'announced_day = 1\nreason = "landslide"\n\n[telemetry]',
    )
    text = with_line("suspicious_scan_rate", "0.08\nrandom_red_rate = [0.02, 0.2]", text)
    s = parse_scenario(text)
    (closure,) = s.closures
    assert (closure.port, closure.from_day, closure.days, closure.announced_day) == (
        "gyirong-port", 2, 3, 1,
    )  # fmt: skip
    assert s.random_red_rate == (0.02, 0.2) and s.random_yellow_rate is None
    assert load_scenario().closures == () and load_scenario().random_red_rate is None
    bad = text.replace('port = "gyirong-port"', 'port = "kathmandu"').replace(
        "announced_day = 1", "announced_day = 3"
    )
    bad = with_line("random_red_rate", "[0.3, 0.1]", bad)
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(bad)
    assert fields_of(exc) == {
        "border.closures[0].port",
        "border.closures[0].announced_day",  # news after the closure began
        "risk.random_red_rate",
    }


def test_a_what_if_file_states_only_what_differs_from_its_base(tmp_path: Path) -> None:
    (tmp_path / "wet.toml").write_text(
        'base = "shigatse"\n[scenario]\nname = "wet"\n[yard]\nscan_lanes = 3\n'
        '[[border.closures]]\nport = "lizi-port"\nfrom_day = 0\ndays = 2\n',
        encoding="utf-8",
    )
    (tmp_path / "wetter.toml").write_text(
        'base = "wet.toml"\n[scenario]\nname = "wetter"\n', encoding="utf-8"
    )
    wet, wetter, default = (
        load_scenario(tmp_path / "wet.toml"),
        load_scenario(tmp_path / "wetter.toml"),
        load_scenario(),
    )
    assert (wet.name, wet.scan_lanes, wet.exam_bays) == ("wet", 3, default.exam_bays)
    assert wet.lane_hours == default.lane_hours and wet.incidents == default.incidents
    assert wet.closures[0].port == "lizi-port" and wet.closures[0].reason
    assert (wetter.name, wetter.scan_lanes, wetter.closures) == ("wetter", 3, wet.closures)
    assert load_scenario("gyirong-landslide").closures[0].port == "gyirong-port"


def test_a_base_that_loops_or_is_missing_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('base = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('base = "a.toml"\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        load_scenario(tmp_path / "a.toml")
    assert fields_of(exc) == {"base"}
    (tmp_path / "c.toml").write_text('base = "nowhere.toml"\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        load_scenario(tmp_path / "c.toml")
    assert "nowhere.toml" in exc.value.violations[0].message_en


def test_a_value_where_a_table_belongs_is_named_once() -> None:
    i, j = DEFAULT.index("[officers]"), DEFAULT.index("[[incidents]]")
    with pytest.raises(InvalidInput) as exc:
        parse_scenario("officers = 3\n" + DEFAULT[:i] + DEFAULT[j:])
    assert [(v.field, v.code) for v in exc.value.violations] == [("officers", "not_a_table")]


def test_closures_must_be_a_list_with_their_required_fields() -> None:
    table = DEFAULT.replace(
        "\n[telemetry]", '\n[border.closures]\nport = "lizi-port"\n\n[telemetry]'
    )
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(table)
    assert [v.code for v in exc.value.violations] == ["not_a_list"]
    assert "[[border.closures]]" in exc.value.violations[0].message_en
    missing = DEFAULT.replace(
        "\n[telemetry]", '\n[[border.closures]]\nport = "lizi-port"\n\n[telemetry]'
    )
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(missing)
    assert {(v.field, v.code) for v in exc.value.violations} == {
        ("border.closures[0].from_day", "required"),
        ("border.closures[0].days", "required"),
    }


def test_one_random_rate_is_checked_against_the_shipped_other() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_scenario(with_line("suspicious_scan_rate", "0.08\nrandom_yellow_rate = 0.97"))
    assert fields_of(exc) == {"risk.random_yellow_rate"}  # + the shipped red ceiling 0.05
    assert parse_scenario(with_line("suspicious_scan_rate", "0.08\nrandom_yellow_rate = 0.5"))


def test_a_what_if_file_replaces_a_table_of_weights_whole(tmp_path: Path) -> None:
    (tmp_path / "night.toml").write_text(
        '\ufeffbase = "shigatse"\n[arrivals]\nby_hour = { "03" = 1 }\n', encoding="utf-8"
    )  # with a byte-order mark, as some editors save
    night = load_scenario(tmp_path / "night.toml")
    assert night.by_hour == {3: 1.0}
    assert night.by_province == load_scenario().by_province


def test_a_base_loop_names_its_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('base = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('base = "a.toml"\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        load_scenario(tmp_path / "a.toml")
    assert "a.toml → b.toml → a.toml" in exc.value.violations[0].message_en


def test_a_truck_draws_each_purpose_from_a_stream_of_its_own() -> None:
    """A configuration that scans the truck and one that does not give it the same seal."""
    first, second = TruckDraws("truck-7-1"), TruckDraws("truck-7-1")
    first("scan").random()  # a draw the other configuration never makes
    assert first("sealing").random() == second("sealing").random()
    assert first("sealing").random() != TruckDraws("truck-7-2")("sealing").random()


def test_refused_goods_are_optional_and_a_share() -> None:
    assert load_scenario().refused_share == 0.1  # the default port: an estimate
    without = "\n".join(line for line in DEFAULT.splitlines() if "refused_share" not in line)
    assert "refused_share" not in without
    assert parse_scenario(without).refused_share == 0.0


def test_the_live_demo_is_livelier_and_leaves_a_visitor_time_and_nothing_else_changes() -> None:
    shipped = load_scenario()
    paced = for_visitors(shipped)
    assert paced.resolve_minutes[0] >= 60.0 > shipped.resolve_minutes[2]
    assert paced.acknowledge_minutes[0] >= 5.0 > shipped.acknowledge_minutes[0]
    assert [(i.kind, i.per_day) for i in paced.incidents] == [
        (i.kind, i.per_day * 4) for i in shipped.incidents
    ]
    same = {"acknowledge_minutes", "resolve_minutes", "incidents"}
    assert all(
        getattr(paced, f.name) == getattr(shipped, f.name)
        for f in fields(shipped)
        if f.name not in same
    )
