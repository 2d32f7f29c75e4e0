"""The repository map against aider's, on the same repositories, at 8,000 tokens.

For CPython's `Lib` and pydantic (copied to a temporary folder, so that aider's tag cache lands there): how many
of a reviewer's 20 key definitions each map shows (`class X` / `def x` in the map, its file named), the budget
used as a real BPE tokenizer counts it (cl100k_base, bundled with litellm: nothing is downloaded), our offline
estimate against that count, whether the whole map is valid Python, and the time to build it: cold, again (the
map kept under the files' contents), and ranked again with every view warm (as after an edit).

aider runs in its own virtual environment (`python -m venv /tmp/aider && /tmp/aider/bin/pip install aider-chat`)
given as `--aider-python`; its `RepoMap` gets a stand-in model whose token count is cl100k's. Without it, our
map's figures are printed alone.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

from file_cache import FileCache, is_valid_python
from file_cache.repomap import _build_map, python_files, repository_map

KEY_DEFINITIONS = {
    "Lib": ["pathlib.py:class Path", "posixpath.py:def join", "subprocess.py:def run", "json/__init__.py:def loads",
            "re/__init__.py:def compile", "collections/__init__.py:class OrderedDict",
            "functools.py:def lru_cache", "typing.py:class Generic", "dataclasses.py:def dataclass",
            "logging/__init__.py:def getLogger", "abc.py:class ABC", "enum.py:class Enum",
            "threading.py:class Thread", "contextlib.py:def contextmanager", "asyncio/runners.py:def run",
            "unittest/case.py:class TestCase", "argparse.py:class ArgumentParser", "socket.py:class socket",
            "os.py:def makedirs", "inspect.py:def signature"],
    "pydantic": ["main.py:class BaseModel", "fields.py:def Field", "config.py:class ConfigDict",
                 "functional_validators.py:def field_validator", "functional_validators.py:def model_validator",
                 "type_adapter.py:class TypeAdapter", "main.py:def create_model", "fields.py:def computed_field",
                 "validate_call_decorator.py:def validate_call", "dataclasses.py:def dataclass",
                 "root_model.py:class RootModel", "fields.py:def PrivateAttr", "types.py:class SecretStr",
                 "main.py:def model_validate", "main.py:def model_dump", "json_schema.py:class GenerateJsonSchema",
                 "aliases.py:class AliasChoices", "functional_serializers.py:class PlainSerializer",
                 "annotated_handlers.py:class GetCoreSchemaHandler", "networks.py:class AnyUrl"],
}
"""What a reviewer would want an agent to know first about each repository (file: definition)."""

AIDER_MAP = r"""
import json, os, sys, time
from pathlib import Path
import tiktoken
from aider.io import InputOutput
from aider.repomap import RepoMap

root = Path(sys.argv[1]); budget = int(sys.argv[2]); files = json.loads(Path(sys.argv[3]).read_text())
encoding = tiktoken.get_encoding("cl100k_base")

class Model:
    def token_count(self, text):
        return len(encoding.encode(text if isinstance(text, str) else json.dumps(text)))

def build():
    repo_map = RepoMap(map_tokens=budget, root=str(root), main_model=Model(), io=InputOutput(pretty=False, yes=True),
                       refresh="always")
    return repo_map.get_repo_map([], [str(root / path) for path in files]) or ""

start = time.perf_counter(); text = build(); cold = time.perf_counter() - start
start = time.perf_counter(); build(); warm = time.perf_counter() - start
print(json.dumps({"text": text, "tokens": len(encoding.encode(text)), "cold": cold, "warm": warm}))
"""
COUNT = r"""
import json, sys, tiktoken
print(json.dumps([len(tiktoken.get_encoding("cl100k_base").encode(t)) for t in json.loads(sys.stdin.read())]))
"""


def shown(text: str, key: str) -> bool:
    path, definition = key.split(":")
    kind, name = definition.split()
    return bool(re.search(rf"\b{kind}\s+{re.escape(name)}\b", text)) and path in text


def tokenizer_env(aider_python: Path) -> dict[str, str]:
    site = subprocess.run([str(aider_python), "-c", "import litellm, os; print(os.path.dirname(litellm.__file__))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    import os

    return {**os.environ, "TIKTOKEN_CACHE_DIR": str(Path(site) / "litellm_core_utils" / "tokenizers")}


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--budget", type=int, default=8000)
    options.add_argument("--aider-python", type=Path, default=None, help="a Python with aider-chat installed")
    options.add_argument("--root", type=Path, default=None, help="one repository of your own instead (no key "
                         "definitions are listed for it)")
    args = options.parse_args(argv)
    repositories = {args.root.resolve().name: args.root.resolve()} if args.root else {
        "Lib": Path(sysconfig.get_paths()["stdlib"]), "pydantic": Path(sysconfig.get_paths()["purelib"]) / "pydantic"}
    env = tokenizer_env(args.aider_python) if args.aider_python else None
    for name, source in repositories.items():
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / name
            shutil.copytree(source, root, ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
            files = python_files(root)
            cache = FileCache(root, disk=False)
            start = time.perf_counter()
            ours = repository_map(cache, args.budget)
            cold = time.perf_counter() - start
            start = time.perf_counter()
            repository_map(cache, args.budget)
            warm = time.perf_counter() - start  # the same files: the map kept under their contents' hash
            start = time.perf_counter()
            _build_map(cache, files, args.budget, "")  # ranked again (as after an edit), every view warm
            rerank = time.perf_counter() - start
            keys = KEY_DEFINITIONS.get(name, [])
            found = sum(shown(ours.text, key) for key in keys)
            print(f"{name}: {len(files)} Python files, map at {args.budget} tokens")
            line = (f"  ours:  {found:2d}/{len(keys)} key definitions; valid Python: {is_valid_python(ours.text)}; "
                    f"estimate {ours.tokens}; cold {cold:.1f} s, again {warm:.2f} s (kept), ranked again with the "
                    f"views warm {rerank:.2f} s")
            if env is None:
                print(line)
                continue
            listing = Path(folder) / "files.json"
            listing.write_text(json.dumps(files))
            result = json.loads(subprocess.run([str(args.aider_python), "-c", AIDER_MAP, str(root), str(args.budget),
                                                str(listing)], capture_output=True, text=True, env=env, cwd=folder,
                                               check=True).stdout.splitlines()[-1])
            [ours_bpe] = json.loads(subprocess.run([str(args.aider_python), "-c", COUNT], input=json.dumps(
                [ours.text]), capture_output=True, text=True, env=env, check=True).stdout)
            print(f"{line}; cl100k {ours_bpe} ({100 * ours_bpe / args.budget:.1f} % of the budget; the estimate is "
                  f"{100 * (ours.tokens - ours_bpe) / ours_bpe:+.1f} %)")
            theirs = sum(shown(result["text"], key) for key in keys)
            print(f"  aider: {theirs:2d}/{len(keys)} key definitions; valid Python: {is_valid_python(result['text'])}; "
                  f"cl100k {result['tokens']} ({100 * result['tokens'] / args.budget:.1f} %); cold "
                  f"{result['cold']:.1f} s, warm {result['warm']:.2f} s")
            missing = [key for key in keys if not shown(ours.text, key)]
            print(f"  not in ours: {', '.join(missing) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
