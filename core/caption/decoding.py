"""Decoding options for both captioners, and one call into transformers' `generate()` that serves them both.

`generate()` does the search (greedy, beam search, the loop, stopping at end-of-text), the repetition penalty,
the minimum length and GPT-2's KV cache; what is here maps the tab's controls onto its arguments. ClipCap hands
GPT-2 its prefix of soft tokens as `inputs_embeds`; the CNN+LSTM baseline goes through a small GenerationMixin
wrapper (core.caption.baseline). Sampling draws with a private torch.Generator (see SeededDraw). Measurements
against the hand-written decoder this replaced: docs/DECODING.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

METHODS = ("greedy", "beam", "sample")
MAX_LENGTH_LIMIT = 60
MAX_CAPTIONS = 5


@dataclass(frozen=True)
class DecodeOptions:
    method: str = "beam"
    beam_width: int = 3
    top_p: float = 0.9
    temperature: float = 1.0
    num_captions: int = 1
    repetition_penalty: float = 1.0  # 1 = off; CTRL's penalty on tokens already in the caption
    max_length: int = 30  # tokens (BPE pieces for GPT-2, words for the LSTM)
    length_penalty: float = 1.0  # beam scores are log-prob / length**length_penalty
    seed: int = 0  # sampling is reproducible for the same inputs

    @classmethod
    def from_fields(cls, method, beam_width, top_p, temperature, num_captions, repetition_penalty, max_length):
        """Options from what a visitor sent (the API may send NaN, 1e400, "abc", a list): each field checked with
        core.runtime.inputs, so a bad one raises InputError (a ValueError) naming it and its range in both languages."""
        from core.runtime.inputs import choice, number

        return cls(
            method=choice(method, METHODS, ("The decoding method", "Cách giải mã")),
            beam_width=number(beam_width, ("Beam width", "Độ rộng chùm"), 1, 10, integer=True),
            top_p=number(top_p, ("top-p", "top-p"), 0.01, 1.0),
            temperature=number(temperature, ("Temperature", "Nhiệt độ"), 0.05, 5.0),
            num_captions=number(num_captions, ("Captions per model", "Số chú thích"), 1, MAX_CAPTIONS, integer=True),
            repetition_penalty=number(repetition_penalty, ("Repetition penalty", "Phạt lặp từ"), 1.0, 3.0),
            max_length=number(max_length, ("Max length", "Độ dài tối đa"), 1, MAX_LENGTH_LIMIT, integer=True),
        ).checked()

    def checked(self) -> DecodeOptions:
        """Raise ValueError with the allowed range for anything a user can get wrong."""
        if self.method not in METHODS:
            raise ValueError(f"decoding method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if not 1 <= self.beam_width <= 10:
            raise ValueError("beam width must be between 1 and 10")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError("top-p must be in (0, 1]")
        if not 0.05 <= self.temperature <= 5.0:
            raise ValueError("temperature must be between 0.05 and 5")
        if not 1 <= self.num_captions <= MAX_CAPTIONS:
            raise ValueError(f"number of captions must be between 1 and {MAX_CAPTIONS}")
        if not 1.0 <= self.repetition_penalty <= 3.0:
            raise ValueError("repetition penalty must be between 1 and 3")
        if not 1 <= self.max_length <= MAX_LENGTH_LIMIT:
            raise ValueError(f"max length must be between 1 and {MAX_LENGTH_LIMIT} tokens")
        return self


def generation_settings(options: DecodeOptions, eos_id: int | None) -> dict:
    """The keyword arguments of `generate()` for one image's captions under these options.

    The repetition penalty, temperature and top-p are transformers' own logits processors, passed in
    `logits_processor` (generate() runs them after its built-in ones: the minimum length, here): given as
    `repetition_penalty=`, generate() would warn on every caption that a prompt of embeddings has no ids to
    penalise, which is what we want (the penalty counts the caption's tokens only, as it always did here).
    eos_id None: no end-of-text, every caption is exactly max_length tokens (the model's own EOS is masked at
    every step by min_new_tokens; eos_token_id=None would mean "the model's default" to generate())."""
    from transformers import (
        LogitsProcessorList,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopPLogitsWarper,
    )

    options = options.checked()
    processors = LogitsProcessorList()
    if options.repetition_penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(float(options.repetition_penalty)))
    settings = dict(
        max_new_tokens=options.max_length,
        min_new_tokens=options.max_length if eos_id is None else 1,  # a caption has at least one token
        do_sample=False,  # so generate() adds no warper of its own (no default top-k 50); SeededDraw samples
        num_beams=1,
        num_return_sequences=1,
        # generate() fills every argument left unset from the model's generation_config (a Hub GPT-2 may ship one
        # with a penalty or an n-gram ban); the tab's controls alone decide these
        repetition_penalty=1.0,
        no_repeat_ngram_size=0,
        logits_processor=processors,
    )
    if eos_id is not None:
        settings.update(eos_token_id=eos_id, pad_token_id=eos_id)
    width = max(options.beam_width, options.num_captions)
    if options.method == "beam" and width > 1:  # width 1 is greedy search (generate() warns about beam flags)
        settings.update(
            num_beams=width,
            num_return_sequences=options.num_captions,
            length_penalty=float(options.length_penalty),  # scores: sum log-prob / length**length_penalty
            early_stopping=True,  # stop once `width` hypotheses ended, as the hand-written search did
        )
    if options.method == "sample":  # the caller repeats the image num_captions times: one row per caption
        processors.append(TemperatureLogitsWarper(options.temperature))
        if options.top_p < 1.0:
            processors.append(TopPLogitsWarper(options.top_p))
        processors.append(SeededDraw(options.seed))
    return settings


class SeededDraw:
    """The last logits processor of a sampled caption: draws the next token from the (penalised, tempered,
    top-p-filtered) distribution with its own torch.Generator and leaves only that token, so generate()'s greedy
    step picks it. generate(do_sample=True) draws from torch's global RNG and takes no generator: the same seed
    would then give a different caption whenever another request draws random numbers in between."""

    def __init__(self, seed: int):
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        probs = scores.float().softmax(-1).cpu()
        token = torch.multinomial(probs, 1, generator=self.generator).to(scores.device)
        return torch.full_like(scores, float("-inf")).scatter(-1, token, 0.0)


@torch.inference_mode()
def generate(model, eos_id: int | None, options: DecodeOptions, **inputs: torch.Tensor) -> list[list[int]]:
    """Token id sequences (without EOS, without the prompt) for one image: 1 for greedy, `num_captions` for beam
    and sampling. `model` is a transformers GenerationMixin; `inputs` are its generate() inputs for one image
    (batch 1): inputs_embeds for ClipCap's prefix, input_ids and the image features for the LSTM."""
    options = options.checked()
    if options.method == "sample":  # n independent rows, each drawn by SeededDraw
        inputs = {k: v.repeat_interleave(options.num_captions, 0) for k, v in inputs.items()}
    out = model.generate(**inputs, **generation_settings(options, eos_id))
    prompt = inputs["input_ids"].shape[1] if "input_ids" in inputs else 0  # inputs_embeds: new tokens only
    seqs: list[list[int]] = []
    for row in out[:, prompt:].tolist():
        seq = row[: row.index(eos_id)] if eos_id in row else row
        if options.method != "beam" or seq not in seqs:  # beams are distinct; samples may repeat
            seqs.append(seq)
    return seqs
