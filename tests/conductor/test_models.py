import itertools

import pytest

from conductor.errors import ConductorError
from conductor.models import (
    ALLOWED_TRANSITIONS,
    DependencyError,
    InvalidTransitionError,
    Ticket,
    TicketStatus,
    Track,
    TrackStatus,
    UnknownTicketError,
    find_cycle,
)

S = TicketStatus


def ticket(ticket_id: str, *deps: str) -> Ticket:
    return Ticket(id=ticket_id, title=ticket_id, target_file="a.py", prompt="do it", dependencies=list(deps))


def chain() -> Track:
    track = Track(id="t", title="chain")
    track.add_ticket(ticket("T1"))
    track.add_ticket(ticket("T2", "T1"))
    track.add_ticket(ticket("T3", "T2"))
    return track


def test_seed_acceptance_three_dependent_tickets_unlock_in_turn_without_ai():
    track = chain()
    assert [t.status for t in track.tickets] == [S.PENDING, S.LOCKED, S.LOCKED]
    assert [t.id for t in track.get_executable_tickets()] == ["T1"]
    track.ticket("T1").transition(S.IN_PROGRESS)
    assert track.mark_complete("T1", "done") == ["T2"]
    assert [t.status for t in track.tickets] == [S.COMPLETED, S.PENDING, S.LOCKED]
    track.ticket("T2").transition(S.IN_PROGRESS)
    assert track.mark_complete("T2") == ["T3"]
    assert track.ticket("T3").status == S.PENDING
    track.ticket("T3").transition(S.IN_PROGRESS)
    assert track.mark_complete("T3") == []
    assert track.status == TrackStatus.COMPLETED
    assert track.ticket("T1").summary == "done"


@pytest.mark.parametrize(("old", "new"), list(itertools.product(S, S)))
def test_every_transition_is_allowed_or_raises(old, new):
    item = ticket("T1")
    item.status = old
    if old == new or new in ALLOWED_TRANSITIONS[old]:
        item.transition(new)
        assert item.status == new
    else:
        with pytest.raises(InvalidTransitionError, match=f"cannot go from {old} to {new}"):
            item.transition(new)
        assert item.status == old


def test_allowed_transitions_are_the_documented_ones():
    assert ALLOWED_TRANSITIONS == {
        S.LOCKED: {S.PENDING, S.BLOCKED},
        S.PENDING: {S.IN_PROGRESS, S.LOCKED, S.BLOCKED, S.COMPLETED},
        S.IN_PROGRESS: {S.STEP_PAUSED, S.COMPLETED, S.BLOCKED, S.PENDING},
        S.STEP_PAUSED: {S.IN_PROGRESS, S.COMPLETED, S.BLOCKED, S.PENDING},
        S.COMPLETED: set(),
        S.BLOCKED: {S.PENDING, S.LOCKED},
    }


def test_timestamps_follow_the_lifecycle():
    item = ticket("T1")
    item.transition(S.PENDING)
    item.transition(S.IN_PROGRESS)
    assert item.started_at is not None and item.completed_at is None
    item.mark_complete("ok")
    assert item.completed_at is not None


def test_completing_a_locked_ticket_raises():
    with pytest.raises(InvalidTransitionError):
        chain().mark_complete("T2")


def test_mark_blocked_needs_a_reason_or_a_dependency():
    item = ticket("T1")
    with pytest.raises(ConductorError, match="needs a reason"):
        item.mark_blocked()
    item.mark_blocked("T0")
    assert (item.status, item.blocked_by, item.block_reason) == (S.BLOCKED, ["T0"], None)


