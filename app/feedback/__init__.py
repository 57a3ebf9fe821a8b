"""Feedback on answers: thumbs up or down with an optional comment, kept with the question, answer, citations,
mode and time (never the asker's address) in SQLite beside the index; listed for the admin and exported.

It may import only `app.core`. Its entry points are exported here."""

from app.feedback.log import Feedback, FeedbackLog, parse_feedback

__all__ = ["Feedback", "FeedbackLog", "parse_feedback"]
