"""Exam definitions, papers, attempts, answers, grading and proctoring."""
