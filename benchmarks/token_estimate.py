"""The offline token estimate against a real BPE tokenizer (cl100k_base), on the kinds of text Conductor counts:
Python source, skeletons and curated views of the stdlib and of installed third-party packages (300 files each,
a fixed sample), and repository maps at 8,000 tokens. The ratio estimate / cl100k per kind (1.00 is exact; above
1 over-counts, so a budget filled by the estimate is never exceeded).

The tokenizer runs in a Python that has tiktoken and litellm (which bundles the cl100k_base file, so nothing is
downloaded): `python -m venv /tmp/aider && /tmp/aider/bin/pip install aider-chat`, given as `--bpe-python`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sysconfig
from pathlib import Path

from file_cache import ASTParser, FileCache, estimate_tokens
from file_cache.parser import decode_source
from file_cache.repomap import repository_map

COUNT = """
import json, sys, tiktoken
encoding = tiktoken.get_encoding("cl100k_base")
print(json.dumps({k: len(encoding.encode(v, disallowed_special=())) for k, v in json.loads(sys.stdin.read()).items()}))
"""
THIRD_PARTY = ("pydantic", "anthropic", "openai", "mcp", "_pytest")


def bpe_counts(python: Path, texts: dict[str, str]) -> dict[str, int]:
    site = subprocess.run([str(python), "-c", "import litellm, os; print(os.path.dirname(litellm.__file__))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(Path(site) / "litellm_core_utils" / "tokenizers")}
    found: dict[str, int] = json.loads(subprocess.run([str(python), "-c", COUNT], input=json.dumps(texts),
                                                      capture_output=True, text=True, env=env, check=True).stdout)
    return found


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--bpe-python", type=Path, required=True, help="a Python with tiktoken and litellm")
    options.add_argument("--files", type=int, default=300)
    args = options.parse_args(argv)
    chooser = random.Random(1)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    site = Path(sysconfig.get_paths()["purelib"])
    sources = {
        "stdlib": [p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts],
        "third-party": [p for package in THIRD_PARTY for p in (site / package).rglob("*.py")],
    }
    parser = ASTParser()
    texts: dict[str, str] = {}
    for name, paths in sources.items():
        chosen = [decode_source(p.read_bytes()) for p in chooser.sample(paths, min(args.files, len(paths)))]
        texts[f"{name} source"] = "".join(chosen)
        texts[f"{name} skeletons"] = "".join(parser.get_skeleton_view(t) for t in chosen)
        texts[f"{name} curated views"] = "".join(parser.get_curated_view(t) for t in chosen)
    texts["stdlib map, 8,000"] = repository_map(FileCache(stdlib, disk=False), 8000).text
    texts["pydantic map, 8,000"] = repository_map(FileCache(site / "pydantic", disk=False), 8000).text
    real = bpe_counts(args.bpe_python, texts)
    for name, text in texts.items():
        estimate = estimate_tokens(text)
        print(f"{name:<26} estimate {estimate:>9,}  cl100k {real[name]:>9,}  ratio {estimate / real[name]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
