"""The release command: stubs and notebooks generated from the solutions, idempotent, in sync."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from autograde.release import (
    BEGIN,
    END,
    main,
    nbgrader_config,
    notebook_json,
    read_percent,
    release,
    strip_solutions,
)

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = range(1, 7)


def test_committed_exercises_are_up_to_date():
    stale = release(ROOT / "solutions", ROOT / "exercises", check=True)
    assert stale == [], f"run `python -m autograde release`: {stale}"


def test_release_is_idempotent(tmp_path):
    first = release(ROOT / "solutions", tmp_path / "ex", course=tmp_path / "course")
    assert {p.name for p in first} >= {f"session{n}.py" for n in SESSIONS}
    assert release(ROOT / "solutions", tmp_path / "ex", course=tmp_path / "course") == []
    assert main(["--solutions", str(ROOT / "solutions"), "--out", str(tmp_path / "ex"),
                 "--course", str(tmp_path / "course"), "--check"]) == 0


def test_check_fails_on_a_hand_edited_stub(tmp_path, capsys):
    release(ROOT / "solutions", tmp_path / "ex")
    stub = tmp_path / "ex" / "session1.py"
    stub.write_text(stub.read_text() + "# edited\n")
    assert main(["--solutions", str(ROOT / "solutions"), "--out", str(tmp_path / "ex"),
                 "--course", str(tmp_path / "course"), "--check"]) == 1
    assert "session1.py" in capsys.readouterr().err


def _definitions(source: str) -> dict[str, ast.AST]:
    """Module-level functions and classes, and the methods of the classes."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found[node.name] = node
        if isinstance(node, ast.ClassDef):
            found.update({f"{node.name}.{m.name}": m for m in node.body
                          if isinstance(m, ast.FunctionDef)})
    return found


@pytest.mark.parametrize("session", SESSIONS)
def test_stub_keeps_signatures_and_docstrings_and_drops_solutions(session):
    solution = (ROOT / "solutions" / f"session{session}.py").read_text()
    stub = (ROOT / "exercises" / f"session{session}.py").read_text()
    assert BEGIN in solution and BEGIN not in stub and END not in stub
    graded, stubbed = _definitions(solution), _definitions(stub)
    assert set(graded) == set(stubbed)
    for name, node in graded.items():
        assert ast.get_docstring(node) == ast.get_docstring(stubbed[name])
        if isinstance(node, ast.FunctionDef):
            assert ast.dump(node.args) == ast.dump(stubbed[name].args)
    assert stub.count("raise NotImplementedError(") == solution.count(BEGIN)


def test_strip_solutions_keeps_indentation_and_names_the_function():
    src = ("class A:\n    def f(self):\n        x = 1\n        ### BEGIN SOLUTION\n"
           "        return x\n        ### END SOLUTION\n")
    out = strip_solutions(src)
    assert "        x = 1\n" in out
    assert '        raise NotImplementedError("A.f: your code here (see the docstring)")' in out
    compile(out, "<stub>", "exec")


def test_strip_solutions_ignores_markers_inside_strings():
    src = 'TEXT = """\n### BEGIN SOLUTION\n"""\n'
    assert strip_solutions(src) == src


@pytest.mark.parametrize("src", [
    "def f():\n    ### BEGIN SOLUTION\n    return 1\n",
    "def f():\n    ### END SOLUTION\n    return 1\n",
    "def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n    pass\n",
])
def test_strip_solutions_rejects_unbalanced_markers(src):
    with pytest.raises(SyntaxError, match="unbalanced"):
        strip_solutions(src)


def test_percent_cells_become_nbgrader_cells():
    text = ("# %% [markdown]\n# # Title\n\n# %% answer id=df\n### BEGIN SOLUTION\ndf = 1.0\n"
            "### END SOLUTION\n\n# %% tests id=t-df points=2\nassert df == 1.0\n\n"
            "# %% [markdown] question id=q1 points=3\n# Because.\n")
    cells = read_percent(text)
    student = json.loads(notebook_json(cells, student=True))
    source = json.loads(notebook_json(cells, student=False))
    meta = [c["metadata"].get("nbgrader") for c in source["cells"]]
    assert meta[0] is None
    assert meta[1]["solution"] and not meta[1]["grade"] and meta[1]["grade_id"] == "df"
    assert meta[2]["grade"] and meta[2]["locked"] and meta[2]["points"] == 2.0
    assert meta[3]["solution"] and meta[3]["grade"] and meta[3]["points"] == 3.0
    assert "df = 1.0" in "".join(source["cells"][1]["source"])
    assert "df = 1.0" not in "".join(student["cells"][1]["source"])
    assert "".join(student["cells"][3]["source"]) == "YOUR ANSWER HERE"


@pytest.mark.parametrize("header, message", [
    ("# %% tests points=1\n", "needs id"),
    ("# %% tests id=x\n", "needs points"),
    ("# %% question id=q points=1\n", "markdown"),
    ("# %% bogus\n", "unknown"),
    ("# %% tests id=a.b points=1\n", "letters, digits"),
])
def test_bad_cell_headers_are_reported(header, message):
    with pytest.raises(ValueError, match=message):
        read_percent(header + "x = 1\n")


def test_nbgrader_config_keeps_student_modules():
    namespace: dict = {}

    class Section(dict):
        def __getattr__(self, name):
            return self.setdefault(name, Section())

        def __setattr__(self, name, value):
            self[name] = value

    config = Section()
    text = nbgrader_config(["session1", "session2"], root="course")
    exec(compile(text, "nbgrader_config.py", "exec"),
         {"get_config": lambda: config, "__file__": "/x/nbgrader_config.py"}, namespace)
    assert config["Autograde"]["exclude_overwriting"] == {"session1": ["session1.py"],
                                                          "session2": ["session2.py"]}
    assert config["CourseDirectory"]["root"] == "/x/course"


def test_repository_config_is_generated():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert "exclude_overwriting" in text and '"session6.py"' in text
