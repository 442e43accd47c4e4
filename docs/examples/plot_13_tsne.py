"""
t-SNE of the learned embeddings
===============================

The last layer of the ResNet-18 is a linear classifier on a 512-dimensional embedding (the
global average of the last feature maps). A t-SNE map of those embeddings shows how the
network arranges the clips: classes it separates form tight clusters, classes it confuses
overlap.
"""

# %%
# Train a small model
# -------------------
import tempfile
from pathlib import Path

import torch

from machinehearing.datasets.cache import ESC50Dataset, make_loader
from machinehearing.datasets.esc50 import CLASSES, LabelMap
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.models import resnet18
from machinehearing.plots.results import embeddings_tsne
from machinehearing.train import TrainConfig, predict, train

torch.set_num_threads(2)
work = Path(tempfile.mkdtemp())
root = make_esc50_like(work / "ESC-50", n_classes=10, clips_per_class=8, sr=16000,
                       progress=False)
config = TrainConfig.preset("demo", data_root=str(root), features=["logmel"],
                            epochs=4, batch_size=8, cache_dir=str(work / "cache"),
                            device="cpu")
train(config, work / "run", progress=False)

# %%
# Embeddings of every clip
# ------------------------
# The run keeps its best model in ``checkpoints/best.pt`` (a dictionary holding the
# weights, the optimiser state, the configuration and the label map).
# :func:`~machinehearing.train.predict` returns the logits and the penultimate-layer
# embeddings of every clip of a loader, in order.
checkpoint = torch.load(work / "run" / "checkpoints" / "best.pt", weights_only=False)
label_map = LabelMap.from_json(checkpoint["label_map"])
model = resnet18(in_channels=1, num_classes=len(label_map.names))
model.load_state_dict(checkpoint["model"])
dataset = ESC50Dataset(root, config.features, size=config.size, seconds=config.seconds,
                       cache_dir=config.cache_dir, progress=False)
logits, embeddings = predict(model, make_loader(dataset, batch_size=32), device="cpu")
print("embeddings", embeddings.shape, "logits", logits.shape)

# %%
# The map
# -------
# Each point is a clip, coloured by its true class; the training and test clips are mixed.
# t-SNE preserves neighbourhoods, not distances: the size of a cluster and the gaps
# between clusters mean little.
ax = embeddings_tsne(embeddings, dataset.labels, names=label_map.names, perplexity=15)
ax.set_title(f"t-SNE of the 512-d embeddings ({len(dataset)} clips, "
             f"{len(set(dataset.labels))} of the {len(CLASSES)} classes)")
