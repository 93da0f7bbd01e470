"""Discussion posts: a small Markdown subset (bold, italic, lists, links, code), sanitised with nh3.

Motion bodies use the richer ``vote.domain.meetings.markdown``; a post is a comment, so it gets no
headings, quotes or rules, and a line break is kept as typed (people write on phones).
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from vote.domain.meetings.markdown import URL_SCHEMES

POST_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre"})
POST_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
POST_RULES = ["emphasis", "list", "link", "autolink", "backticks", "fence", "code", "newline", "escape"]


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "zero" enables nothing but paragraphs; raw HTML is never passed through.
    return MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False}).enable(POST_RULES)


def render_post(source: str) -> Markup:
    """Safe HTML for a post: no scripts, handlers or styles; links are http(s)/mailto with rel=nofollow."""
    html = _parser().render(source or "")
    clean = nh3.clean(
        html,
        tags=set(POST_TAGS),
        attributes={tag: set(attrs) for tag, attrs in POST_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
