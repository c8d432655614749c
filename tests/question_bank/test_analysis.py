"""Item statistics against values computed by hand on a small synthetic data set."""

import pytest

from question_bank.analysis import Response, analyse

# Five candidates, three items of one point each. Choices for item I1 (key B).
DATA = {
    #        I1 (choice)   I2  I3   total
    "c1": ((1, "B"), 1, 1),  # 3
    "c2": ((1, "B"), 1, 0),  # 2
    "c3": ((1, "B"), 0, 1),  # 2
    "c4": ((0, "A"), 1, 0),  # 1
    "c5": ((0, "C"), 0, 0),  # 0
}


def responses():
    for cand, ((s1, ch1), s2, s3) in DATA.items():
        yield Response(cand, "I1", s1, 1, (ch1,))
        yield Response(cand, "I2", s2, 1)
        yield Response(cand, "I3", s3, 1)


def test_item_statistics_match_hand_computation():
    items, exam = analyse(responses())
    i1, i2, i3 = items["I1"], items["I2"], items["I3"]
    # Facility: share of the maximum scored.
    assert (i1.facility, i2.facility, i3.facility) == (pytest.approx(0.6), pytest.approx(0.6), pytest.approx(0.4))
    # Groups: round(5 × 0.27) = 1 candidate each; upper = c1 (3), lower = c5 (0).
    assert i1.discrimination == pytest.approx(1.0)
    assert i3.discrimination == pytest.approx(1.0)
    # Corrected point-biserial: item score against the rest score (total minus the item).
    # I2: scores (1,1,0,1,0), rest (2,1,2,0,0); means 0.6, 1.0;
    #     Sxy = 0.4·1 + 0.4·0 − 0.6·1 + 0.4·(−1) − 0.6·(−1) = 0  →  r = 0.
    # I3: scores (1,0,1,0,0), rest (2,2,1,1,0); means 0.4, 1.2;
    #     Sxy = 0.6·0.8 − 0.4·0.8 + 0.6·(−0.2) − 0.4·(−0.2) − 0.4·(−1.2) = 0.6,
    #     Sxx = 2·0.36 + 3·0.16 = 1.2, Syy = 0.64 + 0.64 + 0.04 + 0.04 + 1.44 = 2.8
    #     →  r = 0.6 / √3.36 = 0.32733
    assert i2.point_biserial == pytest.approx(0.0, abs=1e-12)
    assert i3.point_biserial == pytest.approx(0.32733, abs=1e-5)
    assert i1.option_counts == {"A": 1, "B": 3, "C": 1}
    # Exam: totals 3, 2, 2, 1, 0 → mean 1.6, population variance (1.96+0.16+0.16+0.36+2.56)/5 = 1.04.
    assert exam.candidates == 5 and exam.items == 3
    assert exam.mean == pytest.approx(1.6) and exam.sd == pytest.approx(1.04 ** 0.5)
    # Cronbach's alpha (KR-20 here): item variances 0.24 + 0.24 + 0.24 = 0.72 → 3/2 × (1 − 0.72/1.04).
    assert exam.alpha == pytest.approx(1.5 * (1 - 0.72 / 1.04))


def test_flags():
    rows = []
    for i in range(10):  # ability grows with i: anchors make the totals rise with it
        cand = f"c{i:02d}"
        for n, threshold in enumerate((2, 4, 6, 8)):
            rows.append(Response(cand, f"anchor{n}", 1 if i >= threshold else 0, 1))
        rows.append(Response(cand, "easy", 1, 1))                  # everyone right
        rows.append(Response(cand, "hard", 1 if i == 9 else 0, 1))  # only the strongest
        rows.append(Response(cand, "skill", 1 if i >= 5 else 0, 1))
        rows.append(Response(cand, "odd", 1 if i < 3 else 0, 1))    # only the weakest
    items, _ = analyse(rows)
    assert "too_easy" in items["easy"].flags
    assert "too_hard" in items["hard"].flags
    assert items["skill"].flags == ()
    assert "negative_discrimination" in items["odd"].flags


def test_partial_scores_and_no_data():
    items, exam = analyse([Response("a", "m", 1, 2), Response("b", "m", 2, 2)])
    assert items["m"].facility == pytest.approx(0.75)
    assert analyse([]) == ({}, None)
