"""assignments/ is exactly what the generator makes from solutions/."""
from autograder.generate import stale_stubs, stub_source


def test_assignments_are_up_to_date():
    stale = stale_stubs()
    assert not stale, f"run `autograder generate`: out of date: {[str(p) for p in stale]}"


def test_solution_regions_become_nbgrader_stubs():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    stub = stub_source(source)
    assert '    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n' in stub
    assert "return x" not in stub and "BEGIN SOLUTION" not in stub


def test_files_without_regions_are_copied_unchanged():
    assert stub_source("import torch\n") == "import torch\n"
