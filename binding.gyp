{
  "targets": [
    {
      "target_name": "ace_proactor",
      "sources": [
        "native/addon.cc",
        "native/glue/proactor_binding.cc",
        "native/glue/socket_binding.cc",
        "native/glue/reactor_binding.cc",
        "native/glue/ready_watch_dispatch.cc"
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
            "native/glue/ready_watch.cc",
            "native/glue/file_binding.cc",
            "native/glue/memory_binding.cc",
            "native/linux/open_beneath.cc",
            "native/uring/uring_backend.cc",
            "native/uring/uring_transfer.cc",
            "native/epoll/epoll_backend.cc",
            "native/aio/aio_backend.cc",
            "native/posix/socket_ops.cc",
            "native/reactor/reactor_backends.cc",
            "native/reactor/epoll_reactor.cc",
            "native/reactor/poll_reactor.cc"
          ]
        }],
        ["OS=='win'", {
          "sources": [
            "native/win32/backends.cc",
            "native/win32/ready_watch.cc",
            "native/win32/socket_ops.cc",
            "native/win32/win_errors.cc",
            "native/win32/reactor_backends.cc",
            "native/win32/wsapoll_reactor.cc",
            "native/iocp/iocp_backend.cc",
            "native/iocp/iocp_transfer.cc"
          ],
          "defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX", "_WIN32_WINNT=0x0602"],
          "libraries": ["-lws2_32", "-lmswsock", "-lntdll"],
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } }
        }],
        ["'<!(echo $ACE_PROACTOR_SANITIZE)'=='address'", {
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address"]
        }]
      ]
    }
  ]
}
