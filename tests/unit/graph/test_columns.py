from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgdecide.graph.columns import FLOAT, STR, STRS, StringTable, column_from_values


@given(st.lists(st.text()))
def test_string_table_round_trips_any_text(strings: list[str]) -> None:
    table = StringTable.from_strings(strings)
    assert len(table) == len(strings)
    assert table.to_list() == strings
    assert [table[i] for i in range(len(strings))] == strings


def test_column_kind_follows_the_values() -> None:
    assert column_from_values([1, 0.5, None]).kind == FLOAT
    assert column_from_values(["a", None]).kind == STR
    assert column_from_values([True, False]).kind == STR  # booleans are not numbers here
    assert column_from_values([("a",), None, ["b", "c"]]).kind == STRS
    assert column_from_values([1, "a"]).kind == STR


def test_str_column_round_trips_and_marks_absence() -> None:
    column = column_from_values(["PCS", None, "TAS", "PCS", True])
    assert [column.get(i) for i in range(5)] == ["PCS", None, "TAS", "PCS", "true"]
    assert column.vocab is not None and len(column.vocab) == 3  # dictionary-encoded


def test_strs_column_take_reorders_rows() -> None:
    column = column_from_values([("a", "b"), None, ("c",), ("b", "d", "e")])
    order = np.array([3, 0, 2, 1])
    taken = column.take(order)
    assert [taken.get(i) for i in range(4)] == [("b", "d", "e"), ("a", "b"), ("c",), None]


def test_float_column_nan_is_absent() -> None:
    column = column_from_values([0.25, None])
    assert column.get(0) == pytest.approx(0.25)
    assert column.get(1) is None and np.isnan(column.values[1])
