{
  "targets": [
    {
      "target_name": "ace_proactor",
      "sources": [
        "native/addon.cc",
        "native/glue/proactor_binding.cc",
        "native/glue/socket_binding.cc",
        "native/glue/ready_watch.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/linux/backends.cc",
            "native/uring/uring_backend.cc",
            "native/uring/uring_transfer.cc",
            "native/epoll/epoll_backend.cc",
            "native/aio/aio_backend.cc",
            "native/posix/socket_ops.cc",
            "native/glue/reactor_binding.cc",
            "native/reactor/reactor_backends.cc",
            "native/reactor/epoll_reactor.cc",
            "native/reactor/poll_reactor.cc"
          ]
        }],
        ["'<!(echo $ACE_PROACTOR_SANITIZE)'=='address'", {
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address"]
        }]
      ]
    }
  ]
}
