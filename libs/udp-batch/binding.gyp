{
  "targets": [{
    "target_name": "udp_batch",
    "sources": ["native/udp_batch.c"],
    "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"],
    "defines": ["NAPI_VERSION=8"]
  }]
}
