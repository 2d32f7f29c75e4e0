import os
import subprocess
import sys

from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.models import Ticket
from conductor.store import TrackStore
from conductor.track_index import TrackSummary, index_path, summaries


def counting(store: TrackStore) -> tuple[list[str], object]:
    """A summarize that validates through the store and notes which tracks it was asked for."""
    asked: list[str] = []

    def summarize(track_id: str) -> TrackSummary:
        asked.append(track_id)
        return store.summary(track_id)

    return asked, summarize


def test_a_track_is_validated_once_until_its_file_changes(tmp_path):
    store = TrackStore(tmp_path / "tracks")
    first = store.create("First")
    second = store.create("Second")
    asked, summarize = counting(store)
    listed = summaries(store.root, summarize)
    assert sorted(asked) == sorted([first.id, second.id])
    assert listed == store.summaries()
    asked.clear()
    assert summaries(store.root, summarize) == listed and asked == []

    first.add_ticket(Ticket(id="T1", title="t", target_file="a.py", prompt="p"))
    store.save(first)
    third = store.create("Third")
    listed = summaries(store.root, summarize)
    assert sorted(asked) == sorted([first.id, third.id])
    assert [row for row in listed if row.id == first.id] == [TrackSummary(first.id, "First", "planned", 0, 1)]

    store.folder(second.id).joinpath("track.json").unlink()
    asked.clear()
    assert [row.id for row in summaries(store.root, summarize)] == sorted([first.id, third.id]) and asked == []


def test_an_edit_in_place_keeping_size_and_times_is_seen(tmp_path):
    store = TrackStore(tmp_path / "tracks")
    track = store.create("Before")
    store.summaries()
    path = store.track_file(track.id)
    info = path.stat()
    with path.open("r+b") as handle:  # same inode, same size, mtime put back: only the ctime moves
        handle.write(path.read_bytes().replace(b'"Before"', b'"Behind"'))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert [row.title for row in store.summaries()] == ["Behind"]


def test_an_unreadable_track_is_listed_with_its_error_every_time(tmp_path):
    store = TrackStore(tmp_path / "tracks")
    track = store.create("Fine")
    broken = store.folder("broken")
    broken.mkdir()
    (broken / "track.json").write_text("{not json")
    asked, summarize = counting(store)
    for _ in range(2):
        rows = summaries(store.root, summarize)
        assert [(row.id, row.status) for row in rows] == sorted([(track.id, "empty"), ("broken", "error")])
        assert "broken/track.json" in next(row.error for row in rows if row.id == "broken")
    assert asked == [*sorted([track.id, "broken"]), "broken"]


def test_a_damaged_index_is_rebuilt_and_an_unwritable_one_only_costs_time(tmp_path, monkeypatch):
    store = TrackStore(tmp_path / "tracks")
    track = store.create("Kept")
    expected = store.summaries()
    index = index_path(store.root)
    for damage in (b"\0garbage", b"[]", b'{"x": 1}', b'{"%s": ["k", ["t", "s", "0", 1]]}' % track.id.encode()):
        index.write_bytes(damage)
        assert store.summaries() == expected
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-file"))
    (tmp_path / "cache-file").write_text("a file where the cache folder should be")
    assert store.summaries() == expected


def test_listing_unchanged_tracks_imports_no_model(tmp_path):
    project = prepare_demo(tmp_path / "demo")
    listing = ("import sys; from conductor.cli import main; main(['track', 'list', '--project', sys.argv[1]]); "
               "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'conductor.models'))))")

    def listed() -> list[str]:
        result = subprocess.run([sys.executable, "-c", listing, str(project)], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    first = listed()
    assert first[0] == f"{DEMO_TRACK}  planned  0/2 done  Add median to the calc package"
    assert "conductor.models" in first[1]  # this listing validated the track
    again = listed()
    assert again == [first[0], "[]"]


def test_listing_reads_the_tracks_folder_project_toml_names_and_leaves_errors_to_validation(tmp_path):
    project = tmp_path / "project"
    TrackStore(project / "work" / "tracks").create("Elsewhere")
    (project / "project.toml").write_text('tracks_dir = "work/tracks"\n[shell]\ntimout_seconds = 5\n')

    def conductor(*argv):
        return subprocess.run([sys.executable, "-m", "conductor.cli", *argv, "--project", str(project)],
                              capture_output=True, text=True, timeout=60)

    # listing uses no other setting: a typo elsewhere is for the commands that read it
    listed = conductor("track", "list")
    assert listed.returncode == 0 and listed.stdout.endswith("empty  0/0 done  Elsewhere\n")
    assert "timout_seconds" in conductor("track", "new", "x").stderr
    (project / "project.toml").write_text("tracks_dir = 3\n")
    wrong = conductor("track", "list")
    assert wrong.returncode == 2 and "tracks_dir" in wrong.stderr and "valid string" in wrong.stderr
