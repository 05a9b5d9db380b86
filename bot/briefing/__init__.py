"""Daily briefings: window → stories (grouped, ranked) → cited summaries → delivery."""
