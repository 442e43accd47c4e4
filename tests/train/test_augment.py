"""Augmentation: SpecAugment masks, mixup convex combinations, circular time shifts."""

from __future__ import annotations

import pytest
import torch

from machinehearing.errors import ParameterError
from machinehearing.train.augment import Augment, mixup, random_time_shift, spec_augment


def _runs(mask_1d: torch.Tensor) -> list[int]:
    """Lengths of the runs of True in a 1-D bool tensor."""
    runs, n = [], 0
    for v in mask_1d.tolist() + [False]:
        if v:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return runs


@pytest.mark.parametrize(("freq_mask", "n_masks"), [(0, 2), (1, 1), (5, 1), (8, 3), (32, 1)])
def test_frequency_masks_are_whole_rows_within_bounds(freq_mask, n_masks):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(16, 3, 32, 40) + 1.0  # no natural zeros
    out = spec_augment(x, freq_mask=freq_mask, time_mask=0, n_masks=n_masks, generator=g)
    zero = out == 0
    for i in range(x.shape[0]):
        rows = zero[i, 0].all(dim=1)
        # every zero pixel belongs to a fully masked row, identical in all channels
        assert torch.equal(zero[i], rows.view(1, -1, 1).expand_as(zero[i]))
        assert int(rows.sum()) <= n_masks * freq_mask
        if n_masks == 1:
            assert all(r <= freq_mask for r in _runs(rows))
        torch.testing.assert_close(out[i][~zero[i]], x[i][~zero[i]])


@pytest.mark.parametrize(("time_mask", "n_masks"), [(1, 1), (6, 1), (10, 2)])
def test_time_masks_are_whole_columns_within_bounds(time_mask, n_masks):
    g = torch.Generator().manual_seed(2)
    x = torch.rand(16, 2, 32, 48) + 1.0
    out = spec_augment(x, freq_mask=0, time_mask=time_mask, n_masks=n_masks, generator=g)
    zero = out == 0
    for i in range(x.shape[0]):
        cols = zero[i, 0].all(dim=0)
        assert torch.equal(zero[i], cols.view(1, 1, -1).expand_as(zero[i]))
        assert int(cols.sum()) <= n_masks * time_mask
        if n_masks == 1:
            assert all(r <= time_mask for r in _runs(cols))


def test_mask_widths_cover_the_whole_range():
    g = torch.Generator().manual_seed(0)
    out = spec_augment(torch.ones(400, 1, 32, 32), freq_mask=4, time_mask=0, n_masks=1, generator=g)
    widths = (out[:, 0] == 0).all(dim=2).sum(dim=1)
    assert set(widths.tolist()) == {0, 1, 2, 3, 4}
    starts = [int(torch.nonzero(w)[0]) for w in (out[:, 0] == 0).all(dim=2) if w.any()]
    assert min(starts) == 0 and max(starts) >= 28  # masks reach both edges


def test_spec_augment_is_reproducible_and_leaves_input_untouched():
    x = torch.rand(4, 1, 32, 32)
    before = x.clone()
    a = spec_augment(x, freq_mask=8, time_mask=8, generator=torch.Generator().manual_seed(5))
    b = spec_augment(x, freq_mask=8, time_mask=8, generator=torch.Generator().manual_seed(5))
    c = spec_augment(x, freq_mask=8, time_mask=8, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(x, before)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"freq_mask": 33}, "freq_mask"),
        ({"time_mask": -1}, "time_mask"),
        ({"n_masks": 1.5}, "n_masks"),
    ],
)
def test_spec_augment_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        spec_augment(torch.zeros(1, 1, 32, 32), **kwargs)


def test_augmentations_require_4d_images():
    with pytest.raises(ParameterError, match="batch, channels, height, width"):
        random_time_shift(torch.zeros(32, 32), max_shift=1)


