"""Caption text: tokenizers (word, soynlp for Korean) and the word-id vectorizer.

Example:
    >>> from amnn.data.text import TextVectorizer, make_tokenizer
    >>> vec = TextVectorizer(make_tokenizer("auto", ["rain in nyc"]), min_count=1)
    >>> vec.fit(["rain in nyc"]).encode(["nyc rain"])
    [[4, 2]]
"""

from amnn.data.text.tokenizers import (
                                  SoynlpTokenizer,
                                  WordTokenizer,
                                  is_korean,
                                  make_tokenizer,
                                  tokenizer_from_json,
)
from amnn.data.text.vectorizer import TextVectorizer

__all__ = ["SoynlpTokenizer", "TextVectorizer", "WordTokenizer", "is_korean", "make_tokenizer",
           "tokenizer_from_json"]
