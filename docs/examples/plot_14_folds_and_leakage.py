"""
Folds, source recordings and leakage
====================================

Several clips of ESC-50 are cut from one source recording (``src_file``). If takes of one
recording end up on both sides of a split, a network can recognise the *recording* instead
of the *class*, and the test accuracy is too optimistic. We count how often a naive random
split leaks, and check that the library's splits never do.
"""

# %%
# The metadata
# ------------
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from machinehearing.datasets.esc50 import CLASSES, course_split, fold_split, load_metadata
from machinehearing.datasets.synthetic import make_esc50_like

root = make_esc50_like(Path(tempfile.mkdtemp()) / "ESC-50", n_classes=10, clips_per_class=40,
                       sr=8000, duration=1.0, progress=False)
clips = load_metadata(root)
takes = Counter(clip.src_file for clip in clips)
print(f"{len(clips)} clips from {len(takes)} source recordings; "
      f"takes per recording: {dict(sorted(Counter(takes.values()).items()))}")

# %%
# Clips per class and fold
# ------------------------
# Like ESC-50, every class has the same number of clips in every fold.
targets = sorted({clip.target for clip in clips})
counts = np.zeros((len(targets), 5), dtype=int)
for clip in clips:
    counts[targets.index(clip.target), clip.fold - 1] += 1
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
image = ax.imshow(counts, cmap="Blues", vmin=0)
ax.set_xticks(range(5), [f"fold {k}" for k in range(1, 6)])
ax.set_yticks(range(len(targets)), [CLASSES[t] for t in targets])
for (i, j), value in np.ndenumerate(counts):
    ax.text(j, i, value, ha="center", va="center")
fig.colorbar(image, ax=ax, label="clips")


# %%
# Counting leaks
# --------------
# A split leaks when one ``src_file`` has clips on two of its sides.
def leaked_recordings(split) -> int:
    side_of = {}
    for side, indices in zip(("train", "val", "test"), split, strict=True):
        for i in indices:
            side_of.setdefault(clips[i].src_file, set()).add(side)
    return sum(len(sides) > 1 for sides in side_of.values())


rng = np.random.default_rng(0)
order = rng.permutation(len(clips))
n_train, n_val = int(0.75 * len(clips)), int(0.20 * len(clips))
random_split = (order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:])

splits = {
    "random 75/20/5": random_split,
    "course_split": course_split(clips, fractions=(0.75, 0.20, 0.05), seed=0),
    "fold_split (test fold 1, val fold 2)": fold_split(clips, test_fold=1, val_fold=2),
}
for name, split in splits.items():
    sizes = "/".join(str(len(part)) for part in split)
    print(f"{name:38s} sizes {sizes:12s} leaking recordings: {leaked_recordings(split)}")

# %%
# The random split puts takes of the same recording in training and test for many
# recordings; :func:`~machinehearing.datasets.esc50.course_split` (stratified by class,
# grouped by ``src_file``) and :func:`~machinehearing.datasets.esc50.fold_split` (the
# official folds) never do.
