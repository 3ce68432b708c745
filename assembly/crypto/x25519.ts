// x25519: being written (issue 2).
