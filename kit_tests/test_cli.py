"""The command line: a bad command gets one line saying what is wrong and what would be right, a
non-zero exit and no traceback; every command says what it does, with an example."""
import os

import pytest
from conftest import run_autograder

import autograder.check
import autograder.cli
from autograder.cli import WATCHED, main
from autograder.config import chapters
from autograder.layout import KIT

BAD = {
    "unknown command": (["frob"], ["there is no such command", "the commands are generate, check, mutants"]),
    "misspelt command": (["chekc"], ["did you mean check?"]),
    "unknown chapter": (["check", "ch9"], ["no chapter 'ch9'", ", ".join(chapters())]),
    "no such submission": (["check", "ch2", "--submission", "/no/such/dir"],
                           ["/no/such/dir", "no such folder", "chN/<module>.py"]),
    "a chapter folder as submission": (["check", "ch2", "--submission", "solutions/ch2"],
                                       ["no ch2/ folder", "give the folder above it"]),
    "a folder without chapters": (["check", "--submission", "docs"],
                                  [f"no {' or '.join(f'{ch}/' for ch in chapters())} folder"]),
    "unknown exercise": (["check", "--exercise", "ch2.activations.nope"],
                         ["no such exercise", "the exercises of ch2.activations are relu, relu_backward"]),
    "misspelt exercise": (["check", "--exercise", "ch2.activations.rleu"], ["did you mean ch2.activations.relu?"]),
    "exercise of another chapter": (["check", "ch6", "--exercise", "ch2.activations.relu"],
                                    ["ch2.activations.relu is not in ch6"]),
    "an argument too many": (["grade", "subs", "--out", "o", "--chapter", "ch3", "ch4"],
                             ["unrecognized arguments: ch4", "`autograder grade --help` lists its arguments"]),
    "a required argument missing": (["grade"], ["required: submissions, --out", "autograder grade --help"]),
    "json into a folder": (["check", "ch2", "--json", "docs"], ["--json docs is a folder"]),
    "mutants of an unknown chapter": (["mutants", "ch9"], ["no chapter 'ch9'"]),
    "mutants of an unknown module": (["mutants", "ch2", "--module", "nope"],
                                     ["--module nope", "activations, losses"]),
    "gradescope for an unknown chapter": (["gradescope", "/tmp/never-written.zip", "--chapter", "ch9"],
                                          ["no chapter 'ch9'"]),
    "gradescope without its wheelhouse": (["gradescope", "/tmp/never-written.zip", "--wheelhouse", "/no/wheels"],
                                          ["--wheelhouse /no/wheels", "no such folder"]),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_command_gets_one_line_and_a_non_zero_exit(case, capsys, monkeypatch):
    monkeypatch.chdir(KIT.root)
    argv, pieces = BAD[case]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"autograder {argv[0]}: "), err
    for piece in pieces:
        assert piece in err, (piece, err)


def test_a_bad_command_in_a_fresh_process_has_no_traceback():
    proc = run_autograder("check", "ch9", "--submission", "/no/such/dir", check=False)
    assert proc.returncode == 2 and proc.stdout == "", proc
    chapter_list = ", ".join(chapters())
    assert proc.stderr == f"autograder check: there is no chapter 'ch9': the chapters are {chapter_list}\n", proc.stderr


def test_an_unknown_command_does_not_list_the_internal_one(capsys):
    assert main(["frob"]) == 2
    err = capsys.readouterr().err
    assert "gradescope-run" not in err and "release, merge" in err, err


@pytest.fixture
def checked(monkeypatch, tmp_path):
    """What `autograder check` would check, without checking it (and in this process: as the child
    that `autograder check` runs its work in)."""
    calls = []
    monkeypatch.setattr(autograder.check, "check", lambda chapter_list, settings, **kw: calls.append(
        (chapter_list, settings)))

    def as_the_child(argv):
        os.environ[WATCHED] = str(tmp_path / "status")
        return main(argv)
    monkeypatch.setattr(autograder.cli, "watched", as_the_child)
    return calls


def test_check_exercise_alone_checks_its_chapter(checked):
    assert main(["check", "--exercise", "ch6.attention.causal_mask"]) == 0
    [(chapter_list, settings)] = checked
    assert chapter_list == ["ch6"] and settings.exercise == "ch6.attention.causal_mask"


def test_check_without_chapters_checks_those_the_submission_has(checked, tmp_path):
    (tmp_path / "ch2").mkdir()
    assert main(["check", "--submission", str(tmp_path)]) == 0
    assert checked[0][0] == ["ch2"]
    assert main(["check"]) == 0
    assert checked[1][0] == chapters()


def test_the_list_of_commands_hides_the_internal_one(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "SUPPRESS" not in text and "gradescope-run" not in text, text
    for command in ("generate", "check", "mutants", "new", "grade", "gradescope", "merge"):
        assert f"\n    {command} " in text or f"\n    {command}\n" in text, (command, text)


@pytest.mark.parametrize("command", ["generate", "check", "mutants", "new", "grade", "gradescope", "merge"])
def test_every_command_says_what_it_does_with_an_example(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    usage, description = text.split("\n\n")[:2]
    assert usage.startswith(f"usage: autograder {command}") and len(description.split()) >= 5, text
    assert f"examples:\n  autograder {command} " in text, text
