"""Local stand-ins used by ``roombot demo`` and by the test suite: a fake Slack Web API, a Slack request
signer and a loopback HTTP server.  Nothing here talks to the real Slack or opens a public port."""
