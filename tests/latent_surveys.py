"""Synthetic surveys whose answers follow one latent capacity per institution, for the scoring tests."""

import numpy as np
import pandas as pd

from nhri_capacity.survey.codebook import load_codebook

CB = load_codebook()


def latent_survey(n, seed, *, countries, level=(0.1, 0.9), skip=0.1, noise=0.25, max_respondents=1):
    """One row per respondent: every scored item near the institution's latent level (plus noise).

    Each institution draws a level in *level*, then 1 to *max_respondents*
    respondents, each skipping an item with probability *skip*; countries
    cycle through *countries*. The same arguments give the same frame.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        latent = rng.uniform(*level)
        # Drawn only when it can vary, so that single-respondent surveys keep their random stream.
        n_resp = rng.integers(1, max_respondents + 1) if max_respondents > 1 else 1
        for _ in range(n_resp):
            answers = {}
            for it in CB.scored_items():
                if rng.random() < skip:
                    continue
                hi = it.goalposts[1] if it.goalposts else it.max
                x = np.clip(latent + rng.normal(scale=noise), 0, 1)
                answers[it.name] = round(it.min + x * (hi - it.min))
            rows.append({"inst_id": f"I{i:02d}", "country": countries[i % len(countries)], **answers})
    return pd.DataFrame(rows)
