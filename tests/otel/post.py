"""post.py: send one request to an OTLP/HTTP endpoint and print "STATUS BODY".

    /usr/bin/python3 post.py URL [--token T] [--type CONTENT_TYPE] [--chunked] [--method M]
                     (--file PATH | --data TEXT | --zeros N)
"""
import argparse
import http.client
import sys
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("url")
ap.add_argument("--token")
ap.add_argument("--type", default="application/json")
ap.add_argument("--chunked", action="store_true")
ap.add_argument("--method", default="POST")
ap.add_argument("--file")
ap.add_argument("--data")
ap.add_argument("--zeros", type=int)
a = ap.parse_args()
body = b""
if a.file:
    body = open(a.file, "rb").read()
elif a.data is not None:
    body = a.data.encode()
elif a.zeros:
    body = b" " * a.zeros
u = urllib.parse.urlsplit(a.url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
headers = {"Content-Type": a.type}
if a.token:
    headers["Authorization"] = "Bearer " + a.token
try:
    if a.method != "POST":
        c.request(a.method, u.path, headers=headers)
    elif a.chunked:
        def chunks():
            for i in range(0, len(body), 65536):
                yield body[i:i + 65536]
        c.request("POST", u.path, body=chunks(), headers=headers, encode_chunked=True)
    else:
        c.request("POST", u.path, body=body, headers=headers)
    r = c.getresponse()
    print(r.status, r.read().decode())
except (ConnectionError, http.client.HTTPException) as e:
    # the server may answer and close before reading an oversized body
    print("closed", type(e).__name__)
    sys.exit(0)
