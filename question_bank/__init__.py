"""Theory questions, their versions, import/export and item analysis."""
