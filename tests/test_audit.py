"""Audit: Cronbach's alpha against pingouin, item-rest correlations, PCA, tables."""

import numpy as np
import pandas as pd
import pytest
from latent_surveys import latent_survey

from nhri_capacity.scoring.audit import (
    AUDIT_TABLES,
    audit_scores,
    cronbach_alpha,
    format_audit,
    item_rest_correlations,
    write_audit,
)
from nhri_capacity.survey.codebook import DIMENSIONS, load_codebook

pg = pytest.importorskip("pingouin")

CB = load_codebook()


def test_alpha_matches_pingouin_on_its_bundled_likert_dataset():
    long = pg.read_dataset("cronbach_alpha")  # shipped inside pingouin: no network
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    alpha, (lo, hi) = cronbach_alpha(wide)
    ref_alpha, ref_ci = pg.cronbach_alpha(data=wide)
    assert alpha == pytest.approx(ref_alpha, abs=5e-4)
    assert (round(lo, 3), round(hi, 3)) == tuple(ref_ci)
    # The values printed in pingouin's documentation.
    assert round(alpha, 4) == 0.5917
    assert (round(lo, 3), round(hi, 3)) == (0.195, 0.840)


@pytest.mark.parametrize(
    ("policy", "documented"),
    [("pairwise", (0.7327, 0.435, 0.909)), ("listwise", (0.8017, 0.581, 0.933))],
)
def test_alpha_matches_pingouin_with_missing_values(policy, documented):
    data = pg.read_dataset("cronbach_wide_missing")
    alpha, (lo, hi) = cronbach_alpha(data, nan_policy=policy)
    ref_alpha, ref_ci = pg.cronbach_alpha(data=data, nan_policy=policy)
    assert round(alpha, 3) == round(ref_alpha, 3)
    assert (round(lo, 3), round(hi, 3)) == tuple(ref_ci)
    assert (round(alpha, 4), round(lo, 3), round(hi, 3)) == documented


def test_alpha_matches_pingouin_on_a_random_frame_with_gaps():
    rng = np.random.default_rng(7)
    latent = rng.normal(size=60)
    data = pd.DataFrame({f"q{j}": latent + rng.normal(scale=1.2, size=60) for j in range(6)})
    data = data.mask(rng.random(data.shape) < 0.15)
    for policy in ("pairwise", "listwise"):
        for ci in (0.95, 0.9):
            alpha, (lo, hi) = cronbach_alpha(data, nan_policy=policy, ci=ci)
            ref_alpha, ref_ci = pg.cronbach_alpha(data=data, nan_policy=policy, ci=ci)
            assert round(alpha, 3) == round(ref_alpha, 3)
            assert (round(lo, 3), round(hi, 3)) == pytest.approx(tuple(ref_ci), abs=1e-3)
    # nullable Float64 columns (as the readers produce) give the same answer
    assert cronbach_alpha(data.astype("Float64"))[0] == pytest.approx(cronbach_alpha(data)[0])


def test_alpha_input_errors():
    with pytest.raises(ValueError, match="two items"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValueError, match="nan_policy"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2], "b": [2, 1]}), nan_policy="drop")


def test_item_rest_correlations_match_a_manual_computation():
    rng = np.random.default_rng(3)
    latent = rng.normal(size=40)
    data = pd.DataFrame({c: latent + rng.normal(size=40) for c in "abcd"})
    data.iloc[[1, 5, 9], 2] = np.nan
    got = item_rest_correlations(data).set_index("item")
    for col in data.columns:
        rest = data.drop(columns=col).mean(axis=1)
        expected = data[col].corr(rest)
        assert got.loc[col, "r_item_rest"] == pytest.approx(expected)
        ref_alpha, _ = pg.cronbach_alpha(data=data.drop(columns=col))
        assert got.loc[col, "alpha_if_deleted"] == pytest.approx(ref_alpha)
    assert got.loc["c", "n"] == 37


def _survey(n=40, seed=11):
    """Institutions whose answers all follow one latent capacity (plus noise), one respondent each."""
    return latent_survey(n, seed, countries=("KEN", "MEX"), level=(0.05, 0.95), skip=0.08, noise=0.2)


