"""What a VQA chat request may carry, checked before any model or file is touched (no torch import).

The chat history comes back from the client on every turn and is sent back to it, so it is bounded and reduced to
plain text: at most MAX_HISTORY_MESSAGES messages are kept (the newest), MAX_HISTORY_CHARS characters in all, and
a message may only be a user or assistant text. A history entry holding a file or a component is refused: Gradio
would copy a file named there into its cache and serve it back.
"""

from __future__ import annotations

from core.catalog import VQA_DATASETS as DATASETS
from core.catalog import VQA_VARIANTS as VARIANT_NAMES
from core.runtime.inputs import InputError, choice, text
from core.runtime.messages import number_text
from core.vqa.text import MAX_QUESTION_CHARS

MAX_HISTORY_MESSAGES = 100  # 50 questions and answers; older ones leave the chat as new ones arrive
MAX_HISTORY_CHARS = 100_000
MAX_QUESTION_INPUT_CHARS = 20_000
ROLES = ("user", "assistant")


def checked_fields(question: object, variant: object, dataset: object) -> tuple[str, str, str]:
    """(question stripped and cut to MAX_QUESTION_CHARS, variant, dataset) or InputError.

    The variant and dataset name a checkpoint folder and a model cache entry: known values only. A long question is
    cut (the model reads 40 tokens); one over MAX_QUESTION_INPUT_CHARS is not a question and is refused."""
    variant = choice(variant, VARIANT_NAMES, ("The VQA variant", "Biến thể VQA"))
    dataset = choice(dataset, DATASETS, ("The VQA dataset", "Bộ dữ liệu VQA"))
    question = text(question, ("The question", "Câu hỏi"), MAX_QUESTION_INPUT_CHARS).strip()[:MAX_QUESTION_CHARS]
    return question.strip(), variant, dataset


def checked_history(history: object, *, room: int = 2) -> list[dict[str, str]]:
    """The newest messages of a chat as [{"role", "content": str}], leaving `room` for the turn being added."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise _bad_history()
    keep = MAX_HISTORY_MESSAGES - room
    messages, total = [], 0
    for message in list(history[len(history) - keep :] if len(history) > keep else history):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise _bad_history()
        content = _text_of(message.get("content"))
        total += len(content)
        if total > MAX_HISTORY_CHARS:
            raise InputError(
                f"The chat history is over {MAX_HISTORY_CHARS:,} characters. Press Clear to start a new chat.",
                f"Lịch sử trò chuyện dài quá {number_text(MAX_HISTORY_CHARS).vi} ký tự. Hãy bấm Xoá để bắt đầu "
                "cuộc trò chuyện mới.",
            )
        messages.append({"role": message["role"], "content": content})
    return messages


def _text_of(content: object) -> str:
    """A message's text: a string, or Gradio's normalised list of {"type": "text", "text": ...} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
    ):
        return "\n".join(p["text"] for p in content)
    raise _bad_history()


def _bad_history() -> InputError:
    return InputError(
        "The chat history must be a list of user and assistant text messages. Press Clear to start a new chat.",
        "Lịch sử trò chuyện phải là danh sách tin nhắn văn bản của người dùng và trợ lý. Hãy bấm Xoá để bắt đầu lại.",
    )
