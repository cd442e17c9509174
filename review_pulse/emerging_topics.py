"""Emerging topics: what people write about that the theme dictionary may miss.

TF-IDF over the comments' words and word pairs, factorised with NMF (scikit-learn, BSD):
each topic is a weighted set of terms, and each comment belongs mostly to one topic.
Offline and deterministic (fixed random_state). A topic is shown only when at least
min_group_size comments belong to it, so its examples never come from a tiny group.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_COMMENTS = 20  # fewer than this: too little text for topics to mean anything
# Words every review comment uses: they would top every topic.
REVIEW_STOP_WORDS = (
    "meeting", "review", "reviews", "session", "week", "today", "time", "really", "just", "think", "like", "bit",
    "lot", "good", "great", "thanks", "thank", "would", "could", "maybe", "please", "also", "get", "got", "one",
    "incident", "incidents", "people", "team", "us", "we", "still", "much", "make", "way", "felt", "feel",
)


@dataclass(frozen=True)
class Topic:
    terms: tuple[str, ...]
    comments: int           # comments whose strongest topic this is
    untagged: int           # of those, how many match no theme of the dictionary
    examples: tuple[str, ...]


def find_topics(texts: list[str], tagged: list[bool], *, n_topics: int = 5, n_terms: int = 8,
                n_examples: int = 2, min_group_size: int = 5) -> list[Topic]:
    """Topics over ``texts`` (``tagged[i]``: comment i has a dictionary theme), largest first."""
    if len(texts) < max(MIN_COMMENTS, n_topics * min_group_size):
        return []
    import numpy as np
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    vectoriser = TfidfVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS.union(REVIEW_STOP_WORDS)), ngram_range=(1, 2), min_df=2, max_df=0.6,
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]+\b", sublinear_tf=True,
    )
    try:
        matrix = vectoriser.fit_transform(texts)
    except ValueError:  # every word is a stop word or too rare
        return []
    n_topics = min(n_topics, matrix.shape[1] - 1, matrix.shape[0] - 1)
    if n_topics < 2:
        return []
    model = NMF(n_components=n_topics, init="nndsvda", random_state=0, max_iter=500)
    weights = model.fit_transform(matrix)
    vocabulary = vectoriser.get_feature_names_out()
    strongest = weights.argmax(axis=1)
    has_weight = weights.max(axis=1) > 0
    topics = []
    for index, component in enumerate(model.components_):
        members = np.flatnonzero((strongest == index) & has_weight)
        if len(members) < min_group_size:
            continue
        terms = tuple(vocabulary[i] for i in component.argsort()[::-1][:n_terms] if component[i] > 0)
        examples: list[str] = []
        for member in members[np.argsort(-weights[members, index], kind="stable")]:
            text = " ".join(texts[member].split())
            if text not in examples and 20 <= len(text) <= 300:
                examples.append(text)
            if len(examples) == n_examples:
                break
        topics.append(Topic(terms, int(len(members)), int(sum(1 for m in members if not tagged[m])), tuple(examples)))
    return sorted(topics, key=lambda t: -t.comments)
