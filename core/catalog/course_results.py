"""The course's published results, as data: each table with the report and table it comes from.

Every number here is the course's, copied from its report (shared/course-reports, Vietnamese) as printed; the
"course vs here" panels (demo/ui/course_panel.py) show them beside what the same metric measures here for the
models that run here (their committed checkpoints' metrics.json). tests/test_course_panels.py re-checks each
table's own arithmetic where the report gives one (a gap, accuracy per parameter) and pins the facts the reports
state wrongly (report 003's split total) or ambiguously (report 000's ResNet-50 parameter count).

A row's `here` names the catalogue entry that is the same model here (same architecture; data and budget may
differ, which each table's `differs` says in one sentence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.runtime.messages import Bilingual, number_text

# Column kinds: how a value is printed and how the same metric is read from a checkpoint's metrics.json.
PERCENT, FRACTION, PARAMS, LOSS, SCORE, LR = "percent", "fraction", "params", "loss", "score", "lr"


@dataclass(frozen=True)
class Column:
    key: str  # test_acc, val_acc, f1, params, acc_per_m, loss, lr, or a caption metric's name (BLEU-4, ...)
    label: Bilingual
    kind: str
    decimals: int | None = None  # as the report prints it; None: 2 for percentages, 4 for fractions and losses


@dataclass(frozen=True)
class CourseRow:
    name: str  # as the report names the model
    values: tuple[float | str | None, ...]  # one per column, as printed (None: the report gives none)
    here: str | None = None  # the catalogue entry that is this model here


@dataclass(frozen=True)
class CourseTable:
    key: str
    title: Bilingual
    source: Bilingual  # report and table
    columns: tuple[Column, ...]
    rows: tuple[CourseRow, ...]
    differs: Bilingual  # one sentence: what differs between the course's runs and the ones here
    notes: tuple[Bilingual, ...] = field(default_factory=tuple)
    here_rows: bool = True  # False: the tab measures "here" itself (the CLIP tab's k curve), not a checkpoint

    def __post_init__(self):
        for row in self.rows:  # a value left out would shift every later column of the panel
            if len(row.values) != len(self.columns):
                raise ValueError(f"{self.key}, {row.name}: {len(row.values)} values for {len(self.columns)} columns")


def _rows(*lines: tuple) -> tuple[CourseRow, ...]:
    """A table's rows, one per line: (name as the report names it, its values as printed, the catalogue entry that is
    the same model here); the entry is left out where no model here is that one."""
    return tuple(CourseRow(*line) for line in lines)


TEST_ACC = Column("test_acc", Bilingual("test accuracy", "độ chính xác (test)"), PERCENT)
VAL_ACC = Column("val_acc", Bilingual("val accuracy", "độ chính xác (val)"), PERCENT)
F1_PCT = Column("f1", Bilingual("F1-macro", "F1-macro"), PERCENT)
F1_FRAC = Column("f1", Bilingual("F1-macro", "F1-macro"), FRACTION, 3)  # report 000 prints three decimals
PARAMS_COL = Column("params", Bilingual("parameters", "số tham số"), PARAMS)
ACC_PER_M = Column("acc_per_m", Bilingual("accuracy %/M params", "độ chính xác %/triệu tham số"), SCORE, 1)
ACC_FRAC = Column("test_acc", Bilingual("accuracy", "độ chính xác"), FRACTION)
LOSS_COL = Column("loss", Bilingual("loss", "hàm mất mát"), LOSS)
LR_COL = Column("lr", Bilingual("learning rate", "tốc độ học"), LR)

# ---- report 000, Task 1: ResNet-50 vs ViT-B/16 on CIFAR-100 ------------------------------------------------------

# Report 000 prints "25.6M" for ResNet-50: the count of torchvision's 1000-class ImageNet model. With the course's
# own head (Dropout + FC 2048->100) it has 23,712,932. Both counted with torchvision's module
# (tests/test_course_panels.py counts them again).
RESNET50_PARAMS_IMAGENET = 25_557_032
RESNET50_PARAMS_CIFAR100 = 23_712_932

TASK1 = CourseTable(
    key="task1",
    title=Bilingual("Task 1: ResNet-50 vs ViT-B/16 on CIFAR-100", "Bài toán 1: ResNet-50 và ViT-B/16 trên CIFAR-100"),
    source=Bilingual(
        'Report 000, "Task 1 – Results" table (test accuracy, F1-macro) and "Task 1 – Setup" table (parameters)',
        'Báo cáo 000, bảng "Bài toán 1 – Kết quả" (độ chính xác test, F1-macro) và bảng "Bài toán 1 – Cài đặt '
        'thực nghiệm" (số tham số)',
    ),
    columns=(TEST_ACC, F1_FRAC, PARAMS_COL),
    rows=_rows(
        ("ResNet-50 (CNN)", (44.11, 0.434, "25.6M"), "resnet50"),
        ("ViT-B/16 (Transformer)", (89.60, 0.896, "86M"), "vit_b16"),
    ),
    differs=Bilingual(
        "Here the pair runs only where the CIFAR-100 fine-tuned checkpoints are downloaded or trained by "
        "the instructor (5 epochs, as in the course); ViT-B/16 was pre-trained on 14M "
        "ImageNet-21k images, ResNet-50 on 1.2M (the report itself flags this 11x data advantage).",
        "Ở đây cặp này chỉ chạy khi giảng viên đã tải hoặc huấn luyện các checkpoint tinh chỉnh trên CIFAR-100 "
        "(5 epoch như môn học); ViT-B/16 được huấn luyện trước trên 14 triệu ảnh ImageNet-21k, ResNet-50 "
        "trên 1,2 triệu (chính báo cáo đã lưu ý lợi thế dữ liệu 11 lần này).",
    ),
    notes=(
        Bilingual(
            f"The report's 25.6M for ResNet-50 is the 1000-class ImageNet model ({RESNET50_PARAMS_IMAGENET:,} "
            f"parameters); with the course's 100-class head it has {RESNET50_PARAMS_CIFAR100:,} (counted with "
            "torchvision's resnet50).",
            "Con số 25.6M của báo cáo cho ResNet-50 (25,6 triệu) là mô hình ImageNet 1000 lớp "
            f"({number_text(RESNET50_PARAMS_IMAGENET).vi} tham số); với đầu phân loại 100 lớp của môn học nó có "
            f"{number_text(RESNET50_PARAMS_CIFAR100).vi} (đếm bằng resnet50 của torchvision).",
        ),
    ),
)

# ---- report 000, Task 2: GRU vs DistilBERT on 20 Newsgroups ------------------------------------------------------

TASK2 = CourseTable(
    key="task2",
    title=Bilingual("Task 2: GRU vs DistilBERT on 20 Newsgroups", "Bài toán 2: GRU và DistilBERT trên 20 Newsgroups"),
    source=Bilingual(
        'Report 000, "Task 2 – Results" table (test accuracy, F1-macro) and "Task 2 – Setup" table (parameters)',
        'Báo cáo 000, bảng "Bài toán 2 – Kết quả" (độ chính xác test, F1-macro) và bảng "Bài toán 2 – Cài đặt '
        'thực nghiệm" (số tham số)',
    ),
    columns=(TEST_ACC, F1_FRAC, PARAMS_COL),
    rows=_rows(
        ("GRU (RNN)", (37.85, 0.361, "~4M"), "gru"),
        ("DistilBERT (Transformer)", (69.04, 0.668, "66M"), "distilbert"),
        ("GRU, WordNet glosses (this app only)", (None, None, None), "gru_wordnet"),
        ("MiniLM, WordNet glosses (this app only)", (None, None, None), "minilm_wordnet"),
    ),
    differs=Bilingual(
        "20 Newsgroups and DistilBERT cannot be downloaded offline, so the text models that run here learned "
        "another task: 20 WordNet supersense classes from dictionary glosses (12,000 training texts, CPU); their "
        "numbers are not comparable with the course's; only the direction of the gap between a recurrent and a "
        "pre-trained model can be compared.",
        "20 Newsgroups và DistilBERT không tải được khi không có mạng, nên các mô hình văn bản chạy ở đây học một "
        "bài khác: 20 lớp siêu nghĩa (supersense) của WordNet từ các định nghĩa (12.000 văn bản huấn luyện, CPU); "
        "số của chúng không so được với số của môn học; chỉ chiều của khoảng cách giữa mô hình hồi tiếp và mô "
        "hình huấn luyện trước là so được.",
    ),
)

# ---- report 002: twelve from-scratch architectures on CIFAR-100, thirteen rows --------------------------------

# Test accuracy, F1-macro, parameters and accuracy per parameter from section 7.1 "Bảng xếp hạng toàn bộ"; the
# validation accuracy from each part's own table (Phần 1+2, 3, 4, 5), which the summary leaves out.
REPORT002 = CourseTable(
    key="report002",
    title=Bilingual(
        "Report 002: twelve from-scratch models on CIFAR-100 (thirteen rows)",
        "Báo cáo 002: mười hai mô hình huấn luyện từ đầu trên CIFAR-100 (mười ba dòng)",
    ),
    source=Bilingual(
        "Report 002, section 7.1 (overall ranking: test accuracy, F1-macro, parameters, accuracy per parameter); "
        "validation accuracy from the tables of parts 1+2, 3, 4 and 5",
        "Báo cáo 002, mục 7.1 (Bảng xếp hạng toàn bộ: độ chính xác test, F1-macro, số tham số, Acc/Param); độ "
        "chính xác val từ bảng của Phần 1+2, 3, 4 và 5",
    ),
    columns=(TEST_ACC, VAL_ACC, F1_PCT, PARAMS_COL, ACC_PER_M),
    rows=_rows(
        ("CNN+Transformer Hybrid", (37.25, 38.90, 35.87, "446.1K", 83.5), "cnn_transformer"),
        ("GRU-row", (36.57, 36.44, 35.68, "1.8M", 20.3), "gru_row"),
        ("SimpleCNN", (35.88, 36.38, 34.48, "346.6K", 103.5), "simple_cnn"),
        ("GRU-patch4", (35.64, 35.76, 34.99, "1.7M", 21.0), "gru_patch4"),
        ("CustomViT", (34.56, 35.80, 33.11, "819.4K", 42.2), "custom_vit"),
        ("SimpleViT (PyTorch, part 3)", (31.92, 33.00, 30.39, "821.0K", 38.9), "simple_vit"),
        ("LSTM-row", (29.36, 29.62, 28.34, "2.4M", 12.2), "lstm_row"),
        ("LSTM-patch4", (27.73, 27.78, 26.41, "2.3M", 12.1), "lstm_patch4"),
        ("SimpleViT (part 1)", (24.47, 25.54, 22.35, "821.0K", 29.8), "simple_vit"),
        ("MLP", (20.63, 20.68, 18.31, "1.7M", 12.1), "mlp"),
        ("ChannelToken ViT", (17.56, 18.18, 15.29, "549.5K", 32.0), "channel_token_vit"),
        ("SpatialToken ViT", (13.10, 13.12, 9.86, "172.4K", 76.0), "spatial_token_vit"),
        ("SoftmaxRegression", (7.94, 8.34, 6.09, "307.3K", 25.8), "softmax"),
    ),
    differs=Bilingual(
        "The course trained on CIFAR-100 for 30 to 100 epochs each; the committed checkpoints here learned "
        "Fashion-MNIST (10 classes, 4,000 training images, 3 epochs on a CPU), so the numbers differ by data and "
        "budget and the ranking differs too: here the hybrid is not first.",
        "Môn học huấn luyện trên CIFAR-100, mỗi mô hình 30 đến 100 epoch; các checkpoint ở đây học Fashion-MNIST "
        "(10 lớp, 4.000 ảnh huấn luyện, 3 epoch trên CPU), nên số khác nhau vì dữ liệu và ngân sách, và thứ hạng "
        "cũng khác: ở đây mô hình lai không đứng đầu.",
    ),
    notes=(
        Bilingual(
            "The summary table lists SimpleViT twice (part 1 and part 3, the same 821.0K-parameter model trained "
            "twice); both rows point at the one SimpleViT here.",
            "Bảng tổng hợp có SimpleViT hai lần (Phần 1 và Phần 3, cùng một mô hình 821.0K tham số huấn luyện hai "
            "lần); cả hai dòng ứng với cùng một SimpleViT ở đây.",
        ),
    ),
)

# Report 002, section 3.2 "Hyperparameters": the four models whose recipe it prints (learning rate, batch, epochs).
REPORT002_LR = CourseTable(
    key="report002_lr",
    title=Bilingual(
        "Report 002's learning rates vs the committed runs here",
        "Tốc độ học của báo cáo 002 và của các lượt huấn luyện ở đây",
    ),
    source=Bilingual(
        'Report 002, section 3.2 "Hyperparameters" (the four models it lists)',
        'Báo cáo 002, mục 3.2 "Hyperparameters" (bốn mô hình được liệt kê)',
    ),
    columns=(
        LR_COL,
        Column("batch", Bilingual("batch", "batch"), SCORE, 0),
        Column("epochs", Bilingual("epochs", "epoch"), SCORE, 0),
    ),
    rows=_rows(
        ("SoftmaxRegression", (0.1, 256, 30), "softmax"),
        ("MLP", (1e-3, 128, 50), "mlp"),
        ("SimpleCNN", (1e-3, 128, 50), "simple_cnn"),
        ("SimpleViT", (3e-4, 128, 100), "simple_vit"),
    ),
    differs=Bilingual(
        "Each rate here is the one its committed run recorded (its metrics file), not a recipe copied from "
        "elsewhere: the training script's recipes hold the course's rates, and a run started with another rate "
        "records that one; the rows above show where the two differ.",
        "Mỗi tốc độ học ở đây là tốc độ mà lượt huấn luyện của checkpoint đã ghi lại (tệp số đo của nó), không "
        "chép từ nơi khác: công thức của script huấn luyện giữ tốc độ của môn học, và một lượt chạy với tốc độ "
        "khác ghi lại tốc độ đó; các dòng ở trên cho thấy chỗ hai bên khác nhau.",
    ),
)

# ---- report 003: Vietnamese food VQA, four variants -----------------------------------------------------------

REPORT003 = CourseTable(
    key="report003",
    title=Bilingual("Report 003: VQA on Vietnamese food, four variants", "Báo cáo 003: VQA món ăn Việt, bốn biến thể"),
    source=Bilingual('Report 003, "Kết quả" table (loss, accuracy)', 'Báo cáo 003, bảng "Kết quả" (loss, accuracy)'),
    columns=(ACC_FRAC, LOSS_COL),
    rows=_rows(
        ("MobileNet_v2 + LSTM Attention", (0.8317, 0.4503), "vqa_easy_vqa_mobilenet_att"),
        ("MobileNet_v2 + LSTM no Attention", (0.8288, 0.4682), "vqa_easy_vqa_mobilenet_noatt"),
        ("CNN + LSTM Attention", (0.8032, 0.5589), "vqa_easy_vqa_cnn_att"),
        ("CNN + LSTM no Attention", (0.7703, 0.6600), "vqa_easy_vqa_cnn_noatt"),
    ),
    differs=Bilingual(
        "The course's Vietnamese food set is not public, so the same four variants here learned easy-VQA "
        "(one coloured shape per image, English questions, 12,000 training questions, 3 epochs on a CPU), so "
        "the numbers are not comparable and the order differs too (here the small CNN with attention is first); "
        "the report does not say which split its loss and accuracy are on.",
        "Bộ dữ liệu món ăn Việt của môn học không công khai, nên bốn biến thể ở đây học easy-VQA (mỗi ảnh một "
        "hình khối một màu, câu hỏi tiếng Anh, 12.000 câu hỏi huấn luyện, 3 epoch trên CPU), nên số không so "
        "được và thứ tự cũng khác (ở đây CNN nhỏ có cơ chế chú ý đứng đầu); báo cáo không nói loss và "
        "accuracy đo trên tập nào.",
    ),
)

# Report 003, "Dataset": 65,331 samples stated, Train 41,613 + Validation 4,839 + Test 10,879 = 57,331.
# The numbers and their note live in core.vqa.answers (course_food_split_note), which the VQA tab shows.

# ---- report 004: captioning on KTVIC ---------------------------------------------------------------------------

CAPTION_METRICS = ("BLEU-4", "ROUGE-L", "CIDEr", "METEOR", "SPICE")
REPORT004 = CourseTable(
    key="report004",
    title=Bilingual("Report 004: Vietnamese captions on KTVIC", "Báo cáo 004: sinh mô tả ảnh tiếng Việt trên KTVIC"),
    source=Bilingual('Report 004, "Kết quả" table (CNN+LSTM vs ViCLIPCap)', 'Báo cáo 004, bảng "Kết quả"'),
    columns=tuple(Column(m, Bilingual(m, m), FRACTION) for m in CAPTION_METRICS),
    rows=_rows(
        ("CNN+LSTM", (0.2572, 0.4895, 0.6282, 0.2995, 0.0782), "caption_cnn_lstm"),
        ("ViCLIPCap", (0.3431, 0.5204, 0.8127, 0.3194, 0.0829)),
        ("ClipCap, MLP mapping (this app)", (None,) * 5, "caption_clipcap_mlp"),
        ("ClipCap, Transformer mapping (this app)", (None,) * 5, "caption_clipcap_transformer"),
    ),
    differs=Bilingual(
        "KTVIC, CLIP and the Vietnamese GPT-2 cannot be downloaded offline, so no captioner is trained here until "
        "the instructor trains one on KTVIC; the report does not say whether ViCLIPCap's mapping "
        "is the MLP or the Transformer, nor how its captions were tokenised for the metrics.",
        "KTVIC, CLIP và GPT-2 tiếng Việt không tải được khi không có mạng, nên ở đây chưa có mô hình sinh mô tả "
        "nào cho đến khi giảng viên huấn luyện một mô hình; báo cáo không nói mạng ánh xạ của ViCLIPCap là MLP "
        "hay Transformer, cũng không nói câu được tách từ thế nào khi tính điểm.",
    ),
)

# ---- report 000, Task 3: CLIP zero-shot vs k-shot on Flickr30k (10 keyword classes) ----------------------------

CLIP_COURSE_CLASSES = ("people", "dog", "water", "sports", "outdoor", "horse", "bicycle", "food", "nature", "indoor")
CLIP_COURSE_PROMPT = "a photo of a {}"
CLIP_COURSE_CURVE = {0: 54.60, 1: 32.80, 5: 61.20, 10: 76.40, 20: 93.00}  # k -> accuracy %
CLIP_COURSE_F1 = {0: 0.517, 1: 0.338, 5: 0.622, 10: 0.766, 20: 0.932}
CLIP_TASK3 = CourseTable(
    key="clip",
    title=Bilingual(
        "Task 3: CLIP zero-shot vs k-shot on Flickr30k (10 classes)",
        "Bài toán 3: CLIP zero-shot và k-shot trên Flickr30k (10 lớp)",
    ),
    source=Bilingual(
        'Report 000, "Task 3 – Zero-shot vs Few-shot results" table (accuracy, F1-macro)',
        'Báo cáo 000, bảng "Bài toán 3 – Kết quả Zero-shot vs. Few-shot" (accuracy, F1-macro)',
    ),
    columns=(TEST_ACC, F1_FRAC),
    rows=_rows(
        *(("zero-shot" if k == 0 else f"{k}-shot", (acc, CLIP_COURSE_F1[k])) for k, acc in CLIP_COURSE_CURVE.items())
    ),
    differs=Bilingual(
        "The course used 1,000 Flickr30k test images labelled by keywords it did not publish and one draw of the k "
        "support images; Flickr30k cannot be downloaded offline, so here the curve is measured on the support set "
        "loaded in this tab (held-out images), a different and much smaller set.",
        "Môn học dùng 1.000 ảnh test của Flickr30k gán nhãn bằng từ khoá (không công bố quy tắc) và một lần rút k "
        "ảnh mẫu; Flickr30k không tải được khi không có mạng, nên ở đây đường cong được đo trên bộ ảnh mẫu đang "
        "nạp trong tab này (các ảnh để riêng), một bộ khác và nhỏ hơn nhiều.",
    ),
    here_rows=False,
)

TABLES = {t.key: t for t in (TASK1, TASK2, REPORT002, REPORT003, REPORT004, CLIP_TASK3)}
