#!/usr/bin/python3
"""Uploads one file to graph-attach with a Python HTTP library.

Usage: upload.py LIB URL FILE FILENAME CONTENT_TYPE [field=value ...]
LIB: requests | urllib3 | httpx | aiohttp
Prints {"status": N, "body": "..."} as JSON on stdout.
"""

import json
import sys


def main():
    lib, url, path, filename, ctype = sys.argv[1:6]
    fields = dict(a.split("=", 1) for a in sys.argv[6:])
    with open(path, "rb") as f:
        data = f.read()

    if lib == "requests":
        import requests
        r = requests.post(url, data=fields,
                          files={"file": (filename, data, ctype)},
                          timeout=60)
        status, body = r.status_code, r.text
    elif lib == "urllib3":
        import urllib3
        http = urllib3.PoolManager()
        f = dict(fields)
        f["file"] = (filename, data, ctype)
        r = http.request("POST", url, fields=f, timeout=60)
        status, body = r.status, r.data.decode("utf-8", "replace")
    elif lib == "httpx":
        import httpx
        r = httpx.post(url, data=fields,
                       files={"file": (filename, data, ctype)},
                       timeout=60)
        status, body = r.status_code, r.text
    elif lib == "aiohttp":
        import asyncio
        import aiohttp

        async def go():
            form = aiohttp.FormData()
            for k, v in fields.items():
                form.add_field(k, v)
            form.add_field("file", data, filename=filename,
                           content_type=ctype)
            async with aiohttp.ClientSession() as s:
                async with s.post(url, data=form) as r:
                    return r.status, await r.text()

        status, body = asyncio.run(go())
    else:
        sys.exit("unknown library " + lib)

    print(json.dumps({"status": status, "body": body}))


if __name__ == "__main__":
    main()