@pytest.mark.parametrize("alpha", [0.1, 0.4, 1.0, 5.0])
def test_mixup_is_a_convex_combination_with_matching_soft_labels(alpha):
    g = torch.Generator().manual_seed(0)
    batch = 8
    x = torch.randn(batch, 2, 32, 32)
    y = torch.arange(batch)  # distinct labels: the soft target reveals the pair and lam
    xm, ys = mixup(x, y, alpha=alpha, num_classes=batch, generator=g)
    assert ys.shape == (batch, batch)
    torch.testing.assert_close(ys.sum(dim=1), torch.ones(batch))
    assert bool((ys >= 0).all())
    lams = set()
    for i in range(batch):
        lam = float(ys[i, i])
        others = [j for j in range(batch) if j != i and ys[i, j] > 0]
        j = others[0] if others else i
        assert 0.0 <= lam <= 1.0
        expected = lam * x[i] + (1 - lam) * x[j] if others else x[i]
        torch.testing.assert_close(xm[i], expected, rtol=1e-5, atol=1e-5)
        if others:
            lams.add(round(lam, 6))
    assert len(lams) <= 1  # one lam per batch


@pytest.mark.parametrize("alpha", [0.2, 0.5, 2.0])
def test_mixup_lambda_follows_beta_distribution(alpha):
    stats = pytest.importorskip("scipy.stats")
    g = torch.Generator().manual_seed(0)
    lams = []
    while len(lams) < 300:
        _, ys = mixup(
            torch.zeros(2, 1, 32, 32), torch.tensor([0, 1]), alpha=alpha, num_classes=2, generator=g
        )
        if ys[0, 1] > 0:  # the pair (0, 1) was mixed: ys[0, 0] is lam
            lams.append(float(ys[0, 0]))
    assert stats.kstest(lams, stats.beta(alpha, alpha).cdf).pvalue > 0.01


def test_mixup_accepts_soft_labels_and_checks_shapes():
    g = torch.Generator().manual_seed(0)
    soft = torch.full((4, 3), 1 / 3)
    _, ys = mixup(torch.zeros(4, 1, 32, 32), soft, alpha=1.0, num_classes=3, generator=g)
    torch.testing.assert_close(ys, soft)
    with pytest.raises(ParameterError, match="alpha"):
        mixup(torch.zeros(4, 1, 32, 32), torch.zeros(4, dtype=torch.long), alpha=0, num_classes=3)
    with pytest.raises(ParameterError, match="labels"):
        mixup(torch.zeros(4, 1, 32, 32), torch.zeros(3, dtype=torch.long), alpha=1, num_classes=3)


@pytest.mark.parametrize("max_shift", [0, 1, 5, 40])
def test_time_shift_is_a_circular_roll_within_bounds(max_shift):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 2, 4, 40)
    out = random_time_shift(x, max_shift=max_shift, generator=g)
    seen = set()
    for i in range(x.shape[0]):
        shifts = [
            s
            for s in range(-max_shift, max_shift + 1)
            if torch.equal(out[i], torch.roll(x[i], s, dims=-1))
        ]
        assert shifts, f"item {i} is not a roll by at most {max_shift}"
        seen.add(shifts[0])
    if max_shift in (1, 5):
        assert seen == set(range(-max_shift, max_shift + 1))


def test_augment_chain_reproducible_and_inactive_is_identity():
    x, y = torch.randn(6, 1, 32, 32), torch.tensor([0, 1, 2, 0, 1, 2])
    assert not Augment(num_classes=3).active
    same_x, same_y = Augment(num_classes=3)(x, y)
    assert torch.equal(same_x, x) and torch.equal(same_y, y)

    def run(seed):
        aug = Augment(
            num_classes=3,
            freq_mask=4,
            time_mask=4,
            mixup_alpha=0.3,
            time_shift=0.2,
            generator=torch.Generator().manual_seed(seed),
        )
        return aug(x, y)

    (a, ya), (b, yb) = run(3), run(3)
    assert torch.equal(a, b) and torch.equal(ya, yb)
    assert ya.shape == (6, 3)


def test_augment_rejects_bad_fractions():
    with pytest.raises(ParameterError, match="time_shift"):
        Augment(num_classes=3, time_shift=1.5)
