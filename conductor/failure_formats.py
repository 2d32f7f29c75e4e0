"""The registry of output formats: each tool's output is a `Format` (a name, a pattern that spots it, a cutter
that makes records). Adding a tool is adding one entry here, with its real output in the corpus
(`scripts/failure_corpus.py`) and a test.

Runners (their output is their own; the first with records wins): pytest (long, short, line, native, `-q`,
xdist, INTERNALERROR, doctest-modules, chained exceptions, setup/teardown errors, Hypothesis), unittest (also as
Django and nose2 print it; subTest, setUpClass), doctest, node's test runner / TAP, jest, and plain Python
tracebacks (chained, ExceptionGroup, faulthandler, SyntaxError). Line tools: `path:line[:col]: message` (mypy,
flake8, pylint, gcc, clang, also inside pip's error box), ruff, pyright, bandit, black / `ruff format`, isort,
coverage's fail-under, ld, git conflicts. Wrappers (make, tox, nox) are said only when nothing inside was read.
"""

from __future__ import annotations

import re

from conductor.failures import Failure, Format, Frames, Place

# -- shared pieces -----------------------------------------------------------------------------------------
_PY_FRAME = re.compile(r'^\s*(?:E\s+)?File "(?P<path>[^"]+)", line (?P<line>\d+)(?:,? in (?P<function>.+))?$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$")
_NOT_EXCEPTIONS = {"Traceback", "Hint", "E", "During", "The", "Note", "Warning", "Current", "Thread", "Fatal",
                   "File", "Error"}
_DIRECT_CAUSE = "The above exception was the direct cause of the following exception:"
_DURING = "During handling of the above exception, another exception occurred:"


def _what(exception: str | None, message: str | None) -> str:
    """`KeyError: 'port'`, or whichever of the two is known."""
    return ": ".join(part for part in (exception, message) if part)


def _looks_like_exception(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return bool(last) and last[0].isupper() and last not in _NOT_EXCEPTIONS and " " not in name


def _exception(text: str) -> tuple[str, str | None] | None:
    match = _EXCEPTION.match(text.strip())
    if match and _looks_like_exception(match["type"]) and (match["message"] is not None or
                                                           text.strip() == match["type"]):
        return match["type"].rsplit(".", 1)[-1], match["message"]
    return None


# -- plain tracebacks --------------------------------------------------------------------------------------
class _Traceback:
    def __init__(self) -> None:
        self.place: Place | None = None
        self.exception: str | None = None
        self.message: str | None = None


class _Chain:
    """One printed exception, with the tracebacks chained before it and how they are linked."""

    def __init__(self) -> None:
        self.parts: list[_Traceback] = []
        self.links: list[str] = []

    def failure(self, frames: Frames, test: str | None = None, tool: str = "python") -> Failure:
        last = self.parts[-1]
        cause, place = None, last.place
        if self.links and self.links[-1] == _DIRECT_CAUSE:
            root = self.parts[0]  # raised "from" a root cause: its place is where the fix goes
            cause = _what(root.exception, root.message)
            place = root.place or last.place
        elif self.links:
            handled = self.parts[-2]
            cause = "while handling " + _what(handled.exception, handled.message)
        return frames.failure(place, test=test, exception=last.exception, message=last.message, cause=cause,
                              tool=tool)


def _chains(lines: list[str], frames: Frames) -> list[_Chain]:
    chains: list[_Chain] = []
    current: _Chain | None = None
    part: _Traceback | None = None
    pending_link: str | None = None
    expecting = False
    for raw in lines:
        line = raw.rstrip()
        stripped = line.lstrip()
        if stripped.startswith("Traceback (most recent call last)") or (_PY_FRAME.match(line) and part is None):
            if current is None or pending_link is None:
                current = _Chain()
                chains.append(current)
            else:
                current.links.append(pending_link)
            pending_link = None
            part = _Traceback()
            current.parts.append(part)
            expecting = False
            if not stripped.startswith("Traceback"):
                _add_frame(part, line, frames)
                expecting = True
            continue
        if stripped in (_DIRECT_CAUSE, _DURING):
            pending_link = stripped
            continue
        if part is None:
            continue
        if _PY_FRAME.match(line):
            _add_frame(part, line, frames)
            expecting = True
            continue
        if expecting and line and not line.startswith(("\t", "    ")):
            exc = _exception(stripped)
            if exc:
                part.exception, part.message = exc
                part = None
                expecting = False
    return [chain for chain in chains if chain.parts and chain.parts[-1].exception]


def _add_frame(part: _Traceback, line: str, frames: Frames) -> None:
    match = _PY_FRAME.match(line)
    if match and (found := frames.place(match["path"], match["line"], match["function"])):
        part.place = found


_SYNTAX_AT = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)$')
_FAULT = re.compile(r"^Fatal Python error: (?P<message>.+)$")


_GROUP_SEPARATOR = re.compile(r"^\s*\+[-+]*(?: (?P<number>\d+|\.\.\.) -+)?$")
_GROUP_LINE = re.compile(r"^\s*\| ?(?P<text>.*)$")


def _exception_groups(lines: list[str], frames: Frames) -> list[Failure]:
    """`ExceptionGroup` / `TaskGroup` tracebacks: the group, its first sub-exception as the cause (at its place),
    the others named."""
    failures = []
    index = 0
    while index < len(lines):
        if "Exception Group Traceback (most recent call last)" not in lines[index]:
            index += 1
            continue
        head: list[str] = []
        blocks: list[list[str]] = []
        index += 1
        while index < len(lines):
            separator, content = _GROUP_SEPARATOR.match(lines[index]), _GROUP_LINE.match(lines[index])
            if separator:
                if separator["number"]:
                    blocks.append([])
            elif content:
                (blocks[-1] if blocks else head).append(content["text"])
            else:
                break
            index += 1
        group = _Traceback()
        for line in head:
            _add_frame(group, line, frames)
            if (exc := _exception(line)) and not line.startswith(" "):
                group.exception, group.message = exc
        subs = []
        for block in blocks:
            chains = _chains(block, frames)
            exc = next((found for line in block if not line.startswith(" ") and (found := _exception(line))), None)
            subs.append(chains[0].failure(frames) if chains else Failure(exception=exc[0] if exc else None,
                                                                          message=exc[1] if exc else None))
        first = subs[0] if subs else None
        place = Place(first.path, first.line or 0, first.function) if first and first.path else group.place
        named = "; ".join(_what(sub.exception, sub.message) for sub in subs[:4])
        failures.append(frames.failure(place, exception=group.exception, message=group.message,
                                       cause=_what(first.exception, first.message) if first else None,
                                       detail=f"sub-exceptions: {named}" if len(subs) > 1 else None, tool="python"))
    return failures


def _tracebacks(lines: list[str], frames: Frames) -> list[Failure]:
    records = [chain.failure(frames) for chain in _chains(lines, frames)] + _exception_groups(lines, frames)
    for index, line in enumerate(lines):  # faulthandler: `File "x.py", line 5 in peek`, no exception line
        fault = _FAULT.match(line.strip())
        if fault:
            place = next((found for following in lines[index + 1:index + 40]
                          if (m := _PY_FRAME.match(following))
                          and (found := frames.place(m["path"], m["line"], m["function"]))), None)
            records.append(frames.failure(place, exception="Fatal Python error", message=fault["message"],
                                          tool="faulthandler"))
    return records


# -- pytest ------------------------------------------------------------------------------------------------
_SUMMARY = re.compile(r"^(?P<kind>FAILED|ERROR|SUBFAILED\((?P<params>.*?)\)) (?P<id>[^\s(]\S*?(?:\[[^\]]*\])?)"
                      r"(?: - (?P<message>.*))?$")
_TITLE_PARAMS = re.compile(r"^(?P<bare>.+?) (?P<params>\(.*\)|\[.*\])$")
_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
_AREA = re.compile(r"^={3,} (?P<name>FAILURES|ERRORS|short test summary info|warnings summary|.* in [\d.]+s.*) ={3,}$")
_PYTEST_FRAME = re.compile(r"^(?P<path>[^\s:'\"][^:\n]*\.pyi?):(?P<line>\d+):(?: (?P<rest>.*))?$")
_XDIST = re.compile(r"^\[gw\d+\] (?:\w+ )?")
_PHASE = re.compile(r"^ERROR (?P<phase>at setup of|at teardown of|collecting) ")


def _pytest(lines: list[str], frames: Frames) -> list[Failure]:
    lines = [_XDIST.sub("", line) for line in lines]
    internal = _internal_error(lines, frames)
    summary = [match for line in lines if (match := _SUMMARY.match(line.rstrip()))]
    areas = _areas(lines)
    if not summary and not areas.get("FAILURES") and not areas.get("ERRORS"):
        return internal
    chunks = {name: _chunks(areas.get(name, [])) for name in ("ERRORS", "FAILURES")}
    entries = {"ERRORS": [m for m in summary if m["kind"] == "ERROR"],
               "FAILURES": [m for m in summary if m["kind"] != "ERROR"]}
    failures: list[Failure] = []
    for area in ("FAILURES", "ERRORS"):
        area_chunks = chunks[area]
        used: set[int] = set()
        for index, entry in enumerate(entries[area]):
            chunk_index = _chunk_for(entry["id"], area_chunks, index, used)
            title, body = area_chunks[chunk_index] if chunk_index is not None else (None, [])
            if chunk_index is not None:
                used.add(chunk_index)
            failure = _pytest_failure(entry["id"], entry["message"], title, body, frames)
            if entry["params"]:
                failure = failure.model_copy(update={"detail": "; ".join(
                    d for d in (f"subtest ({entry['params']})", failure.detail) if d)})
            failures.append(failure)
        for index, (title, body) in enumerate(area_chunks):  # no summary line (e.g. -rN): the section alone
            if index not in used and title is not None:
                failures.append(_pytest_failure(_node_id(title, body, frames), None, title, body, frames))
    order = {m["id"]: n for n, m in enumerate(summary)}
    return [*internal, *sorted(failures, key=lambda f: order.get(f.test or "", len(order)))]


def _internal_error(lines: list[str], frames: Frames) -> list[Failure]:
    """`INTERNALERROR>` lines: pytest itself (or a plugin, a conftest hook) crashed."""
    body = [line.removeprefix("INTERNALERROR>").removeprefix(" ") for line in lines if
            line.startswith("INTERNALERROR>")]
    if not body:
        return []
    chains = _chains(body, frames)
    if chains:
        return [chains[-1].failure(frames, tool="pytest").model_copy(update={"detail": "pytest INTERNALERROR"})]
    last = next((line for line in reversed(body) if line.strip()), "")
    return [Failure(message=last.strip(), detail="pytest INTERNALERROR", tool="pytest")]


def _areas(lines: list[str]) -> dict[str, list[str]]:
    areas: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        match = _AREA.match(line.rstrip())
        if match:
            current = match["name"] if match["name"] in ("FAILURES", "ERRORS") else None
            continue
        if current is not None:
            areas.setdefault(current, []).append(line)
    return areas


def _chunks(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """An area split per failure: by `___ title ___` headers, or (`--tb=line`) after each `path:line: ...`."""
    chunks: list[tuple[str | None, list[str]]] = []
    if any(_SECTION.match(line.rstrip()) for line in lines):
        for line in lines:
            match = _SECTION.match(line.rstrip())
            if match:
                chunks.append((match["title"], []))
            elif chunks:
                chunks[-1][1].append(line)
        return chunks
    current: list[str] = []
    for line in lines:
        current.append(line)
        if _PYTEST_FRAME.match(line.rstrip()) and not line.startswith(" "):
            chunks.append((None, current))
            current = []
    return chunks


def _title_of(node_id: str) -> str:
    """The section title pytest prints for a node id: `tests/t.py::TestA::test_b[x]` -> `TestA.test_b[x]`."""
    return ".".join(node_id.split("::")[1:]) or node_id


def _chunk_for(node_id: str, chunks: list[tuple[str | None, list[str]]], index: int, used: set[int]) -> int | None:
    title = _title_of(node_id)
    for number, (chunk_title, _) in enumerate(chunks):
        if number in used or chunk_title is None:
            continue
        bare = _PHASE.sub("", chunk_title)
        with_params = _TITLE_PARAMS.match(bare)  # a subtest: `Class.test (value=3)`
        if bare in (title, node_id) or (with_params and with_params["bare"] in (title, node_id)) or (
                "[doctest]" in chunk_title and node_id.endswith(bare.removeprefix("[doctest] "))):
            return number
    if chunks and all(t is None for t, _ in chunks) and index < len(chunks) and index not in used:
        return index  # `--tb=line`: failures are printed in the summary's order
    return None


def _node_id(title: str, body: list[str], frames: Frames) -> str:
    title = _PHASE.sub("", title)
    if "/" in title or title.endswith(".py"):
        return title
    first = next((frames.inside(m["path"]) for line in body if (m := _PYTEST_FRAME.match(line.strip()))), None)
    parts = re.split(r"\.(?![^\[]*\])", title)  # dots outside a parameter id
    return "::".join([first, *parts]) if first else title


def _segments(body: list[str]) -> list[list[str]]:
    """A failure's body split at the chained-exception separators (the last segment is what was raised)."""
    segments: list[list[str]] = [[]]
    for line in body:
        if line.strip() in (_DIRECT_CAUSE, _DURING):
            segments.append([line.strip()])
        else:
            segments[-1].append(line)
    return segments


def _pytest_failure(node_id: str, summary_message: str | None, title: str | None, body: list[str],
                    frames: Frames) -> Failure:
    phase = _PHASE.match(title or "")
    details = [f"{phase['phase'].removesuffix(' of')}" if phase else None, *_qualifiers(body)]
    detail = "; ".join(d for d in details if d) or None
    if "[doctest]" in (title or "") or any(line.startswith(("Expected:", "Got:")) for line in body):
        doctest = _doctest_block(body, frames, _segment_place(body, frames))
        if doctest is not None:
            return doctest.model_copy(update={"test": node_id, "tool": "pytest"})
    segments = _segments(body)
    places = [_segment_place(segment, frames) for segment in segments]
    last = segments[-1]
    error_lines, terminal = _segment_error(last)
    cause = None
    place = places[-1]
    if len(segments) > 1:
        root = _what(*_exception_from(*_segment_error(segments[0]), None))
        if last and last[0] == _DIRECT_CAUSE:
            cause = root
            place = places[0] or place
        else:
            cause = "while handling " + root
    if not error_lines and not terminal:  # --tb=native: the section is a plain traceback
        chains = _chains(body, frames)
        if chains:
            native = chains[0].failure(frames, node_id, tool="pytest")
            update: dict[str, object] = {"detail": detail}
            if not native.path and place:
                update.update(path=place.path, line=place.line, function=place.function,
                              source=frames.source(place.path, place.line))
            return native.model_copy(update=update)
    exception, message = _exception_from(error_lines, terminal, summary_message)
    if summary_message and (final := _exception(summary_message)) and final[0] != exception and cause is None:
        exception, message = final  # the summary names what was finally raised (asyncio: TimeoutError)
    return frames.failure(place, test=node_id, exception=exception, message=message, cause=cause, detail=detail,
                          tool="pytest")


def _segment_error(segment: list[str]) -> tuple[list[str], str | None]:
    """A traceback segment's `E` lines, and the type its closing `path:line: Type` names."""
    error_lines = [line[1:].strip() for line in segment if line.startswith("E ")]
    terminal = next((m["rest"] for line in reversed(segment) if (m := _PYTEST_FRAME.match(line.strip()))
                     and m["rest"] and not m["rest"].startswith("in ")), None)
    return error_lines, terminal


def _segment_place(segment: list[str], frames: Frames) -> Place | None:
    place = None
    for raw in segment:
        line = raw.rstrip()
        frame = _PYTEST_FRAME.match(line.strip()) if not line.startswith(("E ", "    ")) else None
        python_frame = _PY_FRAME.match(line)
        if frame:
            rest = frame["rest"] or ""
            place = frames.place(frame["path"], frame["line"], rest[3:] if rest.startswith("in ") else None) or place
        elif python_frame:
            place = frames.place(python_frame["path"], python_frame["line"], python_frame["function"]) or place
    return place


_QUALIFIERS = (
    re.compile(r"^(?:E\s+)?(?P<q>Falsifying example: .+)$"),
    re.compile(r"^E\s+(?P<q>(?:Differing items|Left contains|Right contains)[^\n]*)$"),
    re.compile(r"^E\s+(?P<q>\{.+\} != \{.+\})$"),
)


def _qualifiers(body: list[str]) -> list[str]:
    """What narrows a failure down: Hypothesis's falsifying example, a dict diff's differing item (with the
    line after it), `pytest.raises`'s missing exception."""
    found: list[str] = []
    skip = -1
    for index, line in enumerate(body):
        if index == skip:
            continue
        if (case := _FAILING_CASE.match(line.rstrip())):  # Hypothesis: `Failing test case: f(` + arguments + `)`
            arguments = []
            for following in body[index + 1:index + 12]:
                text = following.lstrip("E").strip()
                if text in (")", ""):
                    break
                arguments.append(text)
            found.append(f"{case['what']}: {case['call']}{' '.join(arguments)})".replace(",)", ")"))
            continue
        for pattern in _QUALIFIERS:
            match = pattern.match(line.rstrip())
            if match:
                text = match["q"]
                if text.startswith(("Differing items", "Left contains", "Right contains")) and index + 1 < len(body):
                    text += " " + body[index + 1].lstrip("E").strip()
                    skip = index + 1
                if text not in found:
                    found.append(text)
    return found[:2]


_FAILING_CASE = re.compile(r"^E?\s*(?P<what>Failing test case|Falsifying example): (?P<call>\w+\()$")


def _exception_from(error_lines: list[str], terminal: str | None, summary: str | None
                    ) -> tuple[str | None, str | None]:
    """Type and message from the `E` lines, the long format's closing `path:line: Type`, or the summary."""
    candidates = [line for line in error_lines if not line.startswith(("+", "File ", "where"))]
    first = candidates[0] if candidates else (summary or None)
    for text in [*candidates, summary or "", terminal or ""]:
        found = _exception(text)
        if found:
            return found[0], found[1] or (first if first != text else None)
    if first and first.startswith("assert"):
        return "AssertionError", first
    if terminal and _looks_like_exception(terminal.split(":")[0]):
        return terminal.split(":")[0].rsplit(".", 1)[-1], first
    return None, first


# -- doctest -----------------------------------------------------------------------------------------------
_DOCTEST_AT = re.compile(r'^File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<name>\S+)$')


def _doctest_block(body: list[str], frames: Frames, place: Place | None = None) -> Failure | None:
    """One doctest failure: where, the example, what was expected and what came (pytest numbers the example's
    lines instead of naming it)."""
    name = example = None
    expected: list[str] = []
    got: list[str] = []
    mode = None
    for raw in body:
        line = raw.rstrip()
        at = _DOCTEST_AT.match(line.strip())
        pytest_at = re.match(r"^(?P<line>\d+)\s+(?P<rest>.*)$", line)
        if at:
            place, name = frames.place(at["path"], at["line"]), at["name"]
        elif line.startswith("Failed example:"):
            mode = "example"
        elif line.startswith("Expected:"):
            mode = "expected"
        elif line.startswith(("Got:", "Got nothing")):
            mode = "got"
        elif line.startswith("Exception raised:"):
            mode = "got"
        elif mode == "example" and line.strip():
            example, mode = line.strip(), None
        elif mode == "expected" and line.startswith("    "):
            expected.append(line.strip())
        elif mode == "got" and line.startswith("    "):
            got.append(line.strip())
        elif pytest_at and mode is None and pytest_at["rest"].lstrip().startswith(">>>"):
            example = pytest_at["rest"].lstrip().removeprefix(">>>").strip()
    if example is None and not expected:
        return None
    exc = next((found for line in got if (found := _exception(line))), None)
    message = f"{example}: expected {' '.join(expected) or 'nothing'}, got {' '.join(got[-1:]) or 'nothing'}"
    return frames.failure(place, test=name, exception=exc[0] if exc else "DoctestFailure", message=message,
                          tool="doctest")


def _doctest(lines: list[str], frames: Frames) -> list[Failure]:
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith("*" * 20):
            blocks.append([])
        elif blocks:
            blocks[-1].append(line)
    return [failure for block in blocks if (failure := _doctest_block(block, frames)) is not None]


# -- unittest (and Django, nose2) --------------------------------------------------------------------------
_UNITTEST = re.compile(r"^(?P<kind>FAIL|ERROR): (?P<name>\S+)(?: \((?P<where>[\w.]+)\))?(?P<rest>.*)$")


def _unittest(lines: list[str], frames: Frames) -> list[Failure]:
    failures: list[Failure] = []
    for index, line in enumerate(lines):
        match = _UNITTEST.match(line)
        if not match:
            continue
        where, name, rest = match["where"] or "", match["name"], match["rest"].strip()
        # `test_x (pkg.Class.test_x)` names the test whole; `setUpClass (pkg.Class)` the class; nose2 may name none
        test = (where if where.endswith("." + name) else f"{where}.{name}") if where else None
        block: list[str] = []
        for following in lines[index + 1:]:
            if following.startswith("=" * 10) or (following.startswith("-" * 10) and block):
                break
            if not following.startswith("-" * 10):
                block.append(following)
        chains = _chains(block, frames)
        detail = rest.strip("()") if rest.startswith("(") else None  # a subTest's parameters
        failure = chains[0].failure(frames, test, tool="unittest") if chains else Failure(test=test, tool="unittest")
        failures.append(failure.model_copy(update={"detail": detail}) if detail else failure)
    return failures


# -- TAP / node's test runner / jest -----------------------------------------------------------------------
_TAP = re.compile(r"^(?P<indent>\s*)not ok \d+ - (?P<name>.+?)(?:\s+#.*)?$")
_JS_STACK = re.compile(r"\(?(?P<path>(?:file://)?[^\s()]+\.(?:[cm]?js|ts|jsx|tsx)):(?P<line>\d+):\d+\)?")


def _tap(lines: list[str], frames: Frames) -> list[Failure]:
    failures: list[Failure] = []
    for index, line in enumerate(lines):
        match = _TAP.match(line)
        if not match:
            continue
        block: list[str] = []
        for following in lines[index + 1:]:
            if _TAP.match(following) or re.match(r"^\s*ok \d+ ", following) or following.strip() == "...":
                break
            block.append(following.rstrip())
        fields = _yaml_fields(block)
        if re.match(r"'?(?:subtestsFailed|suite)", fields.get("failureType", "")):
            continue  # a suite that failed because a test inside it did: the test has its own record
        stack = fields.get("stack", "").splitlines() or block
        place = next((found for entry in stack if (m := _JS_STACK.search(entry))
                      and (found := frames.place(m["path"].removeprefix("file://"), m["line"]))), None)
        name = fields.get("name", "").strip("'\"") or None
        message = " ".join(fields.get("error", "").split()).strip("'\"") or None
        failures.append(frames.failure(place, test=match["name"].strip(), exception=name, message=message,
                                       tool="tap"))
    return failures


def _yaml_fields(block: list[str]) -> dict[str, str]:
    """The top-level `key: value` fields of a TAP diagnostic block, a `|-` value with its indented lines."""
    fields: dict[str, str] = {}
    key = None
    indent = None
    for line in block:
        field = re.match(r"^(?P<indent>\s*)(?P<key>\w+): ?(?P<value>.*)$", line)
        if field and (indent is None or len(field["indent"]) <= indent):
            indent = len(field["indent"])
            key = field["key"]
            value = field["value"]
            fields[key] = "" if value in ("|-", "|", ">-", ">") else value
        elif key is not None and line.strip():
            fields[key] += ("\n" if fields[key] else "") + line.strip()
    return fields


_SPEC = re.compile(r"^\s*✖ (?P<name>.+?) \([\d.]+m?s\)$")
_JS_ERROR = re.compile(r"^(?P<type>[A-Z]\w*)(?: \[[\w]+\])?: (?P<message>.*)$")


def _node_spec(lines: list[str], frames: Frames) -> list[Failure]:
    """node's test runner with its spec reporter: `✖ name (1.2ms)`, the error, its stack (the summary at the end,
    `✖ failing tests:`, repeats them and is not read twice)."""
    failures: list[Failure] = []
    for index, line in enumerate(lines):
        if line.strip() == "✖ failing tests:":
            break
        match = _SPEC.match(line)
        if not match:
            continue
        block = []
        for following in lines[index + 1:index + 80]:
            if _SPEC.match(following) or (following.strip() and not following.startswith(" ")):
                break
            block.append(following.strip())
        error = next((m for b in block if (m := _JS_ERROR.match(b))), None)
        message_lines = []
        for text in block[block.index(error.group(0)) + 1:] if error else []:
            if text.startswith("at "):
                break
            if text:
                message_lines.append(text)
        message = " ".join([error["message"], *message_lines]).strip() if error else None
        place = next((found for b in block if b.startswith("at ") and (m := _JS_STACK.search(b))
                      and (found := frames.place(m["path"].removeprefix("file://"), m["line"]))), None)
        failures.append(frames.failure(place, test=match["name"], exception=error["type"] if error else None,
                                       message=message, tool="node"))
    return failures


_JEST = re.compile(r"^\s*● (?P<name>.+?)\s*$")


def _jest(lines: list[str], frames: Frames) -> list[Failure]:
    failures: list[Failure] = []
    for index, line in enumerate(lines):
        match = _JEST.match(line)
        if not match or ("›" not in match["name"] and "Test suite failed" not in match["name"]):
            continue
        block = []
        for following in lines[index + 1:index + 60]:
            if _JEST.match(following):
                break
            block.append(following.strip())
        message = next((b for b in block if b), None)
        exc = _exception(message) if message else None
        place = next((found for b in block if b.startswith("at ") and (m := _JS_STACK.search(b))
                      and (found := frames.place(m["path"], m["line"]))), None)
        detail = "; ".join(b for b in block if b.startswith(("Expected:", "Received:"))) or None
        failures.append(frames.failure(place, test=match["name"], exception=exc[0] if exc else None,
                                       message=(exc[1] if exc else message), detail=detail, tool="jest"))
    return failures


# -- line tools ----------------------------------------------------------------------------------------------
_TOOL = re.compile(r"^[\s│|]*(?P<path>[^\s:│|][^:\n]*\.\w+):(?P<line>\d+)(?::(?P<col>\d+))?:?\s*(?P<severity>"
                   r"(?:fatal )?error|warning|note)?:? (?P<message>.+)$")
_RUFF_HEAD = re.compile(r"^(?P<code>[A-Z]+\d+|(?:error|warning)(?:\[\w+\])?:|[a-z][\w-]*:) (?:\[\*\] )?"
                        r"(?P<message>.+)$")
_RUFF_AT = re.compile(r"^\s*--> (?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+)$")
_PYRIGHT = re.compile(r"^\s+(?P<path>/[^:]+|[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+) - (?P<severity>error|warning): "
                      r"(?P<message>.+)$")
_PYRIGHT_FILE = re.compile(r"^(?P<path>/\S+\.pyi?)$")


def _path_lines(lines: list[str], frames: Frames) -> list[Failure]:
    """`path:line[:col]: [severity:] message` (mypy, flake8, pylint, gcc, clang, ruff concise); notes qualify the
    finding before them."""
    failures: list[Failure] = []
    for raw in lines:
        match = _TOOL.match(raw.rstrip())
        if not match or not (place := frames.place(match["path"], match["line"])):
            continue
        message = match["message"].strip()
        if match["severity"] == "warning":
            message = f"warning: {message}"
        if match["severity"] == "note" or message.startswith("note:"):
            if failures and failures[-1].path == place.path and not failures[-1].detail:
                failures[-1] = failures[-1].model_copy(update={"detail": message.removeprefix("note:").strip()})
            continue
        tool = "compiler" if match["severity"] in ("error", "fatal error", "warning") and not place.path.endswith(
            ".py") else "lint"
        failures.append(frames.failure(place, message=message, tool=tool))
    return failures


def _ruff(lines: list[str], frames: Frames) -> list[Failure]:
    failures = []
    for index, raw in enumerate(lines):
        at = _RUFF_AT.match(raw.rstrip())
        if at and index > 0 and (head := _RUFF_HEAD.match(lines[index - 1].strip())):
            place = frames.place(at["path"], at["line"])
            if place:
                failures.append(frames.failure(place, message=f"{head['code']} {head['message']}", tool="ruff"))
    return failures


def _pyright(lines: list[str], frames: Frames) -> list[Failure]:
    failures = []
    for raw in lines:
        match = _PYRIGHT.match(raw.rstrip())
        if match and (place := frames.place(match["path"], match["line"])):
            failures.append(frames.failure(place, message=match["message"].strip(), tool="pyright"))
    return failures


_BANDIT_ISSUE = re.compile(r"^>> Issue: \[(?P<code>[^\]]+)\] (?P<message>.+)$")
_BANDIT_AT = re.compile(r"^\s*Location: (?P<path>.+?):(?P<line>\d+)(?::\d+)?$")


def _bandit(lines: list[str], frames: Frames) -> list[Failure]:
    failures = []
    for index, raw in enumerate(lines):
        issue = _BANDIT_ISSUE.match(raw.strip())
        if not issue:
            continue
        at = next((m for following in lines[index + 1:index + 6] if (m := _BANDIT_AT.match(following))), None)
        place = frames.place(at["path"], at["line"]) if at else None
        code = issue["code"].split(":")[0]
        failures.append(frames.failure(place, message=f"{code} {issue['message'].strip()}", tool="bandit"))
    return failures


_REFORMAT = re.compile(r"^(?:would reformat|Would reformat:?) (?P<path>\S.*?)$")
_ISORT = re.compile(r"^ERROR: (?P<path>\S.*?) Imports are incorrectly sorted")


def _formatters(lines: list[str], frames: Frames) -> list[Failure]:
    """black / `ruff format --check` ("would reformat") and isort ("Imports are incorrectly sorted")."""
    failures = []
    for raw in lines:
        line = raw.strip()
        match = _REFORMAT.match(line)
        tool, message = "formatter", "would be reformatted (run the formatter)"
        if not match:
            match, tool, message = _ISORT.match(line), "isort", "imports are incorrectly sorted (run isort)"
        if match:
            path = frames.inside(match["path"])
            failures.append(Failure(path=path, line=1 if path else None, message=message if path else
                                    f"{match['path']}: {message}", tool=tool))
    return failures


_COVERAGE = re.compile(r"(?:Coverage failure: total of (?P<total>[\d.]+) is less than fail-under=(?P<under>[\d.]+)|"
                       r"Required test coverage of (?P<under2>[\d.]+)% not reached\. Total coverage: "
                       r"(?P<total2>[\d.]+)%)")


def _coverage(lines: list[str], frames: Frames) -> list[Failure]:
    for line in lines:
        match = _COVERAGE.search(line)
        if match:
            total, under = match["total"] or match["total2"], match["under"] or match["under2"]
            return [Failure(exception="CoverageFailure", message=f"total coverage {total}% is under the required "
                            f"{under}%", tool="coverage")]
    return []


_LD = re.compile(r"^(?P<where>[^\s:]+):(?:\((?P<section>[^)]*)\)|(?P<line>\d+)):? undefined reference to "
                 r"[`'](?P<symbol>[^'`]+)'")
_LD_IN = re.compile(r"^(?P<path>[^\s:]+): in function [`'](?P<function>[^'`]+)':")


def _linker(lines: list[str], frames: Frames) -> list[Failure]:
    failures = []
    function = None
    for raw in lines:
        line = raw.strip()
        inside = _LD_IN.match(line)
        if inside:
            function = inside["function"]
            continue
        match = _LD.match(line)
        if match:
            place = frames.place(match["where"], match["line"], function) if match["line"] else None
            failures.append(frames.failure(place, exception="LinkError", message=f"undefined reference to "
                                           f"`{match['symbol']}'" + (f" in {function}" if function else ""),
                                           tool="ld"))
    return failures


_CONFLICT = re.compile(r"^CONFLICT \((?P<kind>[^)]+)\): (?:Merge conflict in (?P<path>.+)|(?P<text>.+))$")


def _git_conflicts(lines: list[str], frames: Frames) -> list[Failure]:
    failures = []
    for raw in lines:
        match = _CONFLICT.match(raw.strip())
        if match:
            path = frames.inside(match["path"]) if match["path"] else None
            line = _first_marker(frames, path) if path else None
            failures.append(Failure(path=path, line=line, exception="MergeConflict",
                                    message=f"{match['kind']} conflict" + (f": {match['text']}" if match["text"]
                                                                            else f" in {match['path']}"),
                                    source="<<<<<<<" if line else None, tool="git"))
    return failures


def _first_marker(frames: Frames, path: str) -> int | None:
    try:
        with (frames.root / path).open(encoding="utf-8", errors="replace") as handle:
            return next((number for number, line in enumerate(handle, 1) if line.startswith("<<<<<<<")), None)
    except OSError:
        return None


# -- wrappers ----------------------------------------------------------------------------------------------
_MAKE = re.compile(r"^(?:g?make)(?:\[\d+\])?: \*\*\* \[(?P<target>[^\]]+)\] (?P<message>.+)$")
_TOX = re.compile(r"^(?:ERROR: +)?(?P<env>[\w.-]+): (?P<message>commands failed|FAIL code \d+.*|exit \d+.*)$")
_NOX = re.compile(r"^nox > (?P<message>Session \S+ failed.*)$")


def _wrappers(lines: list[str], frames: Frames) -> list[Failure]:
    failures = []
    for raw in lines:
        line = raw.strip()
        if (make := _MAKE.match(line)):
            where = re.match(r"(?P<path>[^:]+):(?P<line>\d+): (?P<target>.+)", make["target"])
            place = frames.place(where["path"], where["line"]) if where else None
            target = where["target"] if where else make["target"]
            failures.append(frames.failure(place, message=f"make target `{target}` failed: {make['message']}",
                                           tool="make"))
        elif (tox := _TOX.match(line)):
            failures.append(Failure(message=f"tox env {tox['env']}: {tox['message']}", tool="tox"))
        elif (nox := _NOX.match(line)):
            failures.append(Failure(message=nox["message"], tool="nox"))
    return failures


FORMATS: list[Format] = [
    Format("pytest", re.compile(r"^(?:={3,} (?:FAILURES|ERRORS|short test summary info) ={3,}|(?:\[gw\d+\] )?"
                                r"(?:FAILED|ERROR) \S+::|INTERNALERROR>)", re.MULTILINE), _pytest, "runner"),
    Format("unittest", re.compile(r"^(?:FAIL|ERROR): \S+ \([\w.]+\)", re.MULTILINE), _unittest, "runner"),
    Format("doctest", re.compile(r"^\*{20,}\nFile \"[^\"]+\", line \d+, in ", re.MULTILINE), _doctest, "runner"),
    Format("tap", re.compile(r"^\s*not ok \d+ - ", re.MULTILINE), _tap, "runner"),
    Format("jest", re.compile(r"^\s*● .+ › ", re.MULTILINE), _jest, "runner"),
    Format("node-spec", re.compile(r"^\s*✖ .+ \([\d.]+m?s\)$", re.MULTILINE), _node_spec, "runner"),
    Format("python", re.compile(r"(?:Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+|^Fatal Python "
                                r"error: )", re.MULTILINE), _tracebacks, "runner"),
    Format("ruff", re.compile(r"^\s*--> \S+:\d+:\d+$", re.MULTILINE), _ruff, "lines", alongside=True),
    Format("pyright", re.compile(r":\d+:\d+ - (?:error|warning): ", re.MULTILINE), _pyright, "lines"),
    Format("bandit", re.compile(r"^>> Issue: \[", re.MULTILINE), _bandit, "lines", alongside=True),
    Format("lint", re.compile(r"^[\s│|]*[^\s:│|][^:\n]*\.\w+:\d+(?::\d+)?:? ", re.MULTILINE), _path_lines, "lines"),
    Format("formatters", re.compile(r"^(?:would reformat|Would reformat|ERROR: .+ Imports are incorrectly sorted)",
                                    re.MULTILINE), _formatters, "lines", alongside=True),
    Format("coverage", _COVERAGE, _coverage, "lines", alongside=True),
    Format("ld", re.compile(r"undefined reference to "), _linker, "lines", alongside=True),
    Format("git", re.compile(r"^CONFLICT \(", re.MULTILINE), _git_conflicts, "lines", alongside=True),
    Format("wrappers", re.compile(r"(?:make(?:\[\d+\])?: \*\*\*|: commands failed|nox > Session|: FAIL code \d+)"),
           _wrappers, "wrapper"),
]
