// chacha20: being written (issue 2).
