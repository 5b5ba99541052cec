{
  "targets": [
    {
      "target_name": "rsync_live_inotify",
      "sources": ["inotify.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
