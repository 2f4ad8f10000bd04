"""The smallest stand-in for a Backend.AI manager that lets a login through the
real Backend.AI webserver succeed, so that the benchmark can obtain a session.

It answers the two calls the webserver makes during `/server/login`: the
version negotiation (`GET /`) and `POST /auth/authorize`. Every credential is
accepted: the benchmark measures `/server/login-check` afterwards, which never
reaches the manager.

    python standin_manager.py <port>
"""

import sys

from aiohttp import web


async def version(_request: web.Request) -> web.Response:
    return web.json_response({"version": "v7.20230615", "manager": "23.09.10"})


async def authorize(request: web.Request) -> web.Response:
    body = await request.json()
    if body.get("type") != "keypair" or not body.get("username"):
        return web.json_response(
            {"type": "https://api.backend.ai/probs/invalid-api-params", "title": "Bad request"},
            status=400,
        )
    return web.json_response({
        "data": {
            "access_key": "AKIABENCHMARK0000001",
            "secret_key": "bench-secret-key-not-used-for-anything-else",
            "role": "user",
            "status": "active",
        },
    })


def main() -> None:
    app = web.Application()
    app.router.add_get("/", version)
    app.router.add_post("/auth/authorize", authorize)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
