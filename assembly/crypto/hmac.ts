// hmac: being written (issue 2).
