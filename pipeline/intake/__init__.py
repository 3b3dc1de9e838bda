"""Intake: find the submissions, check their raw bytes, and read their defined names with calamine, each file
in a worker process that may die alone; also the division roster (所属名簿)."""
