"""Label sets: CIFAR-100 fine labels with their superclasses, and ImageNet-1k.

CIFAR-100's label index order is the alphabetical order of the fine names (as in the dataset's `meta` file),
so these lists decode the logits of any model trained on torchvision's CIFAR100 without needing the download.
"""

from __future__ import annotations

from functools import lru_cache

# superclass -> its five fine classes, as published with the dataset.
CIFAR100_SUPERCLASSES: dict[str, tuple[str, ...]] = {
    "aquatic_mammals": ("beaver", "dolphin", "otter", "seal", "whale"),
    "fish": ("aquarium_fish", "flatfish", "ray", "shark", "trout"),
    "flowers": ("orchid", "poppy", "rose", "sunflower", "tulip"),
    "food_containers": ("bottle", "bowl", "can", "cup", "plate"),
    "fruit_and_vegetables": ("apple", "mushroom", "orange", "pear", "sweet_pepper"),
    "household_electrical_devices": ("clock", "keyboard", "lamp", "telephone", "television"),
    "household_furniture": ("bed", "chair", "couch", "table", "wardrobe"),
    "insects": ("bee", "beetle", "butterfly", "caterpillar", "cockroach"),
    "large_carnivores": ("bear", "leopard", "lion", "tiger", "wolf"),
    "large_man-made_outdoor_things": ("bridge", "castle", "house", "road", "skyscraper"),
    "large_natural_outdoor_scenes": ("cloud", "forest", "mountain", "plain", "sea"),
    "large_omnivores_and_herbivores": ("camel", "cattle", "chimpanzee", "elephant", "kangaroo"),
    "medium_mammals": ("fox", "porcupine", "possum", "raccoon", "skunk"),
    "non-insect_invertebrates": ("crab", "lobster", "snail", "spider", "worm"),
    "people": ("baby", "boy", "girl", "man", "woman"),
    "reptiles": ("crocodile", "dinosaur", "lizard", "snake", "turtle"),
    "small_mammals": ("hamster", "mouse", "rabbit", "shrew", "squirrel"),
    "trees": ("maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"),
    "vehicles_1": ("bicycle", "bus", "motorcycle", "pickup_truck", "train"),
    "vehicles_2": ("lawn_mower", "rocket", "streetcar", "tank", "tractor"),
}

CIFAR100_FINE: tuple[str, ...] = tuple(sorted(f for fines in CIFAR100_SUPERCLASSES.values() for f in fines))
CIFAR100_FINE_TO_COARSE: dict[str, str] = {
    fine: coarse for coarse, fines in CIFAR100_SUPERCLASSES.items() for fine in fines
}


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """ImageNet-1k class names as torchvision ships them (no download needed)."""
    from torchvision.models import ResNet50_Weights

    return tuple(ResNet50_Weights.IMAGENET1K_V2.meta["categories"])


# scikit-learn's `fetch_20newsgroups(...).target_names`: the label index order of every 20 Newsgroups checkpoint.
NEWSGROUPS: tuple[str, ...] = (
    "alt.atheism",
    "comp.graphics",
    "comp.os.ms-windows.misc",
    "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware",
    "comp.windows.x",
    "misc.forsale",
    "rec.autos",
    "rec.motorcycles",
    "rec.sport.baseball",
    "rec.sport.hockey",
    "sci.crypt",
    "sci.electronics",
    "sci.med",
    "sci.space",
    "soc.religion.christian",
    "talk.politics.guns",
    "talk.politics.mideast",
    "talk.politics.misc",
    "talk.religion.misc",
)

# The 20 largest of WordNet 3.0's 26 noun lexicographer files, in file-number order: the label index order of every
# WordNet checkpoint (core/text/wordnet.py says why these).
WORDNET_CLASSES: tuple[str, ...] = (
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.object",
    "noun.person",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.state",
    "noun.substance",
    "noun.time",
)


def label_set(name: str) -> tuple[str, ...]:
    """Resolve a named label set ("cifar100" or "imagenet1k")."""
    if name == "cifar100":
        return CIFAR100_FINE
    if name == "imagenet1k":
        return imagenet_labels()
    if name == "20newsgroups":
        return NEWSGROUPS
    if name == "wordnet_nouns":
        return WORDNET_CLASSES
    if name == "open_vocabulary":  # CLIP: the classes are whatever text the user types
        return ()
    valid = "cifar100, imagenet1k, 20newsgroups, wordnet_nouns, open_vocabulary"
    raise KeyError(f"unknown label set {name!r}; valid: {valid}")


def superclass_of(label: str) -> str | None:
    """CIFAR-100 superclass of a fine label, None for labels outside CIFAR-100."""
    return CIFAR100_FINE_TO_COARSE.get(label)


# Fashion-MNIST's ten classes in Vietnamese (the Vietnamese page shows these; the API keeps the English `label`).
FASHION_MNIST_VI: dict[str, str] = {
    "T-shirt/top": "Áo phông/áo thun",
    "Trouser": "Quần dài",
    "Pullover": "Áo len chui đầu",
    "Dress": "Váy liền",
    "Coat": "Áo khoác",
    "Sandal": "Dép xăng-đan",
    "Shirt": "Áo sơ mi",
    "Sneaker": "Giày thể thao",
    "Bag": "Túi xách",
    "Ankle boot": "Bốt cổ ngắn",
}


def label_vi(label: str) -> str | None:
    """The Vietnamese name of a class where the app has one (Fashion-MNIST), else None (shown in English)."""
    return FASHION_MNIST_VI.get(label)
