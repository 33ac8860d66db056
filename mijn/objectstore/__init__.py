"""An S3-compatible object store for uploaded and attached files (issue 19, item 5)."""
