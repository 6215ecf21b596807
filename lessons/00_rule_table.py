# %% [markdown]
# # 00 The rule table: back-prop, DeconvNet and guided backprop differ only at the ReLU
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, the slide with the table "Layer | Forward pass |
# DeconvNet [Zeiler & Fergus, 2013] | Back-prop w.r.t. input" (section "02 Gradients: General
# overview"), and the "Guided Backpropagation" section of seed 004_2a6fa647e63a0a0a.txt.
# Runs in a few seconds.
#
# In minixai a backward rule is a table {layer type: function}; the table printed here is
# generated from those functions (each cell is the first line of the function's docstring), so
# it is the code itself. Figures go to $MINIXAI_FIGURES/00_rule_table (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d
from minixai.models import pretrained
from minixai.nn import ReLU
from minixai.rules import deconvnet, gradient, guided
from minixai.rules.table import REGENERATE, readme_table, rows_that_differ, rule_table

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "00_rule_table"
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The slide's table, generated from the rules
# One row per layer type, one column per rule minixai registers (DeepLIFT and LRP appear as
# soon as their rule files are exported from `minixai.rules`).

# %%
print(rule_table(markdown=False))
try:
    in_sync = readme_table() == rule_table()
    print(f"\nREADME's copy of the table is {'up to date' if in_sync else f'stale: run {REGENERATE}'}")
except (OSError, ValueError):
    print("\n(no README with the rule-table markers next to this checkout)")

# %% [markdown]
# ## The slide's point: only the nonlinear rows differ
# Convolution (and every other linear layer) and max-pooling go back the same way in DeconvNet
# and back-prop: transposed filters, forward switches. Only the ReLU row differs; guided
# backprop is the ReLU row of both at once. Checked on the functions the rules bind, by identity.

# %%
for rule in (deconvnet, guided):
    differ = rows_that_differ(gradient, rule)
    assert differ == ["ReLU"], differ
    print(f"{rule.name} vs back-prop: rows that differ: {differ}; the other rows are the very same functions")

# %% [markdown]
# ## Where the signals part ways on the shipped MNIST-1D model
# Send one-hot(predicted class) down the network under each rule and keep the signal at every
# layer's output. Above the last ReLU all three are identical; they part at the first ReLU the
# signal crosses, and the difference then grows towards the input.

# %%
model = pretrained("mnist1d_cnn")
x, _ = mnist1d("test")
x = x[:64] if FAST else x[:500]
trace = model.trace(x)
seed = np.eye(trace.output.shape[1], dtype=x.dtype)[trace.output.argmax(1)]
names = trace.names
signals = {rule.name: trace.backward(seed, rule=rule, keep=names) for rule in (gradient, deconvnet, guided)}


def relative_difference(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


below = ["input"] + names[:-1]  # the signal at layer i's input is the kept signal of layer i - 1
differences = {}
for rule_name in ("deconvnet", "guided"):
    at_inputs = [signals[rule_name].input] + [signals[rule_name].layers[n] for n in names[:-1]]
    reference = [signals["gradient"].input] + [signals["gradient"].layers[n] for n in names[:-1]]
    differences[rule_name] = [relative_difference(a, b) for a, b in zip(at_inputs, reference)]
top_relu = max(i for i, n in enumerate(names) if isinstance(model.layers[n], ReLU))
for rule_name, diff in differences.items():
    assert all(d == 0 for d in diff[top_relu + 1:]), diff  # identical above the top ReLU
    assert diff[top_relu] > 0
    print(f"{rule_name}: identical to back-prop down to {names[top_relu]!r}'s output; relative difference "
          f"{diff[top_relu]:.2f} just below it, {diff[0]:.2f} at the network's input")

fig, ax = plt.subplots(figsize=(8, 3.5))
positions = np.arange(len(names))
for offset, (rule_name, diff) in zip((-0.2, 0.2), differences.items()):
    ax.bar(positions + offset, diff, width=0.4, label=rule_name)
ax.set_xticks(positions, [f"in({n})" for n in names], rotation=45, ha="right")
ax.set_ylabel("||r_rule - r_grad|| / ||r_grad||")
ax.set_title("Signal at each layer's input: departure from back-prop (mnist1d_cnn)")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "departure_from_backprop.png", dpi=100)
print(f"figures written to {OUT}")
