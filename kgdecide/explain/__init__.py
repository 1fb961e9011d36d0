"""Explanations: pure functions from a score result to evidence and next questions."""

from kgdecide.explain.evidence import explain_candidates
from kgdecide.explain.questions import next_questions

__all__ = ["explain_candidates", "next_questions"]
