"""The smallest stand-in for a Backend.AI manager behind the real Backend.AI
webserver: enough for the benchmark to obtain a session, and for the
end-to-end tests and the QA examples to log in, be refused, and use the
session as the extension does.

It answers what the webserver asks of a manager for a login: the version
negotiation (`GET /`) and `POST /auth/authorize`, which accepts the one
account below and refuses anything else as a 23.09 manager does (401
`auth-failed`, "User credential mismatch."). Every other route answers as a
23.09 manager without plugins answers an unknown one (404
`generic-not-found`): `GET /totp`, say, which the extension asks after a
login to learn whether two-factor authentication is on, and which needs the
enterprise plugin.

    python standin_manager.py <port>
"""

import sys

from aiohttp import web

# The account that logs in (the benchmark, the end-to-end tests and the QA
# examples use it).
ACCOUNT_EMAIL = "bench@example.com"
ACCOUNT_PASSWORD = "S3cret!pass"
ACCOUNT_ACCESS_KEY = "AKIABENCHMARK0000001"


def problem(kind: str, title: str, status: int, msg: str | None = None) -> web.Response:
    body = {"type": f"https://api.backend.ai/probs/{kind}", "title": title}
    if msg is not None:
        body["msg"] = msg
    return web.json_response(body, status=status, content_type="application/problem+json")


async def version(_request: web.Request) -> web.Response:
    return web.json_response({"version": "v7.20230615", "manager": "23.09.10"})


async def authorize(request: web.Request) -> web.Response:
    body = await request.json()
    if body.get("type") != "keypair" or not body.get("username"):
        return problem("invalid-api-params", "Bad request", 400)
    if body.get("username") != ACCOUNT_EMAIL or body.get("password") != ACCOUNT_PASSWORD:
        return problem("auth-failed", "Credential/signature mismatch.", 401,
                       "User credential mismatch.")
    return web.json_response({
        "data": {
            "access_key": ACCOUNT_ACCESS_KEY,
            "secret_key": "bench-secret-key-not-used-for-anything-else",
            "role": "user",
            "status": "active",
        },
    })


async def not_found(_request: web.Request) -> web.Response:
    return problem("generic-not-found", "Not Found", 404)


def main() -> None:
    app = web.Application()
    app.router.add_get("/", version)
    app.router.add_post("/auth/authorize", authorize)
    app.router.add_route("*", "/{path:.*}", not_found)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
