// sha512: being written (issue 2).
