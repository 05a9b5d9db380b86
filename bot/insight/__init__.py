"""Insight over the corpus: how a story developed (timelines) and how big it is (trends)."""
