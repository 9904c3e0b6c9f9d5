"""Outcome measurement: instruments, questionnaire schedules, answers and results (issue 13)."""