def test_cycles_self_dependencies_and_dangling_ids_are_refused():
    track = chain()
    with pytest.raises(DependencyError, match="makes a cycle"):
        track.set_dependencies("T1", ["T3"])
    with pytest.raises(DependencyError, match="cannot depend on itself"):
        track.set_dependencies("T2", ["T2"])
    with pytest.raises(DependencyError, match="unknown dependency 'T9'"):
        track.add_ticket(ticket("T4", "T9"))
    with pytest.raises(DependencyError, match="already has a ticket T1"):
        track.add_ticket(ticket("T1"))
    assert [t.dependencies for t in track.tickets] == [[], ["T1"], ["T2"]]
    with pytest.raises(ValueError, match="dependency cycle: A -> B -> A"):
        Track(id="x", title="x", tickets=[ticket("A", "B"), ticket("B", "A")])


def test_the_one_cycle_finder_names_the_path_that_closes():
    assert find_cycle({"A": ["B"], "B": ["C"], "C": ["A"]}) == ["A", "B", "C", "A"]
    assert find_cycle({"A": ["B", "Z", "A"], "B": [], "C": ["A", "B"]}) is None  # unknown ids, self-edges: not here
    assert find_cycle({"A": [], "B": ["C"], "C": ["D"], "D": ["B"]}) == ["B", "C", "D", "B"]
    assert find_cycle({str(i): [str(i + 1)] for i in range(5000)} | {"5000": ["0"]})[-1] == "0"  # no recursion


def test_editing_dependencies_relocks_and_unlocks():
    track = chain()
    track.set_dependencies("T3", [])
    assert track.ticket("T3").status == S.PENDING
    track.set_dependencies("T3", ["T1"])
    assert track.ticket("T3").status == S.LOCKED


def test_block_cascades_and_unblock_restores():
    track = Track(id="t", title="diamond")
    for item in (ticket("A"), ticket("B", "A"), ticket("C", "A"), ticket("D", "B", "C"), ticket("E")):
        track.add_ticket(item)
    assert track.block("A", "needs a decision") == ["B", "C", "D"]
    assert track.ticket("D").blocked_by == ["C", "B"]
    assert track.ticket("E").status == S.PENDING
    assert track.status == TrackStatus.PLANNED
    with pytest.raises(InvalidTransitionError, match="because A is blocked"):
        track.unblock("B")
    assert sorted(track.unblock("A")) == ["B", "C", "D"]
    assert [t.status for t in track.tickets] == [S.PENDING, S.LOCKED, S.LOCKED, S.LOCKED, S.PENDING]


def test_a_dependent_blocked_by_hand_stays_blocked_when_upstream_unblocks():
    track = chain()
    track.block("T2", "by hand")
    track.block("T1", "upstream")
    assert track.unblock("T1") == []
    assert track.ticket("T2").status == S.BLOCKED
    assert track.ticket("T3").blocked_by == ["T2"]
    assert track.retry("T2") == ["T3"]
    assert (track.ticket("T2").status, track.ticket("T2").retries) == (S.LOCKED, 1)
    assert track.ticket("T3").status == S.LOCKED


def test_blocking_an_in_progress_ticket_and_a_new_ticket_on_a_blocked_dependency():
    track = chain()
    track.ticket("T1").transition(S.IN_PROGRESS)
    track.block("T1", "tests failed")
    track.add_ticket(ticket("T4", "T1"))
    assert (track.ticket("T4").status, track.ticket("T4").blocked_by) == (S.BLOCKED, ["T1"])
    assert track.status == TrackStatus.BLOCKED


def test_recover_resets_in_progress_but_keeps_paused():
    track = chain()
    track.ticket("T1").transition(S.IN_PROGRESS)
    assert track.recover() == ["T1"]
    assert track.ticket("T1").status == S.PENDING
    track.ticket("T1").transition(S.IN_PROGRESS)
    assert track.recover(keep={"T1"}) == []
    assert track.ticket("T1").status == S.IN_PROGRESS
    track.ticket("T1").transition(S.STEP_PAUSED)
    assert track.recover() == []


def test_lookup_errors_and_ids():
    track = chain()
    with pytest.raises(UnknownTicketError, match="no ticket 'T9'"):
        track.ticket("T9")
    assert track.next_ticket_id() == "T4"
    assert track.dependents("T1") == ["T2"]
    assert track.topological_order() == ["T1", "T2", "T3"]
