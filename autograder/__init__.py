"""Autograder for Deep Learning Fundamentals 2026.

Data flow, one module per step (the README's "The engine" table says the same):

  where things are: layout (every path), config (grading.toml), settings (one run's options)

  check (one submission, in this process) and grade (a class, sandboxed):
    ingest (safe copies of the graded files) -> submission (import a chapter's modules;
    siblings: stand-ins for a composite's other modules)
    -> sandbox/ (student code in walled-in worker processes; knows nothing of exercises)
    -> runner (probes beside the code under test, in-process or in a worker; plaindata: what
       crosses; policy: forbidden names; devices: device checks without a GPU)
    -> pytest_plugin (the hidden suites' fixtures and hooks; compare: trusted comparisons;
       probes, suite_helpers: what suites share) driven by suites
    -> outcomes + score (the results model) -> gradebook (SQLite) -> report (table,
       results.json, feedback, grades.csv) and class_summary (the class: printed lines, summary.html);
       with --nbgrader-gradebook, nbgrader_gradebook (the scores in nbgrader's gradebook, through its API)

  commands (cli.py parses; `autograder X` lives in X.py): check, grade, mutants, generate,
  new, merge, gradescope. public_conftest.py becomes the students' assignments/conftest.py.
"""
