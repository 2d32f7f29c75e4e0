"""A random DAG of tickets: build, save, load, and complete every ticket in dependency order.

Prints the time of each phase at 1,000 and 10,000 tickets and the 10k/1k ratio (linear growth is ~10).

    python -m benchmarks.track_dag [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import deque

from conductor.models import Ticket, TicketStatus, Track
from conductor.store import TrackStore


def build(size: int, seed: int = 1) -> Track:
    """Each ticket depends on up to 3 random earlier ones (so the graph is acyclic by construction)."""
    rng = random.Random(seed)
    track = Track(id=f"dag-{size}", title=f"random DAG of {size}")
    for index in range(size):
        count = min(index, rng.randint(0, 3))
        dependencies = [f"T{rng.randrange(index) + 1}" for _ in range(count)]
        track.add_ticket(Ticket(id=f"T{index + 1}", title=f"ticket {index + 1}", target_file="a.py",
                                prompt="do the thing", dependencies=dependencies))
    return track


def complete_all(track: Track) -> int:
    """Complete tickets as they become ready, the way the engine does (each completion unlocks dependents)."""
    ready = deque(ticket.id for ticket in track.get_executable_tickets())
    done = 0
    while ready:
        ticket_id = ready.popleft()
        track.ticket(ticket_id).transition(TicketStatus.IN_PROGRESS)
        ready.extend(track.mark_complete(ticket_id))
        done += 1
    return done


def measure(size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = TrackStore(folder)
        start = time.perf_counter()
        track = build(size)
        built = time.perf_counter()
        store.save(track)
        saved = time.perf_counter()
        loaded = store.load(track.id)
        load_done = time.perf_counter()
        assert complete_all(loaded) == size
        completed = time.perf_counter()
        assert loaded.status == "completed"
    return {"build": built - start, "save": saved - built, "load": load_done - saved, "complete": completed - load_done}


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeats", type=int, default=3)
    args = options.parse_args(argv)
    medians = {}
    for size in (1_000, 10_000):
        runs = [measure(size) for _ in range(args.repeats)]
        medians[size] = {phase: statistics.median(run[phase] for run in runs) for phase in runs[0]}
        figures = "  ".join(f"{phase} {seconds * 1000:8.1f} ms" for phase, seconds in medians[size].items())
        print(f"{size:>6} tickets: {figures}")
    ratios = "  ".join(f"{phase} x{medians[10_000][phase] / medians[1_000][phase]:.1f}" for phase in medians[1_000])
    print(f"10k/1k (linear ~ x10): {ratios}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
