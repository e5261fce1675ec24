"""The framework's ceiling: a bare Sanic app with one JSON POST endpoint, single process."""

import sys

from sanic import Sanic, json

app = Sanic("bare_ceiling")


@app.post("/v1/message")
async def message(request):
    body = request.json
    return json({"session_id": None, "response": body.get("message"), "source": "bare"})


@app.get("/v1/health")
async def health(request):
    return json({"status": "ok"})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), single_process=True, access_log=False, motd=False)
