// aead: being written (issue 2).
