"""Exercises for the notebooks, with checks that are themselves calculus.

``check("01.central_difference", central)`` measures the reader's answer and says what is
wrong in the words of the notebook: the measured order of a difference quotient ("error
falls like h, not h²"), the parameter and factor of a wrong gradient ("dW is off by a
factor −1: a sign"), the missing piece of an optimizer step ("bias correction"), or a
number against its tolerance.

>>> from mathprog.exercises import check, exercises
>>> exercises()[0]
'01.central_difference'
>>> check("01.central_difference", ...).passed
False
"""

from __future__ import annotations

import difflib
from typing import Any

from mathprog.exercises import (  # noqa: F401 (each module registers its exercises)
    nb01,
    nb02,
    nb03,
    nb04,
    nb05,
    nb06,
    nb07,
    nb08,
    nb09,
    nb10,
)
from mathprog.exercises._core import NOT_YET, REGISTRY, Fail, Result, is_stub

__all__ = ["Result", "check", "exercises"]


def exercises() -> list[str]:
    """The ids of all exercises, in notebook order, each ``"NN.name"``."""
    return list(REGISTRY)


def check(exercise_id: str, answer: Any) -> Result:
    """Check ``answer`` for exercise ``exercise_id``; never raises for a wrong answer.

    Parameters
    ----------
    exercise_id : str
        One of :func:`exercises`, e.g. ``"01.central_difference"``.
    answer : object
        What the exercise asks for: usually a function, sometimes a number.

    Returns
    -------
    Result
        ``.passed`` and ``.message``; shown as one line, ``✓`` or ``✗`` and why.

    Raises
    ------
    ValueError
        For an unknown ``exercise_id`` (the message lists the close matches).
    """
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a str, got {type(exercise_id).__name__}")
    if exercise_id not in REGISTRY:
        close = difflib.get_close_matches(exercise_id, REGISTRY, n=3, cutoff=0.5)
        close += [e for e in REGISTRY if exercise_id and exercise_id in e and e not in close]
        hint = f" Did you mean {', '.join(repr(c) for c in close[:3])}?" if close else ""
        raise ValueError(f"unknown exercise_id {exercise_id!r}.{hint} "
                         "(exercises() lists them all)")
    if is_stub(answer):
        return Result(exercise_id, False, NOT_YET)
    try:
        message = REGISTRY[exercise_id].run(answer)
    except Fail as fail:
        return Result(exercise_id, False, str(fail))
    except Exception as err:  # an answer so odd the check itself tripped over it
        return Result(exercise_id, False,
                      f"could not check this answer ({type(err).__name__}: {err})")
    return Result(exercise_id, True, message)
