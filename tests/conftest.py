# The hidden suites' fixtures and hooks live in the engine (autograder/pytest_plugin.py).
pytest_plugins = ["autograder.pytest_plugin"]
