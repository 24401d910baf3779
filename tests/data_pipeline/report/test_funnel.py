"""The funnel report shows characters that editing stages (paragraph dedup, decontamination)
cut from documents they kept."""

from __future__ import annotations

from data_pipeline.report.funnel import funnel_from_counts, render_markdown


def test_characters_cut_from_kept_documents_appear_in_the_funnel():
    counts = {
        "input": 56, "kept": 55, "rejected": 1,
        "rejected.dedup_paragraphs.empty_after_paragraph_dedup": 1,
        "chars.input": 10_000, "chars.kept": 7_900, "chars.rejected": 100,
        "chars.rejected.dedup_paragraphs.empty_after_paragraph_dedup": 100,
        "chars.edited.dedup_paragraphs": 2_000,
    }  # fmt: skip
    step = funnel_from_counts("dedup_paragraphs", "r1", "paragraph_deduped_docs", counts)
    assert step.chars_edited == {"dedup_paragraphs": 2_000}
    text = render_markdown([step], "paragraph_deduped_docs@1")
    assert "## dedup_paragraphs: characters cut from kept documents" in text
    assert "| dedup_paragraphs | 2000 | 20.0% |" in text
    assert "| dedup_paragraphs.empty_after_paragraph_dedup | 1 |" in text
