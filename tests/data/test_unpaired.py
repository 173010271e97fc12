"""The unpaired loader: domain B drawn independently of domain A, never from the same slice."""

from __future__ import annotations

import pytest
import torch

from medrestore.data import UnpairedDataset, select_domain


def _items(contrast: str, groups):
    return [{"image": torch.full((1, 4, 4), float(g)), "group": f"slice{g}", "contrast": contrast} for g in groups]


def test_never_pairs_an_image_with_its_own_counterpart():
    a, b = _items("T1", range(5)), _items("T2", range(5))
    dataset = UnpairedDataset(a, b).set_random_state(0)
    seen = set()
    for _ in range(40):
        for i in range(len(dataset)):
            item = dataset[i]
            assert item["target_group"] != item["group"]
            seen.add((item["group"], item["target_group"]))
    assert len(seen) == 5 * 4  # every other pairing happens: B is drawn, not fixed


def test_seeded_draws_repeat_and_differ_between_seeds():
    a, b = _items("T1", range(6)), _items("T2", range(6))
    draws = [[UnpairedDataset(a, b).set_random_state(s)[i]["target_group"] for i in range(6)] for s in (1, 1, 2)]
    assert draws[0] == draws[1] and draws[0] != draws[2]


def test_only_counterparts_available_is_an_error():
    with pytest.raises(ValueError, match="every domain-B image shares group = 'slice0'"):
        UnpairedDataset(_items("T1", [0]), _items("T2", [0]), max_draws=5).set_random_state(0)[0]


def test_select_domain_names_the_values_present():
    items = _items("T1", [0]) + _items("T2", [1])
    assert [i["group"] for i in select_domain(items, "contrast", "T2")] == ["slice1"]
    with pytest.raises(
        ValueError, match=r"no training item has contrast = 'PD' \(the datalist's values: \['T1', 'T2'\]\)"
    ):
        select_domain(items, "contrast", "PD")
