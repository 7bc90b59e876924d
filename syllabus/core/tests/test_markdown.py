"""Instructor Markdown becomes safe HTML: only allow-listed tags and attributes, only
http(s)/mailto links and http(s)/relative images, rel=nofollow on links, headings one
level down, raw HTML escaped; and its plain text for search."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.core.markdown import markdown_plain_text, render_markdown

ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "em",
    "strong",
    "del",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}, "img": {"src", "alt", "title"}}
# What a browser ignores inside a URL scheme (tabs, newlines, controls, spaces).
URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


class Elements(HTMLParser):
    """Every start tag with its attributes (values entity-decoded, as a browser sees
    them), and any comment, in the output."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def scheme(url: str) -> str:
    cleaned = URL_NOISE.sub("", url).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else ""


def assert_safe(output: str) -> None:
    """The rules every rendering obeys, checked on the parsed output."""
    lowered = output.lower()
    for dangerous in ("<script", "<style", "<iframe", "<svg", "<object", "<embed"):
        assert dangerous not in lowered
    elements = Elements(output)
    assert elements.comments == []
    for tag, attrs in elements.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (tag, name)
            assert not name.startswith("on")
            assert name != "style"
            if name in ("href", "src"):
                assert scheme(value) not in ("javascript", "vbscript", "data")
        if tag == "a":
            assert attrs["rel"] == "noopener noreferrer nofollow"
            if "href" in attrs:
                assert scheme(attrs["href"]) in ("http", "https", "mailto")
        if tag == "img":
            assert "alt" in attrs
            if "src" in attrs:
                assert scheme(attrs["src"]) in ("http", "https", "")


def test_commonmark_tables_and_strikethrough_render_with_the_allowed_tags():
    # given
    source = (
        "Some *emphasis*, **strong**, ~~removed~~ and `code`.  \n"
        "Next line.\n\n"
        "- one\n- two\n\n"
        "1. first\n\n"
        "> quoted\n\n"
        "```python\nprint('hi')\n```\n\n"
        "---\n\n"
        "| Name | Score |\n|:-----|------:|\n| Ada | 10 |\n"
    )
    # when
    output = render_markdown(source)
    # then
    assert "<em>emphasis</em>" in output
    assert "<strong>strong</strong>" in output
    assert "<del>removed</del>" in output
    assert "<code>code</code>" in output
    assert "<br>" in output
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in output
    assert "<ol>\n<li>first</li>\n</ol>" in output
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in output
    # the language class of the fence and the alignment style of the table are dropped
    assert "<pre><code>print('hi')\n</code></pre>" in output
    assert "<hr>" in output
    assert "<th>Name</th>" in output
    assert "<td>10</td>" in output
    assert "<thead>" in output
    assert "<tbody>" in output
    assert_safe(output)


def test_headings_move_one_level_down_under_the_page_title():
    # when
    output = render_markdown("# Intro\n\n## Part\n\n##### Five\n\n###### Six")
    # then
    assert output == "<h2>Intro</h2>\n<h3>Part</h3>\n<h6>Five</h6>\n<h6>Six</h6>\n"


def test_links_keep_href_and_title_and_get_rel_nofollow():
    # when
    output = render_markdown(
        '[docs](https://example.org/a?b=1 "The docs") [plain](http://example.org) '
        "[write](mailto:teacher@example.org) <https://example.org/auto>"
    )
    # then
    assert (
        '<a href="https://example.org/a?b=1" title="The docs" '
        'rel="noopener noreferrer nofollow">docs</a>'
    ) in output
    assert '<a href="http://example.org" rel="noopener noreferrer nofollow">plain</a>' in output
    assert (
        '<a href="mailto:teacher@example.org" rel="noopener noreferrer nofollow">write</a>'
    ) in output
    assert (
        '<a href="https://example.org/auto" rel="noopener noreferrer nofollow">'
        "https://example.org/auto</a>"
    ) in output


@pytest.mark.parametrize(
    "source",
    ["[x](/courses/1/)", "[x](#part-2)", "[x](ftp://example.org/f)", "[x](tel:+3312345678)"],
)
def test_links_other_than_http_https_mailto_lose_their_href_but_keep_their_text(source):
    # when
    output = render_markdown(source)
    # then
    assert output == '<p><a rel="noopener noreferrer nofollow">x</a></p>\n'


def test_plain_urls_are_not_linkified():
    assert render_markdown("see https://example.org") == "<p>see https://example.org</p>\n"


def test_images_keep_http_and_relative_sources_and_alt_and_title():
    # when
    output = render_markdown(
        '![The water cycle](https://example.org/c.png "Figure 1") ![Map](media/map.png)'
    )
    # then
    assert '<img src="https://example.org/c.png" alt="The water cycle" title="Figure 1">' in output
    assert '<img src="media/map.png" alt="Map">' in output


def test_an_image_without_alt_text_is_marked_decorative():
    assert render_markdown("![](line.png)") == '<p><img src="line.png" alt=""></p>\n'


@pytest.mark.parametrize(
    "source",
    [
        "![x](mailto:a@example.org)",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "![x](ftp://example.org/x.png)",
    ],
)
def test_images_from_other_schemes_lose_their_source(source):
    assert render_markdown(source) == '<p><img alt="x"></p>\n'