@pytest.fixture(scope="module")
def audit():
    return audit_scores(_survey(), regions={"MEX": "LAC", "KEN": "SSA"})


def test_audit_tables_and_columns(audit):
    assert tuple(audit) == AUDIT_TABLES
    assert list(audit["alpha"].columns) == ["dimension", "n_items", "n_institutions", "alpha", "ci_low", "ci_high"]
    assert audit["alpha"]["dimension"].tolist() == list(DIMENSIONS)
    assert audit["alpha"]["n_items"].tolist() == [len(CB.scored_items(d)) for d in DIMENSIONS]
    assert (audit["alpha"]["alpha"] > 0.7).all()  # one latent trait drives every item
    a = audit["alpha"]
    assert ((a["ci_low"] <= a["alpha"]) & (a["alpha"] <= a["ci_high"])).all()
    assert list(audit["item_rest"].columns) == ["dimension", "item", "n", "r_item_rest", "alpha_if_deleted"]
    assert len(audit["item_rest"]) == len(CB.scored_items())
    assert len(audit["dimension_correlations"]) == 15  # 6 variables, pairs
    assert set(audit["availability_items"]["item"]) == {it.name for it in CB.scored_items()}
    inst = audit["availability_institutions"]
    assert list(inst.columns) == ["inst_id", "iso3", "answered_overall", *[f"answered_{d}" for d in DIMENSIONS]]
    assert inst["answered_overall"].between(0, 1).all()


def test_alpha_table_matches_pingouin_on_the_normalised_items(audit):
    from nhri_capacity.scoring.scores import item_scores

    items = item_scores(_survey(), impute=False)
    cols = [it.name for it in CB.scored_items("law_reform")]
    block = items[cols].dropna(how="all")
    ref, _ = pg.cronbach_alpha(data=block)
    got = audit["alpha"].set_index("dimension").loc["law_reform", "alpha"]
    assert got == pytest.approx(ref)


def test_pca_explained_variance_sums_to_one(audit):
    pca = audit["pca"]
    assert set(pca["set"]) == {"dimensions", *DIMENSIONS}
    for _, g in pca.groupby("set"):
        assert g["explained_variance"].sum() == pytest.approx(1.0)
        assert g["eigenvalue"].sum() == pytest.approx(len(g))  # correlation matrix trace
        assert g["cumulative_variance"].iloc[-1] == pytest.approx(1.0)
    loads = audit["pca_loadings"].query("set == 'dimensions'")
    assert len(loads) == 5 and (loads["loading_pc1"] > 0).all()
    assert (loads["eigenvector_pc1"] ** 2).sum() == pytest.approx(1.0)


def test_pca_eigenvalues_match_numpy(audit):
    dims = audit_scores(_survey(), regions={}, spec={})  # same numbers, fresh run
    from nhri_capacity.scoring.scores import score_survey

    s = score_survey(_survey(), regions={})
    data = s[list(DIMENSIONS)].astype(float).dropna()
    expected = np.sort(np.linalg.eigvalsh(np.corrcoef(data.T.to_numpy())))[::-1]
    got = dims["pca"].query("set == 'dimensions'")["eigenvalue"].to_numpy()
    assert got == pytest.approx(expected)


def test_format_and_write(audit, tmp_path):
    text = format_audit(audit)
    assert "Cronbach's alpha" in text and "case_handling" in text and "PC1 explains" in text
    xlsx = write_audit(audit, tmp_path / "audit.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert list(sheets) == list(AUDIT_TABLES)
    folder = write_audit(audit, tmp_path / "audit_csv")
    assert sorted(p.stem for p in folder.glob("*.csv")) == sorted(AUDIT_TABLES)
    back = pd.read_csv(folder / "alpha.csv")
    assert back["alpha"].to_numpy() == pytest.approx(audit["alpha"]["alpha"].to_numpy())


def test_synthetic_banner():
    df = _survey(n=12)
    df.attrs["survey"] = {"synthetic": True}
    audit = audit_scores(df, regions={})
    assert audit["alpha"].attrs["synthetic"] is True
    assert "SYNTHETIC" in format_audit(audit).splitlines()[0]
