// sha256: being written (issue 2).
