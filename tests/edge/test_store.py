"""The fixture store: layout, byte-exact bodies, checks on load, atomic replacement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smsc_formats.edge import store
from smsc_formats.edge.store import (
    BODY_FILES,
    StoreError,
    case_dirs,
    load_case,
    load_corpus,
    make_case,
    write_case,
)

BODIES = {0: b"login = redacted-login, sms = 3, credit = 1.50, debit = 0, currency = RUB"
,
          1: "redacted-login,3,1.50,0,RUB".encode("windows-1251")}


def test_written_case_has_the_documented_layout(tmp_path: Path) -> None:
    case = make_case("get_stat", "default", BODIES, params={"start": "01.11.2026"},
                     source="simulator", source_host="127.0.0.1:1")
    folder = write_case(tmp_path, case)
    assert folder == tmp_path / "get_stat" / "default"
    assert sorted(p.name for p in folder.iterdir()) == ["fmt0.txt", "fmt1.csv", "meta.json"]
    assert (folder / "fmt1.csv").read_bytes() == BODIES[1]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["call"] == "get_stat"
    assert meta["case"] == "default"
    assert meta["params"] == {"start": "01.11.2026"}
    assert meta["formats"]["0"]["file"] == "fmt0.txt"
    assert len(meta["formats"]["0"]["sha256"]) == 64


def test_round_trip_through_disk(tmp_path: Path) -> None:
    write_case(tmp_path, make_case("get_stat", "default", BODIES, source="simulator"))
    [case] = load_corpus(tmp_path)
    assert dict(case.bodies) == BODIES
    assert case.source == "simulator"


def test_tampered_body_is_reported_with_its_file(tmp_path: Path) -> None:
    folder = write_case(tmp_path, make_case("get_stat", "default", BODIES))
    (folder / BODY_FILES[0]).write_bytes(b"login = x")
    with pytest.raises(StoreError, match=r"fmt0\.txt: sha256 does not match meta\.json"):
        load_case(folder)


def test_broken_meta_is_reported_with_line_and_column(tmp_path: Path) -> None:
    folder = write_case(tmp_path, make_case("get_stat", "default", BODIES))
    (folder / "meta.json").write_text('{"call": "get_stat",\n  oops}')
    with pytest.raises(StoreError, match=r"meta\.json:2:3: "):
        load_case(folder)


def test_rewrite_replaces_the_whole_case(tmp_path: Path) -> None:
    write_case(tmp_path, make_case("get_stat", "default", BODIES))
    write_case(tmp_path, make_case("get_stat", "default", {3: b"[]"}))
    [case] = load_corpus(tmp_path)
    assert dict(case.bodies) == {3: b"[]"}
    assert [p.name for p in (tmp_path / "get_stat").iterdir()] == ["default"]


def test_a_swap_cut_between_its_renames_still_reads_the_old_case(tmp_path: Path) -> None:
    folder = write_case(tmp_path, make_case("get_stat", "default", BODIES))
    folder.rename(folder.parent / ".default.old-123")
    assert case_dirs(tmp_path) == [folder]
    assert dict(load_case(folder).bodies) == BODIES


def test_not_a_corpus(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a corpus folder"):
        load_corpus(tmp_path / "missing")


def _edit_meta(folder: Path, edit: dict[str, object], fmt: str | None = None) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    (meta["formats"][fmt] if fmt else meta).update(edit)
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(("edit", "message"), [
    ({"http_status": "abc"}, r"format 0: 'http_status' must be an HTTP status code, got 'abc'"),
    ({"http_status": True}, r"'http_status' must be an HTTP status code, got True"),
    ({"file": "../../outside.txt"}, r"format 0: 'file' must name a file in the case folder"),
    ({"file": "/etc/hostname"}, r"'file' must name a file in the case folder"),
])
def test_a_bad_format_entry_is_refused_not_replaced(tmp_path: Path, edit: dict[str, object],
                                                    message: str) -> None:
    folder = write_case(tmp_path, make_case("get_stat", "default", BODIES))
    _edit_meta(folder, edit, fmt="0")
    with pytest.raises(StoreError, match=message):
        load_case(folder)


def test_a_case_whose_meta_names_another_folder_is_refused(tmp_path: Path) -> None:
    # drift --update writes a case back under its name: a mismatch would fork the corpus.
    folder = write_case(tmp_path, make_case("get_stat", "default", BODIES))
    _edit_meta(folder, {"case": "other"})
    with pytest.raises(StoreError, match=r"'case' is 'other' but its folder is 'default'"):
        load_case(folder)
    _edit_meta(folder, {"case": "default", "call": "get_messages"})
    with pytest.raises(StoreError, match=r"'call' is 'get_messages' but the case lies in the "
                                         r"folder of 'get_stat'"):
        load_case(folder)


def test_a_written_case_folder_gets_the_modes_of_its_call_folder(tmp_path: Path) -> None:
    # The temporary folder a case is written in comes from mkdtemp (0700); once renamed into
    # place it is the case folder, which others (CI, a replay server) must be able to read.
    (tmp_path / "get_stat").mkdir(mode=0o755)
    (tmp_path / "get_stat").chmod(0o755)
    folder = write_case(tmp_path, make_case("get_stat", "default", BODIES))
    assert folder.stat().st_mode & 0o777 == 0o755


def test_temporary_folders_a_killed_writer_left_are_removed_on_the_next_write(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    assert dead.wait() == 0
    call_dir = tmp_path / "get_stat"
    call_dir.mkdir()
    legacy = call_dir / ".default.tmp-k2j4x9"
    orphan = call_dir / f".default.tmp-{dead.pid}-a1b2"
    live = call_dir / ".default.tmp-1-c3d4"  # pid 1 always runs: a writer at work
    other_case = call_dir / ".several.tmp-k2j4x9"
    for folder in (legacy, orphan, live, other_case):
        folder.mkdir()
        (folder / "fmt0.txt").write_bytes(b"half")
    write_case(tmp_path, make_case("get_stat", "default", BODIES))
    left = sorted(p.name for p in call_dir.iterdir())
    assert left == [live.name, other_case.name, "default"]
    # An hour on, even a folder of a live process counts as left behind.
    assert store.remove_stale_temps(call_dir, "default",
                                    now=live.stat().st_mtime + store.STALE_AFTER + 1) == [live]
