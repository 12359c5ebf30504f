"""The only I/O: HTTP client and servers, the fixture store, the recorder and its limiter."""
