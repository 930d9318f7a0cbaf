"""The headless QA player (issue 8): not built yet."""
