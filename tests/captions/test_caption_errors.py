"""CaptionError carries every problem found (at most MAX_PROBLEMS), each with line and cue."""

from __future__ import annotations

import pytest

from mediaobjects.captions import MAX_PROBLEMS, CaptionError, Problem


def test_a_single_problem_reads_as_before() -> None:
    error = CaptionError("expected a timing line", 3)
    assert (error.message, error.line, error.cue) == ("expected a timing line", 3, None)
    assert error.problems == (Problem("expected a timing line", 3),)
    assert str(error) == "line 3: expected a timing line"


def test_many_problems_keep_file_order_and_stop_at_the_limit() -> None:
    problems = [Problem(f"bad timing {n}", line=4 * n, cue=n) for n in range(1, 31)]
    error = CaptionError.of(problems)
    assert len(error.problems) == MAX_PROBLEMS == 20
    assert error.problems[0] == Problem("bad timing 1", 4, 1)
    assert error.problems[-1] == Problem("bad timing 20", 80, 20)
    assert (error.line, error.cue) == (4, 1)
    assert str(error) == "line 4, cue 1: bad timing 1"


def test_a_problem_of_the_whole_file_names_no_place() -> None:
    assert str(Problem("can't be blank")) == "can't be blank"
    assert str(Problem("no cues", cue=2)) == "cue 2: no cues"


def test_an_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        CaptionError.of([])
