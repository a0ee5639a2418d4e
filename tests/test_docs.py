"""Pointers to documentation lead somewhere: every ``docs/…md §N`` cited exists, nothing cites a
document that is not in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CODE_DIRS = ("app", "heroku_connect", "tests", "bench")

#: ``docs/heroku-connect/errors.md §2`` (or ``… §4, §7 and §8``, ``… §1-§3``) in code;
#: ``[states](states.md) §1`` or ``[database](../heroku-connect/database.md) §9`` in docs.
_CODE_POINTER = re.compile(r"(docs/[\w./-]+\.md)((?:[` ,and-]*§\d+(?:\.\d+)?)*)")
_DOC_LINK = re.compile(r"\]\(([\w./-]+\.md)\)((?:[ ,and-]*§\d+(?:\.\d+)?)*)")
_SECTION = re.compile(r"§(\d+(?:\.\d+)?)")
#: Documents that are not part of the repository and must not be cited.
_OUTSIDE = re.compile(r"heroku-connect\.md|library-api\.md|deploy\.md|style\.md|/shared/")


def _sections(doc: Path) -> set[str]:
    """Section numbers of ``doc``'s headings (``## 4. …`` gives ``4``, ``### 2.10 …`` ``2.10``)."""
    return set(re.findall(r"^#{2,4} (\d+(?:\.\d+)?)\.? ", doc.read_text(), re.MULTILINE))


def _source_files():
    for directory in CODE_DIRS:
        for path in (ROOT / directory).rglob("*"):
            if path.suffix in {".py", ".md", ".html", ".txt"} and "__pycache__" not in path.parts:
                yield path


def _check(path: Path, target: Path, cited: str, problems: list[str]) -> None:
    where = path.relative_to(ROOT)
    if not target.is_file():
        problems.append(f"{where}: {target.relative_to(ROOT)} does not exist")
        return
    missing = set(_SECTION.findall(cited)) - _sections(target)
    if missing:
        problems.append(f"{where}: {target.relative_to(ROOT)} has no § {sorted(missing)}")


def test_code__cites_existing_docs_and_sections():
    """Each ``docs/….md §N`` in code, tests or benchmarks names a file and a heading that exist."""
    problems: list[str] = []
    pointers = 0
    for path in _source_files():
        if path == Path(__file__):
            continue
        for match in _CODE_POINTER.finditer(path.read_text()):
            pointers += 1
            _check(path, ROOT / match[1], match[2], problems)
    assert problems == []
    assert pointers > 20


def test_docs__links_between_pages_lead_to_existing_sections():
    """Links inside docs/ (``[states](states.md) §1``) point at existing files and headings."""
    problems: list[str] = []
    for path in DOCS.rglob("*.md"):
        for match in _DOC_LINK.finditer(path.read_text()):
            _check(path, (path.parent / match[1]).resolve(), match[2], problems)
    assert problems == []


def test_code__never_cites_documents_outside_the_repository():
    """Docstrings and comments point into docs/, never at a document the repository lacks."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _source_files()
        if path != Path(__file__)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _OUTSIDE.search(line)
    ]
    assert offenders == []
