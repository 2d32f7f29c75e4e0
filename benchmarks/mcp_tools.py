"""What an outside agent reads over MCP: `get_skeleton` against the raw file, over this machine's stdlib `email`
package, through the real `mcp` client and `conductor mcp` over stdio; and the latency per tool call."""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from file_cache import estimate_tokens


async def measure(project: Path, files: list[str]) -> tuple[list[tuple[str, int, int]], list[float], list[float]]:
    parameters = StdioServerParameters(command=sys.executable, args=["-m", "conductor.cli", "mcp", "--project",
                                                                     str(project)], env=dict(os.environ))
    rows, skeleton_times, read_times = [], [], []
    async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for path in files:
            start = time.perf_counter()
            skeleton = await session.call_tool("get_skeleton", {"path": path})
            skeleton_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            outline = await session.call_tool("get_outline", {"path": path})
            read_times.append(time.perf_counter() - start)
            assert not skeleton.is_error and not outline.is_error
            raw = (project / path).read_text(encoding="utf-8", errors="replace")
            rows.append((path, estimate_tokens(raw), estimate_tokens(skeleton.content[0].text)))
    return rows, skeleton_times, read_times


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "sample"
        shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / "email", project / "email",
                        ignore=shutil.ignore_patterns("__pycache__"))
        files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*.py"))
        rows, skeleton_times, outline_times = asyncio.run(measure(project, files))
    raw_total, skeleton_total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    ratios = [raw / max(skeleton, 1) for _, raw, skeleton in rows if raw >= 200]
    print(f"{len(rows)} files of the stdlib email package through `conductor mcp` (stdio, real mcp client)")
    print(f"tokens read: raw {raw_total}, get_skeleton {skeleton_total}; raw/skeleton = "
          f"{raw_total / skeleton_total:.1f}x overall, per file median {statistics.median(ratios):.1f}x")
    print(f"latency per call: get_skeleton median {statistics.median(skeleton_times) * 1000:.1f} ms, "
          f"get_outline median {statistics.median(outline_times) * 1000:.1f} ms (first call "
          f"{skeleton_times[0] * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
