from autograder.cli import main

if __name__ == "__main__":   # not when a spawned grading process imports it
    raise SystemExit(main())
