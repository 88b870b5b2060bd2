"""test_cases.py: every case of tests/cases/*.toml in every mode where it
applies, mode after mode (the adapters of one mode are stopped before the
next starts), the cases of a file in their order."""

import pytest

import cases as casemod
import conftest
import lab as labmod


def params():
    out = []
    for mode in labmod.MODES:
        for stem, case in conftest.CASES:
            if mode in casemod.modes_of(case, conftest.SPECS["adapters"]):
                out.append(pytest.param(mode, case, id="%s-%s-%s" % (mode, stem, case["name"])))
    return out


@pytest.mark.parametrize("mode,case", params())
def test_case(lab, mode, case):
    conftest.record(mode, casemod.run(lab, mode, case))
