"""One formatter for property values: significant figures, — for not computed, units in headers."""

import numpy as np
import pytest

from porestudio.formatting import (
    NOT_COMPUTED,
    format_value,
    format_vector,
    header,
    tensor_lines,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [(83803.6141, "83800"), (149_700.0, "149700"), (1.497e7, "1.497e+07"), (0.25, "0.2500"),
     (0.0012345, "0.001234"), (1.5e-13, "1.500e-13"), (-2.5e-5, "-2.500e-05"), (9.99996, "10.00"),
     (0.0, "0"), (np.float32(0.5), "0.5000"), (np.nan, NOT_COMPUTED), (None, NOT_COMPUTED),
     (np.inf, "∞"), (np.int64(7), "7"), (True, "yes"), (b"ok", "ok"), ("text", "text")],
)  # fmt: skip
def test_values_get_significant_figures(value, text):
    assert format_value(value) == text


def test_headers_carry_units_and_tensors_align():
    assert header("k_xx", "mD") == "k_xx [mD]" and header("porosity") == "porosity"
    lines = tensor_lines(np.array([[1.0, np.nan, 0.0], [2e-9, 3.0, 4.0], [5.0, 6.0, 7e6]]))
    assert len(lines) == 4 and len({len(line) for line in lines}) == 1
    assert NOT_COMPUTED in lines[1] and "7.000e+06" in lines[3]
    assert format_vector([1, 0.5, -0.25], 2) == "(1.0, 0.50, -0.25)"
