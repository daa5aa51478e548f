"""Text classification (course Task 2): a bidirectional GRU vs a pre-trained Transformer, same WordPiece tokens.

Two data sets: 20 Newsgroups (the course's; a download) and WordNet 3.0 noun definitions by lexicographer file
(offline, Debian's wordnet-base; see core/text/wordnet.py).

Nothing here imports torch or transformers at package import: the app imports the labels at build time.
"""

from __future__ import annotations

from core.catalog.labels import NEWSGROUPS, WORDNET_CLASSES  # noqa: F401  (the label sets live in the catalogue)
from core.runtime.messages import Bilingual

DATASET_NAME = "20 Newsgroups"

WORDNET_NAME = "WordNet 3.0 nouns"

# The WordNet classes in Vietnamese, for the Vietnamese page (the label keys stay WordNet's English lexnames).
WORDNET_CLASSES_VI: dict[str, str] = {
    "noun.act": "hành động",
    "noun.animal": "động vật",
    "noun.artifact": "đồ vật do người làm",
    "noun.attribute": "thuộc tính",
    "noun.body": "bộ phận cơ thể",
    "noun.cognition": "nhận thức",
    "noun.communication": "giao tiếp",
    "noun.event": "sự kiện",
    "noun.food": "thức ăn",
    "noun.group": "nhóm",
    "noun.location": "địa điểm",
    "noun.object": "vật thể tự nhiên",
    "noun.person": "con người",
    "noun.plant": "thực vật",
    "noun.possession": "tài sản, sở hữu",
    "noun.process": "quá trình",
    "noun.quantity": "số lượng",
    "noun.state": "trạng thái",
    "noun.substance": "chất",
    "noun.time": "thời gian",
}


def label_vi(label: str) -> str:
    """A class label in Vietnamese where one is known (WordNet's classes), else the label itself (newsgroup names)."""
    return WORDNET_CLASSES_VI.get(label, label)


# The note a WordNet model's result carries when its text is unlike the training texts (core/text/ood.py).
UNLIKE_TRAINING = Bilingual(
    "This text is unlike the texts this model was trained on: it only knows one-line WordNet noun definitions, yet "
    "it must still pick one of its classes, and its confidence is not correctness.",
    "Văn bản này không giống các văn bản mô hình đã học: nó chỉ biết các định nghĩa danh từ một dòng của WordNet, "
    "nhưng vẫn buộc phải chọn một lớp, và độ tin cậy không có nghĩa là đúng.",
)
