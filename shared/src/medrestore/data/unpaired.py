"""Unpaired two-domain datasets (CycleGAN training)."""

from __future__ import annotations

from collections.abc import Sequence

from monai.data.utils import set_rnd
from monai.transforms import Randomizable
from torch.utils.data import Dataset

__all__ = ["UnpairedDataset", "select_domain"]


def select_domain(items: Sequence[dict], key: str, value: str) -> list[dict]:
    """The datalist items whose ``key`` equals ``value`` (e.g. ``contrast == "T2"``); raises naming
    the key and the values present when none match."""
    chosen = [dict(item) for item in items if str(item.get(key)) == str(value)]
    if not chosen:
        present = sorted({str(item.get(key)) for item in items})
        raise ValueError(
            f"no training item has {key} = {value!r} (the datalist's values: {present}); "
            f"unpaired training needs items of both domains, each with a '{key}' field."
        )
    return chosen


class UnpairedDataset(Randomizable, Dataset):
    """Every item of domain A with an independently drawn item of domain B.

    ``self[i]`` returns domain A's item ``i`` with domain B's ``image`` (and any keys in
    ``target_keys``) renamed to ``target``: B is drawn uniformly at random at each call, so no pairing
    is fixed, and a B item from the same subject or slice as the A item (equal ``group_key`` values,
    when both carry it) is never drawn: a source image never meets its own counterpart.

    Args:
        source: domain A dataset (items with ``image``).
        target: domain B dataset (items with ``image``).
        group_key: item key naming the subject/slice an image was made from (None: no check).
        max_draws: draws before giving up on finding a B item of another group.
    """

    def __init__(self, source: Dataset, target: Dataset, group_key: str | None = "group", max_draws: int = 100) -> None:
        self.source, self.target = source, target
        self.group_key, self.max_draws = group_key, max_draws
        if len(target) == 0:
            raise ValueError("domain B holds no images.")

    def set_random_state(self, seed: int | None = None, state=None) -> UnpairedDataset:
        super().set_random_state(seed, state)
        if seed is not None:  # the domains' random transforms get their own streams
            set_rnd(self.source, seed + 1)
            set_rnd(self.target, seed + 2)
        return self

    def __len__(self) -> int:
        return len(self.source)

    def _group(self, item) -> str | None:
        item = item[0] if isinstance(item, list) else item  # a list of random crops
        return None if self.group_key is None else item.get(self.group_key)

    def __getitem__(self, index: int):
        a = self.source[index]
        group = self._group(a)
        for _ in range(self.max_draws):
            b = self.target[int(self.R.randint(len(self.target)))]
            if group is None or self._group(b) != group:
                break
        else:
            raise ValueError(f"every domain-B image shares {self.group_key} = {group!r} with domain-A item {index}.")
        if isinstance(a, list):  # several random crops per image: pair them one to one
            return [self._merge(x, y) for x, y in zip(a, b if isinstance(b, list) else [b] * len(a))]
        return self._merge(a, b[0] if isinstance(b, list) else b)

    def _merge(self, a: dict, b: dict) -> dict:
        out = dict(a)
        out["target"] = b["image"]
        if self.group_key is not None and self.group_key in b:
            out["target_" + self.group_key] = b[self.group_key]
        return out
