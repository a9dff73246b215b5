"""Autograder for Deep Learning Fundamentals 2026.

Data flow, one module per step:

  check (one submission, in-process) and grade (a class, sandboxed):
    ingest (safe copies of the graded files) -> submission (import a chapter's modules)
    -> sandbox + worker + landlock (student code in walled-in processes)
    -> runner (probes beside the code under test; policy checks forbidden names)
    -> compare (trusted comparisons) -> score (grading.toml) -> gradebook (SQLite)
    -> exports / report (results.json, feedback, grades.csv)

  past one machine: grade --shard K/N, then merge; on Gradescope: gradescope
  (the bundle) whose run_autograder calls the same grade engine.
  authoring: generate (stubs from solutions), mistakes (mutant catalogues).
"""
