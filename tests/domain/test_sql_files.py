"""SQL lives in files: no statement text in the Python under ``src/``, every file under ``include/sql/``
says what it reads and writes, and every file is read by some code (none left behind by a move).

The scan parses the code (:mod:`ast`), so a statement split over lines or built by concatenation is
found as well as a plain string. What counts as inline SQL: a literal string (a constant, an f-string,
a concatenation or ``%``/``.format`` of literals) passed as the statement to ``execute``,
``executemany``, ``mogrify``, ``copy_expert`` or ``sqlfiles.run_script``, and any
``psycopg2.sql.SQL("...")`` with a literal, except a bare separator (``", "``, ``""``) joining
identifiers, which holds no SQL of its own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
SQL = ROOT / "include" / "sql"
MIGRATION = re.compile(r"^[0-9]{4}_.*\.sql$")
# Code that reads SQL files by name: the package, the DAGs, the tools, and the compose file's one-shot init.
READERS_PY = [SRC, ROOT / "dags", ROOT / "plugins", ROOT / "tools"]
READERS_TEXT = [ROOT / "docker-compose.yaml"]
STATEMENT_ARG = {"execute": 0, "executemany": 0, "mogrify": 0, "copy_expert": 0, "run_script": 1}
SEPARATOR = re.compile(r"^[\s,]*$")


def _literal(node: ast.AST) -> bool:
    """A string the code spells out: a constant, an f-string, or an operation on such strings."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _literal(node.func.value)
    return _sql_literal(node)


def _is_sql_class(func: ast.AST) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "SQL") or (isinstance(func, ast.Name) and func.id == "SQL")


def _sql_literal(node: ast.AST) -> bool:
    """``sql.SQL("...")`` (or its ``.format(...)``/``.join(...)``) with statement text in the literal."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"format", "join"}:
        return _sql_literal(node.func.value)
    if not (isinstance(node, ast.Call) and _is_sql_class(node.func) and node.args):
        return False
    text = node.args[0]
    if isinstance(text, ast.Constant) and isinstance(text.value, str):
        return not SEPARATOR.match(text.value)
    return _literal(text)


def inline_sql(source: str) -> list[int]:
    """Line numbers of the inline SQL statements in one module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        index = STATEMENT_ARG.get(name)
        if index is not None and len(node.args) > index and _literal(node.args[index]) or _sql_literal(node):
            found.append(node.lineno)
    return sorted(set(found))


def _python_files(roots: list[Path]) -> list[Path]:
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("*.py"))


def names_read() -> set[str]:
    """Every ``include/sql`` file name the code spells out (string constants ending in ``.sql``)."""
    names = set()
    for path in _python_files(READERS_PY):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".sql"):
                names.add(node.value)
    for path in READERS_TEXT:
        names.update(re.findall(r"""["']([\w/]+\.sql)["']""", path.read_text(encoding="utf-8")))
    return names


def sql_files() -> list[Path]:
    return sorted(SQL.rglob("*.sql"))


@pytest.mark.parametrize(
    "snippet",
    [
        'cur.execute("SELECT 1")',
        'cur.execute(f"DROP TABLE {name}")',
        'cur.execute("SELECT a " "FROM b WHERE c = %s", (1,))',
        'cur.execute("SELECT " + column + " FROM t")',
        'cur.copy_expert("COPY t FROM STDIN", stream)',
        'sqlfiles.run_script(cur, "UPDATE t SET a = 1")',
        'cur.execute(sql.SQL("DROP TABLE {}").format(table))',
        'query = sql.SQL("CREATE ROLE {} LOGIN").format(ident)',
        'extra = sql.SQL("").join(sql.SQL(", {} text").format(sql.Identifier(c)) for c in cols)',
    ],
)
def test_the_scan_finds_inline_sql(snippet):
    """The scan can fail: each way of writing a statement in Python is found."""
    assert inline_sql(snippet) == [1]


@pytest.mark.parametrize(
    "snippet",
    [
        'cur.execute(sqlfiles.read("stage/count_checked.sql"), (1,))',
        'cur.execute(sqlfiles.compose("stage/drop_raw.sql", raw=raw))',
        'sqlfiles.run_script(cur, sqlfiles.read("warehouse/pseudonyms/load_pads.sql"), stream=pads)',
        'columns = sql.SQL(", ").join(sql.Identifier(c) for c in cols)',
        'cur.copy_expert(copy.as_string(cur), stream)',
    ],
)
def test_the_scan_passes_sql_read_from_files(snippet):
    assert inline_sql(snippet) == []


def test_no_inline_sql_under_src():
    """Every statement the package runs is in a file under include/sql/ (identifiers composed into it)."""
    found = {
        f"{path.relative_to(ROOT)}:{line}": path.read_text(encoding="utf-8").splitlines()[line - 1].strip()
        for path in _python_files([SRC])
        for line in inline_sql(path.read_text(encoding="utf-8"))
    }
    assert found == {}


def test_every_sql_file_says_what_it_reads_and_writes():
    """The leading comment: at least two lines, the first saying what the file does, then what it reads and
    writes (``reads: ...; writes: ...``)."""
    missing = []
    for path in sql_files():
        head = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("--"):
                break
            head.append(line)
        text = " ".join(head)
        if len(head) < 2 or head[0].lstrip("- ").startswith("reads") or "reads:" not in text or "writes:" not in text:
            missing.append(str(path.relative_to(SQL)))
    assert missing == []


def test_every_sql_file_is_read_by_some_code():
    """A SQL file nothing reads (left behind by a move or a removed caller) fails; numbered migrations are
    read by the migration runner's glob."""
    read = names_read()
    unread = [
        name
        for path in sql_files()
        if not (path.parent == SQL / "migrations" and MIGRATION.match(path.name))
        and (name := path.relative_to(SQL).as_posix()) not in read
    ]
    assert unread == []


def test_every_sql_file_the_code_names_exists():
    """A reader left with an old path after a move fails here rather than at run time."""
    named = {name for name in names_read() if "/" in name}
    assert sorted(name for name in named if not (SQL / name).is_file()) == []


def test_sql_folders_are_the_stages_of_the_package():
    """Each top folder of include/sql/ is a subpackage of bansos (the stage that runs it), or migrations/."""
    stages = {p.name for p in (SRC / "bansos").iterdir() if (p / "__init__.py").is_file()}
    folders = {p.name for p in SQL.iterdir() if p.is_dir()}
    assert folders - stages == {"migrations"}
