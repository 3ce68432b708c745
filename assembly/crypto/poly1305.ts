// poly1305: being written (issue 2).
