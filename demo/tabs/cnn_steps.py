"""What the CNN tab's sections share: an example picked from a list, and a step slider that walks through a result.

Each section (convolution, RGB, pooling, RNN) works the same way. Picking an example fills the inputs and computes;
computing resets the step slider to the first step; moving the slider writes out that one step, in the visitor's
language. While the inputs cannot compute (a row half typed), the step view stays empty: the section's Compute
button is what says why.
"""

from __future__ import annotations

import gradio as gr

from core.image.conv_arithmetic import MAX_GRID
from core.runtime.inputs import number
from demo.ui.components import checked_choices

MOST_CELLS = MAX_GRID * MAX_GRID  # a grid's output has at most this many cells, so as many steps


def chosen_example(key, examples: dict):
    """The example `key` names; an InputError (in the visitor's language) for a key that is not one of them."""
    (key,) = checked_choices((key, tuple(examples), ("Example", "Ví dụ")))
    return examples[key]


def slider_reset(count: int, *, first: int = 0) -> dict:
    """The step slider set to its first step, for a result of `count` steps numbered from `first`. A Gradio slider
    needs minimum < maximum, so a single step still gets a slider from `first` to `first + 1`."""
    return gr.update(minimum=first, maximum=max(first + count - 1, first + 1), value=first, step=1)


def step_at(steps: list, index, *, first: int = 0, most: int = MOST_CELLS, what=("Step", "Bước")):
    """The step the slider's value `index` points at (steps numbered from `first`); past the end, the last step.
    A value that is not a whole number in [first, most] raises InputError, a ValueError."""
    index = number(index, what, first, most, integer=True)
    return steps[min(index - first, len(steps) - 1)]
