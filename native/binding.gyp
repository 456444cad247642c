# The v4l2-camera addon. Linux only (V4L2 is a Linux API); no CPU-specific
# flags, so the same file builds on x86-64 and arm64. videodev2.h comes from
# the system's kernel headers (Debian: linux-libc-dev).
{
  "targets": [
    {
      "target_name": "v4l2_camera",
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS=='linux'", { "sources": ["src/v4l2_camera.cc"] }]
      ]
    }
  ]
}