# Payloads from the OWASP XSS Filter Evasion Cheat Sheet, and their Markdown spellings.
XSS_PAYLOADS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<img src=x onerror=\"alert('XSS')\">",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<a href=\"jav&#x09;ascript:alert('XSS');\">x</a>",
    "<a onmouseover=\"alert('XSS')\">xxs link</a>",
    '<body onload=alert("XSS")>',
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=\"javascript:alert('XSS');\"></iframe>",
    "<div style=\"background-image: url(javascript:alert('XSS'))\">x</div>",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    '<<SCRIPT>alert("XSS");//<</SCRIPT>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<a href="javascript:alert(1)"',
    "<!--<script>alert(1)</script>-->",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "[click](javascript:alert('XSS'))",
    "[click](JaVaScRiPt:alert('XSS'))",
    "[click](jav&#x09;ascript:alert('XSS'))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](<java script:alert(1)>)",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    '[click](https://example.org "x\\" onmouseover=\\"alert(1)")',
    "<javascript:alert('XSS')>",
    "<JaVaScRiPt:alert('XSS')>",
    "<vbscript:msgbox(1)>",
    "<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x" onerror="alert(1)](https://example.org/x.png)',
    '![x](https://example.org/x.png" onerror="alert(1))',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_render_harmless(payload):
    # when
    output = render_markdown(payload)
    # then
    assert_safe(output)
    assert "javascript:" not in "".join(
        value for _, attrs in Elements(output).tags for value in attrs.values()
    ).lower().replace("\t", "")


def test_raw_html_is_shown_as_text_not_interpreted():
    # when
    output = render_markdown("<script>alert(1)</script> and <b onclick=x>bold</b>")
    # then
    assert output == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; and &lt;b onclick=x&gt;bold&lt;/b&gt;</p>\n"
    )


def test_plain_text_drops_markup_and_decodes_entities_for_search():
    # when
    text = markdown_plain_text(
        "# Fractions & ratios\n\nA *half* is [1/2](https://example.org).\n\n"
        "| a | b |\n|---|---|\n| x<y | z |\n\n![decorative](x.png)"
    )
    # then
    assert text == "Fractions & ratios A half is 1/2. a b x<y z"


def test_a_lone_surrogate_becomes_the_replacement_character():
    # given: what json.loads makes of "\\ud800 ok"
    source = "\ud800 ok"
    # then
    assert render_markdown(source) == "<p>\ufffd ok</p>\n"
    assert markdown_plain_text(source) == "\ufffd ok"


def test_empty_source_renders_nothing():
    assert render_markdown("") == ""
    assert markdown_plain_text("   \n") == ""


TAG_NAMES = st.sampled_from(
    ["script", "img", "a", "svg", "iframe", "style", "p", "div", "body", "math", "ScRiPt"]
)
ATTRIBUTE_NAMES = st.sampled_from(
    ["onerror", "onclick", "onload", "OnMouseOver", "style", "href", "src", "xlink:href"]
)
URL_VALUES = st.sampled_from(
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "jav\tascript:alert(1)",
        " javascript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript&colon;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://example.org/",
        "alert(1)",
        "expression(alert(1))",
    ]
)
QUOTES = st.sampled_from(['"', "'", ""])


@st.composite
def html_fragments(draw: st.DrawFn) -> str:
    tag = draw(TAG_NAMES)
    attributes = draw(
        st.lists(
            st.builds(
                lambda name, quote, value: f" {name}={quote}{value}{quote}",
                ATTRIBUTE_NAMES,
                QUOTES,
                URL_VALUES,
            ),
            max_size=3,
        )
    )
    closing = draw(st.sampled_from([">", "/>", "", ">x</" + tag + ">"]))
    return f"<{tag}{''.join(attributes)}{closing}"


MARKDOWN_PIECES = st.one_of(
    html_fragments(),
    st.builds(lambda url: f"[a]({url})", URL_VALUES),
    st.builds(lambda url: f"![a]({url})", URL_VALUES),
    st.builds(lambda url: f"<{url}>", URL_VALUES),
    st.sampled_from(["<!--", "-->", "\n\n", "`", "```\n", "> ", "# ", "| a |\n|---|\n", "*"]),
    st.text(max_size=10),
)


@given(st.text(alphabet=st.characters()))  # surrogates included
def test_any_text_renders_safely_and_rendering_the_output_again_is_safe(source):
    output = render_markdown(source)
    assert_safe(output)
    assert_safe(render_markdown(output))


@given(st.lists(MARKDOWN_PIECES, max_size=12).map("".join))
def test_any_html_ish_source_renders_safely_and_rendering_the_output_again_is_safe(source):
    output = render_markdown(source)
    assert_safe(output)
    assert_safe(render_markdown(output))


@given(st.text(alphabet=st.characters(exclude_characters="<>&\\")))
def test_plain_text_never_carries_markup_the_author_did_not_type(source):
    text = markdown_plain_text(source)
    assert "<" not in text
    assert ">" not in text
    assert text == " ".join(text.split())
