"""Autograder for Deep Learning Fundamentals 2026.

Data flow: submission (find a student's chapter modules) -> runner (run probes
beside the code under test) -> compare (trusted comparisons) -> score
(grading.toml) -> report (table, Gradescope results.json).
"""
