"""Decoding for both captioners: greedy, beam search, nucleus sampling; repetition penalty, max length.

The model side is a "stepper" (clipcap.GPTStepper, baseline.LSTMStepper) with three methods:
  start() -> (B, V) logits after the image prefix;  advance(tokens (B,)) -> (B, V) logits after one more token;
  reorder(index (B',)) -> keep/duplicate rows (beam search, several samples from one image).
So one implementation of each strategy serves ClipCap (with or without GPT-2's KV cache) and the LSTM.
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


def penalize_repeats(logits: torch.Tensor, sequences: list[list[int]], penalty: float) -> torch.Tensor:
    """Make tokens already generated less likely: positive logits divided by `penalty`, negative multiplied."""
    if penalty == 1.0 or not any(sequences):
        return logits
    logits = logits.clone()
    for row, seq in enumerate(sequences):
        if seq:
            idx = torch.tensor(sorted(set(seq)), device=logits.device)
            picked = logits[row, idx]
            logits[row, idx] = torch.where(picked > 0, picked / penalty, picked * penalty)
    return logits


def _no_empty(logits: torch.Tensor, step: int, eos_id: int | None) -> torch.Tensor:
    if step == 0 and eos_id is not None:  # a caption has at least one token
        logits = logits.clone()
        logits[:, eos_id] = float("-inf")
    return logits


def greedy(stepper, eos_id: int | None, options: DecodeOptions) -> list[list[int]]:
    seq: list[int] = []
    logits = stepper.start()  # (1, V)
    for step in range(options.max_length):
        logits = _no_empty(penalize_repeats(logits, [seq], options.repetition_penalty), step, eos_id)
        token = int(logits[0].argmax())
        if token == eos_id:
            break
        seq.append(token)
        if step + 1 < options.max_length:
            logits = stepper.advance(torch.tensor([token]))
    return [seq]


def nucleus_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of tokens whose probabilities sum to at least top_p (always the most likely one)."""
    if top_p >= 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(-1)
    drop = probs.cumsum(-1) - probs >= top_p  # mass before this token already reaches top_p
    sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


def sample(stepper, eos_id: int | None, options: DecodeOptions) -> list[list[int]]:
    n = options.num_captions
    generator = torch.Generator().manual_seed(options.seed)
    logits = stepper.start()
    stepper.reorder(torch.zeros(n, dtype=torch.long))
    logits = logits.expand(n, -1)
    seqs: list[list[int]] = [[] for _ in range(n)]
    done = [False] * n
    for step in range(options.max_length):
        logits = _no_empty(penalize_repeats(logits, seqs, options.repetition_penalty), step, eos_id)
        probs = nucleus_filter(logits / options.temperature, options.top_p).softmax(-1)
        tokens = torch.multinomial(probs.cpu(), 1, generator=generator)[:, 0]
        for i, tok in enumerate(tokens.tolist()):
            if done[i]:
                continue
            if tok == eos_id:
                done[i] = True
            else:
                seqs[i].append(tok)
        if all(done) or step + 1 == options.max_length:
            break
        logits = stepper.advance(tokens.to(logits.device))
    return seqs


def beam_search(stepper, eos_id: int | None, options: DecodeOptions) -> list[list[int]]:
    """Width-W beam search; returns the best `num_captions` distinct finished hypotheses, best first."""
    width = max(options.beam_width, options.num_captions)
    logits = stepper.start()  # (1, V)
    scores = torch.zeros(1)
    seqs: list[list[int]] = [[]]
    finished: list[tuple[float, list[int]]] = []
    for step in range(options.max_length):
        logits = _no_empty(penalize_repeats(logits, seqs, options.repetition_penalty), step, eos_id)
        total = scores[:, None] + logits.log_softmax(-1).cpu()  # (b, V)
        vocab = total.shape[1]
        top_scores, top_idx = total.view(-1).topk(min(2 * width, total.numel()))
        rows, keep, new_scores = [], [], []
        for score, flat in zip(top_scores.tolist(), top_idx.tolist()):
            row, tok = divmod(flat, vocab)
            if tok == eos_id:
                finished.append((score / max(len(seqs[row]), 1) ** options.length_penalty, seqs[row]))
            else:
                rows.append(row)
                keep.append(seqs[row] + [tok])
                new_scores.append(score)
            if len(keep) == width:
                break
        last = step + 1 == options.max_length
        if not keep or len(finished) >= width or last:
            finished += [(s / len(q) ** options.length_penalty, q) for s, q in zip(new_scores, keep) if last]
            break
        stepper.reorder(torch.tensor(rows))
        logits = stepper.advance(torch.tensor([q[-1] for q in keep]))
        scores, seqs = torch.tensor(new_scores), keep
    if not finished:  # every hypothesis was cut by early stop without EOS (cannot happen with eos_id None)
        finished = [(s / max(len(q), 1) ** options.length_penalty, q) for s, q in zip(scores.tolist(), seqs)]
    out: list[list[int]] = []
    for _, seq in sorted(finished, key=lambda item: -item[0]):
        if seq not in out:
            out.append(seq)
    return out[: options.num_captions]


def decode(stepper, eos_id: int | None, options: DecodeOptions) -> list[list[int]]:
    """Token id sequences (without EOS) for one image: 1 for greedy, `num_captions` for beam and sampling."""
    options = options.checked()
    if options.method == "greedy":
        return greedy(stepper, eos_id, options)
    if options.method == "sample":
        return sample(stepper, eos_id, options)
    return beam_search(stepper, eos_id, options)
