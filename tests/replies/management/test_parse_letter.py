"""The parse_letter command: the parser's JSON for every path given."""

import json

from django.core.management import call_command


def test_parse_letter_command_prints_json_for_every_path(samples_dir, tmp_path, capsys):
    call_command(
        "parse_letter",
        "--json",
        str(samples_dir / "letters" / "001.txt"),
        str(tmp_path / "none.txt"),
    )
    data = json.loads(capsys.readouterr().out)
    assert [item["path"].rsplit("/", 1)[-1] for item in data] == ["001.txt", "none.txt"]
    assert data[0]["proposal_number"] == "89"
    assert len(data[0]["sections"]) == 5
    assert data[1]["warnings"] and data[1]["sections"] == []
    assert list(data[0]) == [
        "path",
        "title",
        "index_number",
        "session",
        "proposal_number",
        "kind",
        "reply_role",
        "proposal_title",
        "proposers",
        "agency",
        "reply_date",
        "doc_number",
        "classification",
        "sections",
        "promises",
        "derived_sections",
        "pages",
        "warnings",
    ]
