"""Each method against a published result on the data it was published from (the data are in
tests/evaluation/fixtures/, their sources in fixtures/README.md). The expected numbers are the
publications', cited beside each one; the tolerances say how closely our method reproduces them.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saferhub.evaluation import did_2x2, interrupted_time_series, synthetic_control

FIXTURES = Path(__file__).parent / "fixtures"


def test_kiel_mcclain_incinerator_difference_in_differences():
    houses = pd.read_csv(FIXTURES / "kielmc.csv")
    result = did_2x2(houses, outcome="rprice", group="nearinc", post="y81", errors="classical")
    # Wooldridge, Introductory Econometrics (7th ed.), Example 13.3, equation (13.7):
    # the coefficient on y81·nearinc is -11,863.90 with standard error 7,456.65 (n = 321).
    assert result.effect == pytest.approx(-11863.90, abs=0.01)
    assert result.details["standard_error"] == pytest.approx(7456.65, abs=0.01)
    assert sum(result.details["rows"].values()) == 321
    assert result.msms_level == 3


def test_kiel_mcclain_with_house_age_controls():
    houses = pd.read_csv(FIXTURES / "kielmc.csv")
    result = did_2x2(
        houses,
        outcome="rprice",
        group="nearinc",
        post="y81",
        controls=["age", "agesq"],
        errors="classical",
    )
    # Wooldridge, Example 13.3, with age and age squared added: -21,920.27 (6,359.75).
    assert result.effect == pytest.approx(-21920.27, abs=0.01)
    assert result.details["standard_error"] == pytest.approx(6359.75, abs=0.01)


def test_meyer_viscusi_durbin_kentucky_injury_duration():
    claims = pd.read_csv(FIXTURES / "injury_kentucky.csv")
    result = did_2x2(claims, outcome="ldurat", group="highearn", post="afchnge", errors="classical")
    # Wooldridge, Example 13.4 (Meyer, Viscusi and Durbin 1995), Kentucky: afchnge·highearn
    # .191 (.069), n = 5,626.
    assert result.effect == pytest.approx(0.191, abs=0.0005)
    assert result.details["standard_error"] == pytest.approx(0.069, abs=0.0005)
    assert sum(result.details["rows"].values()) == 5626


def test_seat_belt_law_structural_time_series():
    casualties = pd.read_csv(FIXTURES / "seatbelts.csv")
    casualties["log_petrol_price"] = np.log(casualties["PetrolPrice"])
    result = interrupted_time_series(
        casualties,
        time="month",
        outcome="drivers",
        start="1983-02",
        seasonal=12,
        log=True,
        structural=True,
        covariates=["log_petrol_price"],
    )
    law = result.details["coefficients"]["level_change"]
    petrol = result.details["coefficients"]["log_petrol_price"]
    # Durbin and Koopman (2012), section 8.2: the seat belt law -0.23773 (root mean square
    # error 0.04632), log real petrol price -0.29140 (0.09832). Our maximum-likelihood
    # variances differ slightly from theirs (a different optimiser), moving the coefficients
    # in the fourth decimal.
    assert law["estimate"] == pytest.approx(-0.23773, abs=0.002)
    assert law["standard_error"] == pytest.approx(0.04632, abs=0.001)
    assert petrol["estimate"] == pytest.approx(-0.29140, abs=0.003)
    assert petrol["standard_error"] == pytest.approx(0.09832, abs=0.002)
    # Harvey and Durbin (1986): a fall of about 23% in car drivers killed or seriously injured.
    assert result.details["relative_change"] == pytest.approx(np.exp(-0.23773) - 1, abs=0.01)
    assert result.p_value < 0.001
    assert result.msms_level == 2


@pytest.fixture(scope="module")
def proposition_99():
    smoking = pd.read_csv(FIXTURES / "prop99.csv")
    return synthetic_control(
        smoking,
        unit="state",
        time="year",
        outcome="cigsale",
        treated="California",
        start=1989,
        covariates=["lnincome", "beer", "age15to24", "retprice"],
        outcome_periods=[1975, 1980, 1988],
    )


def test_proposition_99_donor_weights(proposition_99):
    # Abadie, Diamond and Hainmueller (2010), Table 2: the synthetic California is Utah .334,
    # Nevada .234, Montana .199, Colorado .164 and Connecticut .069, every other state 0.
    published = {
        "Utah": 0.334,
        "Nevada": 0.234,
        "Montana": 0.199,
        "Colorado": 0.164,
        "Connecticut": 0.069,
    }
    weights = proposition_99.weights
    for state, weight in published.items():
        assert weights[state] == pytest.approx(weight, abs=0.01), state
    assert sum(w for state, w in weights.items() if state not in published) < 0.005
    assert sum(weights.values()) == pytest.approx(1.0)


def test_proposition_99_effect_and_placebo_p_value(proposition_99):
    gap_2000 = proposition_99.series[-1]["observed"] - proposition_99.series[-1]["counterfactual"]
    # ADH (2010), abstract and Figure 2: "by the year 2000 annual per-capita cigarette sales in
    # California were about 26 packs lower".
    assert gap_2000 == pytest.approx(-26, abs=1.5)
    # ADH (2010), section 3.4 and Figure 8: California's post/pre RMSPE ratio is the highest of
    # the 39 states, so the probability of one as large by chance is 1/39 = 0.026.
    assert proposition_99.p_value == pytest.approx(1 / 39)
    assert proposition_99.pre_rmspe < 2.0
    assert all(check.passed for check in proposition_99.checks)
