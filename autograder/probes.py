"""Probes shared by many hidden suites (each is still self-contained: see runner.py)."""


def apply(impl, name, args, kwargs):
    """Call impl.<name>(*args, **kwargs); also return the arguments afterwards (must be unchanged)."""
    out = getattr(impl, name)(*args, **kwargs)
    return {"out": out, "args_after": list(args)}


def raises_value_error(impl, name, args, kwargs):
    """'ValueError' when impl.<name>(*args, **kwargs) raises it, else what happened instead."""
    try:
        getattr(impl, name)(*args, **kwargs)
    except ValueError:
        return "ValueError"
    except NotImplementedError:
        raise
    except Exception as exc:
        return f"{type(exc).__name__} (expected ValueError)"
    return "no exception (expected ValueError)"


def raises(impl, name, args, kwargs):
    """'raised' when impl.<name>(*args, **kwargs) raises any exception (rule 8: the type is
    checked only where the curriculum names it), else 'no exception'."""
    try:
        getattr(impl, name)(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception:
        return "raised"
    return "no exception"
