"""replies.parsing.html_text: saved disclosure pages become letter text.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

from datetime import date

from replies.parsing import html_to_text, parse_letter


def test_html_table_layout_is_flattened() -> None:
    """Table metadata becomes 'label  value' lines and the letter parses from HTML."""
    html = """<html><head><title>x</title><style>p{color:red}</style></head><body>
    <div class="nav">首页 &gt; 政务公开</div>
    <table><tr><td>索 引 号</td><td>113700/2022-001</td><td>发布机构</td><td>某某县水利局</td></tr>
    <tr><td>成文日期</td><td>2022年5月6日</td><td>文号</td><td>某水函〔2022〕5号</td></tr></table>
    <h1>对县政协十届二次会议第7号提案的答复</h1>
    <p>李雷委员：</p><p>&nbsp;您提出的《关于整治河道的提案》收悉，现答复如下：</p>
    <p>一、关于河道清淤</p><p>今年已清淤12公里。</p>
    <p>二、关于堤防加固</p><p>力争2023年底前加固堤防5公里。</p>
    <script>document.write("x")</script></body></html>"""
    text = html_to_text(html)
    assert "索 引 号  113700/2022-001  发布机构  某某县水利局" in text.splitlines()
    assert "color" not in text and "document" not in text and "首页" not in text
    letter = parse_letter(html)
    assert letter.index_number == "113700/2022-001"
    assert letter.doc_number == "某水函〔2022〕5号"
    assert letter.reply_date == date(2022, 5, 6)  # 成文日期: no signature
    assert letter.agency == "某某县水利局"
    assert [s.heading for s in letter.sections] == ["关于河道清淤", "关于堤防加固"]
