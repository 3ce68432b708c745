// hkdf: being written (issue 2).
