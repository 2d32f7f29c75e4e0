import json
import os
import random
import signal
import subprocess
import sys
import textwrap

import pytest

from conductor.messages import Message, ToolCall
from conductor.models import Ticket, TicketStatus, Track
from conductor.store import RUN_HOLDER, TrackFileError, TrackLockedError, TrackStore, UnknownTrackError


@pytest.fixture
def store(tmp_path):
    return TrackStore(tmp_path / "tracks")


def make_track(store: TrackStore) -> Track:
    track = store.create("Add login", "the login page")
    track.add_ticket(Ticket(id="T1", title="model", target_file="a.py", prompt="p"))
    track.add_ticket(Ticket(id="T2", title="view", target_file="b.py", prompt="p", dependencies=["T1"]))
    store.save(track)
    return track


def test_round_trip_gives_equal_objects(store):
    track = make_track(store)
    assert store.load(track.id) == track
    assert store.load(track.id) == store.load(track.id)
    assert store.ids() == [track.id]
    text = store.track_file(track.id).read_text()
    assert '"status": "planned"' in text  # derived status is written for readers
    assert text.count("\n") > 20  # indented, diff-friendly


def test_syntax_error_names_file_line_and_column_and_file_is_kept(store):
    track = make_track(store)
    path = store.track_file(track.id)
    broken = path.read_text().replace('"title": "view",', '"title": "view"')
    path.write_text(broken)
    with pytest.raises(TrackFileError) as error:
        store.load(track.id)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if '"title": "view"' in text) + 1
    assert str(error.value).startswith(f"{path}: line {line}, column ")
    assert path.read_text() == broken


def test_bad_field_names_the_ticket_and_field(store):
    track = make_track(store)
    path = store.track_file(track.id)
    data = json.loads(path.read_text())
    data["tickets"][1]["status"] = "finished"
    path.write_text(json.dumps(data))
    with pytest.raises(TrackFileError, match=r"tickets\[1\] \(T2\)\.status: Input should be 'locked'"):
        store.load(track.id)
    data["tickets"][1]["status"] = "locked"
    data["tickets"][1]["dependancies"] = ["T1"]
    path.write_text(json.dumps(data))
    with pytest.raises(TrackFileError, match=r"tickets\[1\] \(T2\)\.dependancies: Extra inputs are not permitted"):
        store.load(track.id)
    del data["tickets"][1]["dependancies"]
    data["tickets"][0]["dependencies"] = ["T2"]
    path.write_text(json.dumps(data))
    with pytest.raises(TrackFileError, match="dependency cycle: T1 -> T2 -> T1"):
        store.load(track.id)


def test_unknown_track(store):
    make_track(store)
    with pytest.raises(UnknownTrackError, match="no track 'nope'"):
        store.load("nope")
    with pytest.raises(UnknownTrackError, match="invalid track id"):
        store.load("../etc")


def test_ledger_appends_and_survives_a_torn_last_line(store):
    track = make_track(store)
    ledger = store.ledger(track.id)
    ledger.append("tool_call", ticket="T1", tool="read_file", tokens=12)
    with ledger.path.open("a") as handle:
        handle.write('{"event": "half')
    events = ledger.read()
    assert [e["event"] for e in events] == ["tool_call"]
    assert events[0]["tokens"] == 12 and "time" in events[0]
    # a torn line that splits a multi-byte character is skipped too
    ledger.append("note", text="é" * 3)
    with ledger.path.open("ab") as handle:
        handle.write('{"event": "é'.encode()[:-1])
    assert [e["event"] for e in ledger.read()] == ["tool_call", "note"]


def test_histories_and_outputs(store):
    track = make_track(store)
    history = [Message(role="user", text="go"),
               Message(role="assistant", tool_calls=[ToolCall(id="c1", name="read_file", arguments={"path": "a"})])]
    path = store.archive_history(track.id, "T1", history)
    assert store.histories(track.id, "T1") == [path]
    assert store.load_history(path) == history
    output_id = store.save_output(track.id, "x" * 10_000)
    assert store.load_output(track.id, output_id) == "x" * 10_000


def test_lock_refuses_a_second_holder_and_dies_with_its_process(store, tmp_path):
    track = make_track(store)
    with store.locked(track.id):
        code = textwrap.dedent(f"""
            from conductor.store import TrackStore, TrackLockedError
            try:
                with TrackStore({str(store.root)!r}).locked({track.id!r}):
                    print("got it")
            except TrackLockedError as error:
                print(error)
        """)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
        assert out.startswith(f"track {track.id} is in use by process ")
        with pytest.raises(TrackLockedError), store.locked(track.id):
            pass
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from conductor.store import TrackStore
        with TrackStore({str(store.root)!r}).locked({track.id!r}):
            print("held", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with store.locked(track.id):
        pass


SAVE_LOOP = """
import sys
from conductor.models import Ticket
from conductor.store import TrackStore
store = TrackStore(sys.argv[1])
track = store.load(sys.argv[2])
n = len(track.tickets)
while True:
    n += 1
    track.add_ticket(Ticket(id=f"T{n}", title="t" * 200, target_file="a.py", prompt="p" * 2000,
                            dependencies=[f"T{n - 1}"]))
    store.save(track)
    print(n, flush=True)
"""


def test_sigkill_during_saves_always_leaves_a_loadable_track(store):
    track = make_track(store)
    rng = random.Random(7)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "-c", SAVE_LOOP, str(store.root), track.id],
                                   stdout=subprocess.PIPE, text=True)
        saved = [int(process.stdout.readline()) for _ in range(rng.randint(1, 12))]  # the kill lands mid-loop
        process.send_signal(signal.SIGKILL)
        process.wait()
        loaded = store.load(track.id)
        assert loaded.tickets[-1].status == TicketStatus.LOCKED
        assert len(loaded.tickets) >= saved[-1]  # every save it reported is there; a later one may be too
    leftovers = list(store.folder(track.id).glob(".track.json.*.tmp"))
    assert len(leftovers) <= 8  # a killed write may leave its temp file, never a torn track.json


def test_agents_claiming_at_once_take_turns_and_a_run_is_named(tmp_path):
    from conductor.models import Ticket, Track

    store = TrackStore(tmp_path / "tracks")
    track = Track(id="t", title="t")
    for number in range(1, 5):
        track.add_ticket(Ticket(id=f"T{number}", title="x", target_file="a.py", prompt="p"))
    store.save(track)
    (tmp_path / "a.py").write_text("x = 1\n")
    code = textwrap.dedent(f"""
        import sys
        from conductor.config import load_project_config
        from conductor.tickets import TicketService
        service = TicketService(load_project_config({str(tmp_path)!r}, environ={{}}), by="mcp")
        print(service.claim_next("t", sys.argv[1], 600).id)
    """)
    agents = [subprocess.Popen([sys.executable, "-c", code, f"agent-{n}"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for n in range(4)]
    outputs = [agent.communicate(timeout=120) for agent in agents]
    assert sorted(out.strip() for out, _ in outputs) == ["T1", "T2", "T3", "T4"], [err for _, err in outputs]
    with store.locked("t", holder=RUN_HOLDER), pytest.raises(TrackLockedError) as error, store.locked("t"):
        pass
    assert str(error.value).startswith(f"track t is being run ({RUN_HOLDER} {os.getpid()}): nothing of it can be "
                                       "claimed")
