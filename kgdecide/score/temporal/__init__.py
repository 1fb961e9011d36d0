"""Temporal link prediction over quadruples (subject, relation, object, week), domain-free:
the history predictor, the learned network with temporal rules, their registry. Why these are not
:mod:`kgdecide.score` scorers: :mod:`kgdecide.score.temporal.base`."""
