"""Translation review by qualified people, message by message.

- records.py: reviewers and their approvals, in text files beside the PO files;
- coverage.py: what a handout or a language has had checked, and what went stale;
- page.py: the local page where a bilingual reviewer approves or corrects;
- report.py: the compliance report (CSV and PDF).
"""
